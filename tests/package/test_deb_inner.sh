#!/bin/sh
# test_deb_inner.sh - run by test_deb.sh inside the throwaway root (an
# overlay of the host's / in a private mount namespace, chrooted into):
# install /tmp/filterd.deb as an admin would, with the real maintainer
# scripts, and check what they did. Exit 1 with the reason on a failure.
set -eu

fail() {
	echo "FAIL (in the throwaway root): $*"
	exit 1
}

# A fresh server: no filterd user yet (the host's test suite may have
# made one; test_deb.sh hid the host's /etc/filterd and /var/lib/filterd),
# a clamav group as clamav-freshclam makes it, and a signature database
# where freshclam keeps it (EICAR's md5).
[ ! -e /etc/filterd ] && [ ! -e /var/lib/filterd ] ||
	fail "the host's filterd directories show through"
sed -i '/^filterd:/d' /etc/passwd /etc/shadow /etc/group /etc/gshadow
sed -i 's/\([:,]\)filterd\(,\|$\)/\1/; s/,$//' /etc/group /etc/gshadow
getent group clamav >/dev/null || groupadd --system clamav
mkdir -p /var/lib/clamav
echo "44d88612fea8a8f36de82e1278abb02f:68:Eicar-Test-Signature" \
	>/var/lib/clamav/test.hdb

dpkg -i /tmp/filterd.deb >/tmp/dpkg.log 2>&1 || {
	cat /tmp/dpkg.log
	fail "dpkg -i"
}

# The system user and group, in group clamav.
pw=$(getent passwd filterd) || fail "no user filterd"
home=$(echo "$pw" | cut -d: -f6)
shell=$(echo "$pw" | cut -d: -f7)
uid=$(echo "$pw" | cut -d: -f3)
[ "$home" = /var/lib/filterd ] || fail "filterd's home is $home"
[ "$shell" = /usr/sbin/nologin ] || fail "filterd's shell is $shell"
[ "$uid" -lt 1000 ] || fail "filterd is not a system user: uid $uid"
getent group filterd >/dev/null || fail "no group filterd"
id -nG filterd | tr ' ' '\n' | grep -qx clamav ||
	fail "filterd is not in group clamav: $(id -nG filterd)"

# The layout.
for f in /usr/sbin/filterd /usr/sbin/filterd-nanny /usr/sbin/filterd-sql \
	/usr/sbin/filterd-release \
	/usr/sbin/filterd-snmp /etc/filterd/filterd.conf \
	/etc/filterd/policy-banks/default.conf \
	/etc/filterd/policy-banks/authenticated.conf \
	/etc/filterd/policy-banks/relaying.conf \
	/etc/filterd/policy-banks/hosting.conf \
	/etc/filterd/policy-banks/bulk.conf \
	/usr/share/filterd/mib/FILTERD-MIB.txt \
	/usr/share/filterd/mib/ietf/SNMPv2-SMI.txt \
	/usr/share/filterd/sql/mysql/schema.sql \
	/usr/share/filterd/sql/mysql/migrations/0001_initial.sql \
	/lib/systemd/system/filterd.service /usr/lib/tmpfiles.d/filterd.conf \
	/lib/systemd/system/filterd-clamav.path \
	/lib/systemd/system/filterd-clamav.service \
	/usr/share/man/man5/filterd.conf.5.gz /usr/share/man/man8/filterd.8.gz \
	/usr/share/man/man8/filterd-nanny.8.gz \
	/usr/share/man/man8/filterd-sql.8.gz \
	/usr/share/man/man8/filterd-release.8.gz \
	/usr/share/man/man8/filterd-snmp.8.gz \
	/usr/share/doc/filterd/examples/master.cf; do
	[ -f "$f" ] || fail "$f is not installed"
done
for d in /var/lib/filterd /var/lib/filterd/quarantine /var/lib/filterd/tmp; do
	got=$(stat -c '%U:%G %a' "$d") || fail "no $d"
	want="filterd:filterd 750"
	[ "$d" != /var/lib/filterd/tmp ] || want="filterd:filterd 700"
	[ "$got" = "$want" ] || fail "$d is $got"
done
[ "$(stat -c '%U:%G %a' /run/filterd)" = "root:filterd 750" ] ||
	fail "tmpfiles.d did not make /run/filterd"
[ "$(stat -c '%U:%G %a' /var/cache/filterd)" = "root:root 700" ] ||
	fail "the postinst did not make /var/cache/filterd root's alone"
# Every directory default of filterd -d is there: those under /run by
# tmpfiles.d (a tmpfs, made at each boot), those on disk by the
# postinst, and none of these in tmpfiles.d (it would undo an admin's
# dpkg-statoverride at each boot).
dirs=$(/usr/sbin/filterd -d | sed -n 's/^[a-z_]*_dir="\(\/[^"]*\)"$/\1/p')
[ -n "$dirs" ] || fail "filterd -d shows no *_dir default"
for d in $dirs; do
	case $d in
	/run/*)
		grep -Eq "^d $d " /usr/lib/tmpfiles.d/filterd.conf ||
			fail "no tmpfiles.d line for $d"
		;;
	*)
		[ -d "$d" ] || fail "the postinst did not make $d"
		! grep -Eq "^[dDvqQzZ] $d( |/)" /usr/lib/tmpfiles.d/filterd.conf ||
			fail "tmpfiles.d resets $d at each boot"
		;;
	esac
done

# The configuration may hold SQL passwords: root's, not world-readable.
for f in $(find /etc/filterd -type f); do
	got=$(stat -c '%U:%G %a' "$f")
	[ "$got" = "root:root 640" ] || fail "$f is $got"
done

# Every file under /etc/filterd is a conffile.
dpkg-query --control-show filterd conffiles | sed 's/^ *//' | sort >/tmp/conffiles
find /etc/filterd -type f | sort >/tmp/etc-files
cmp -s /tmp/conffiles /tmp/etc-files || {
	diff /tmp/conffiles /tmp/etc-files
	fail "conffiles differ from /etc/filterd"
}

# The installed configuration passes filterd -t; the page lists its keys.
/usr/sbin/filterd -t -c /etc/filterd/filterd.conf ||
	fail "filterd -t -c /etc/filterd/filterd.conf"
/usr/sbin/filterd -d | sed -n 's/^ *#\{0,1\} \{0,1\}\([a-z_][a-z0-9_]*\)\( (no default)\| (built-in: \|=\| = \).*/\1/p' |
	sort -u >/tmp/keys
zcat /usr/share/man/man5/filterd.conf.5.gz | sed -n 's/^\.It Cm //p' | sort -u >/tmp/man-keys
[ "$(wc -l </tmp/keys)" -gt 20 ] || fail "filterd -d lists $(wc -l </tmp/keys) keys"
cmp -s /tmp/keys /tmp/man-keys || {
	diff /tmp/keys /tmp/man-keys
	fail "filterd.conf(5) and filterd -d list different keys"
}

# The unit: this prefix's paths, enabled, verified by systemd.
grep -qx 'ExecStart=/usr/sbin/filterd -c /etc/filterd/filterd.conf' \
	/lib/systemd/system/filterd.service || fail "the unit's ExecStart"
[ -L /etc/systemd/system/multi-user.target.wants/filterd.service ] ||
	fail "filterd.service is not enabled"
# Not started on install (an upgrade only try-restarts a running one);
# stopped on removal.
! grep -Eq 'deb-systemd-invoke +(start|restart) ' /var/lib/dpkg/info/filterd.postinst ||
	fail "the postinst starts filterd"
grep -q 'deb-systemd-invoke try-restart' /var/lib/dpkg/info/filterd.postinst ||
	fail "an upgrade does not restart a running filterd"
grep -q 'deb-systemd-invoke stop filterd.service' /var/lib/dpkg/info/filterd.prerm ||
	fail "removal does not stop filterd"
if command -v systemd-analyze >/dev/null; then
	systemd-analyze verify /lib/systemd/system/filterd.service \
		/lib/systemd/system/filterd-clamav.path \
		/lib/systemd/system/filterd-clamav.service ||
		fail "systemd-analyze verify filterd.service filterd-clamav.*"
fi

# An upgrade (the same package again) keeps an admin's change.
echo '# changed by the admin' >>/etc/filterd/policy-banks/default.conf
dpkg -i /tmp/filterd.deb >/tmp/dpkg.log 2>&1 || {
	cat /tmp/dpkg.log
	fail "dpkg -i over the installed package"
}
tail -1 /etc/filterd/policy-banks/default.conf | grep -qx '# changed by the admin' ||
	fail "the upgrade lost the admin's change to a conffile"

# Purge: configuration and state go, quarantined mail stays.
mkdir -p /var/lib/filterd/quarantine/v
echo x >/var/lib/filterd/quarantine/v/virus-TESTMAILID
dpkg --purge filterd >/tmp/dpkg.log 2>&1 || {
	cat /tmp/dpkg.log
	fail "dpkg --purge"
}
[ ! -e /etc/filterd ] || fail "purge left /etc/filterd"
[ -f /var/lib/filterd/quarantine/v/virus-TESTMAILID ] ||
	fail "purge removed quarantined mail"
rm -rf /var/lib/filterd/quarantine/v
dpkg -i /tmp/filterd.deb >/tmp/dpkg.log 2>&1 || fail "dpkg -i after purge"
dpkg --purge filterd >/tmp/dpkg.log 2>&1 || fail "second dpkg --purge"
[ ! -e /var/lib/filterd ] || { find /var/lib/filterd -ls; cat /tmp/dpkg.log; fail "purge left an empty /var/lib/filterd"; }
echo "installed, checked, upgraded and purged in the throwaway root"
