#!/bin/sh
# test_deb.sh - the Debian package, as an admin gets it
#
#   test_deb.sh SOURCE_DIR
#
# 1. copies the tree as a clean clone has it (git's tracked and
#    unignored files: no build directory) and runs dpkg-buildpackage -b
#    there (DEB_BUILD_OPTIONS="nocheck parallel=2"), so it never touches
#    the tree's own build directory;
# 2. runs lintian: any error or warning not overridden (with a comment)
#    in debian/ fails;
# 3. installs the .deb with dpkg -i in a throwaway root: a private mount
#    namespace (unshare --mount) with an overlayfs whose lower layer is
#    the host's / and whose upper layer is a tmpfs, chrooted into; the
#    real maintainer scripts run there (test_deb_inner.sh checks the
#    user and group, the layout, the conffiles, filterd -t on the
#    installed configuration, the unit, an upgrade that keeps an admin's
#    change, and purge). Nothing on the host changes.
#
# Exit 77 (ctest: skipped) when not root or when overlayfs cannot be
# mounted; the reason is printed.
set -eu

src=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)

skip() {
	echo "SKIPPED: $*"
	exit 77
}
fail() {
	echo "FAIL: $*"
	exit 1
}
now() { date +%s; }

[ "$(id -u)" = 0 ] ||
	skip "not root: the install check needs unshare --mount, overlayfs and chroot"
for tool in dpkg-buildpackage dh lintian unshare chroot; do
	command -v "$tool" >/dev/null ||
		fail "$tool not found: apt-get install debhelper lintian fakeroot"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/filterd-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

# The package's version is the project's.
version=$(sed -n 's/^project(filterd VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
changelog=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
[ -n "$version" ] && [ "$version" = "$changelog" ] ||
	fail "debian/changelog has $changelog, CMakeLists.txt project() $version"

# Overlayfs in a private mount namespace, or skip.
mkdir "$work/probe" "$work/probe-root"
unshare --mount --propagation private sh -c '
	mount -t tmpfs tmpfs "$1" &&
	mkdir "$1/u" "$1/w" &&
	mount -t overlay overlay -o "lowerdir=/,upperdir=$1/u,workdir=$1/w" "$2"
' probe "$work/probe" "$work/probe-root" 2>"$work/probe.err" ||
	skip "cannot mount an overlayfs over / in a mount namespace: $(cat "$work/probe.err")"

# 1. Build from a copy of the tree.
tree="$work/filterd-$version"
mkdir "$tree"
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$src" && git ls-files -z --cached --others --exclude-standard |
		tar --null -T - --ignore-failed-read -cf - 2>/dev/null) |
		tar -xf - -C "$tree"
else
	(cd "$src" && tar -cf - --exclude=./.git --exclude=./build \
		--exclude='./build-*' --exclude='./obj-*' .) | tar -xf - -C "$tree"
fi
t0=$(now)
if ! (cd "$tree" && DEB_BUILD_OPTIONS="nocheck parallel=2" \
	dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1; then
	tail -40 "$work/build.log"
	fail "dpkg-buildpackage -us -uc -b"
fi
t1=$(now)
echo "dpkg-buildpackage: $((t1 - t0)) s"
deb="$work/filterd_${version}_$(dpkg --print-architecture).deb"
[ -f "$deb" ] || fail "no $deb"

# 2. lintian: no error, no warning that debian/ does not override.
lintian --fail-on error,warning --info "$work"/filterd_"${version}"_*.changes \
	>"$work/lintian.log" 2>&1 || {
	cat "$work/lintian.log"
	fail "lintian"
}
t2=$(now)
echo "lintian: $((t2 - t1)) s, $(grep -c '^[EW]:' "$work/lintian.log") errors and warnings," \
	"$(grep -c '^I:' "$work/lintian.log") notes, $(grep -c '^N:\|^O:' "$work/lintian.log") other"

# 3. Install in a throwaway root.
cp "$deb" "$work/filterd.deb"
cp "$here/test_deb_inner.sh" "$work/inner.sh"
mkdir "$work/ovl" "$work/root"
unshare --mount --propagation private sh -eu -c '
	w=$1
	mount -t tmpfs tmpfs "$w/ovl"
	mkdir "$w/ovl/upper" "$w/ovl/work"
	# A fresh server has no /etc/filterd or /var/lib/filterd; the
	# host may (the test suite writes to the default quarantine_dir
	# while this runs): whiteouts hide them, whatever the host does.
	mkdir -p "$w/ovl/upper/etc" "$w/ovl/upper/var/lib"
	mknod "$w/ovl/upper/etc/filterd" c 0 0
	mknod "$w/ovl/upper/var/lib/filterd" c 0 0
	mount -t overlay overlay \
		-o "lowerdir=/,upperdir=$w/ovl/upper,workdir=$w/ovl/work" "$w/root"
	mount --rbind /dev "$w/root/dev"
	mount -t proc proc "$w/root/proc"
	mount -t sysfs sysfs "$w/root/sys"
	# No /run/systemd/system in the chroot: the maintainer scripts
	# cannot reach a service manager, the host'"'"'s or any.
	mount -t tmpfs tmpfs "$w/root/run"
	mount -t tmpfs tmpfs "$w/root/tmp"
	cp "$w/filterd.deb" "$w/inner.sh" "$w/root/tmp/"
	exec chroot "$w/root" /bin/sh -eu /tmp/inner.sh
' install "$work" || fail "install in a throwaway root"
t3=$(now)
echo "install checks: $((t3 - t2)) s"
echo "PASS"
