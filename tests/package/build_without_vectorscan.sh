#!/bin/sh
# build_without_vectorscan.sh - filterd as it builds where Debian has no
# Vectorscan (libvectorscan-dev: amd64, arm64 and ppc64el only)
#
#   build_without_vectorscan.sh SOURCE_DIR WORK_DIR CC [OTHER_RULES_DIFF]
#
# 1. configures WORK_DIR (kept between runs: the next build is
#    incremental) with -DWITH_VECTORSCAN=OFF, no SNMP, no integration
#    test registration, and builds only filterd, rules_diff and the
#    rules' unit tests;
# 2. fails if any of them still needs libhs (readelf -d: NEEDED);
# 3. runs the rules' unit tests there (test_rules_vs says it is skipped:
#    it is about Vectorscan);
# 4. runs that filterd -t on a configuration with SpamAssassin's rule
#    files (/usr/share/spamassassin, package spamd): exit 0, every rule
#    loaded, the engine named "pcre2", and the notice that
#    rules_cache_dir is unused;
# 5. runs tests/integration/test_rules_engines.py against that build;
#    with OTHER_RULES_DIFF (the rules_diff of a build with Vectorscan),
#    its test_builds_agree compares every rule's hits over its corpus
#    between the two builds.
set -eu

src=$(cd "$1" && pwd)
work=$2
cc=$3
other=${4:-}

fail() {
	echo "FAIL: $*"
	exit 1
}

command -v readelf >/dev/null || fail "readelf not found (binutils)"
mkdir -p "$work"
echo "== configure $work (WITH_VECTORSCAN=OFF)"
cmake -S "$src" -B "$work" -DCMAKE_C_COMPILER="$cc" \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo -DWITH_VECTORSCAN=OFF \
	-DWITH_SNMP=OFF -DINTEGRATION_TESTING=ON -DUNIT_TESTING=ON \
	-DFILTERD_SANITIZE= -DFILTERD_FUZZ=OFF >"$work/configure.log" 2>&1 ||
	{
		cat "$work/configure.log"
		fail "configure"
	}
grep -F "rules run on PCRE2 alone" "$work/configure.log" ||
	fail "configure did not say that the rules run on PCRE2 alone"
echo "== build"
cmake --build "$work" -j2 --target filterd rules_diff test_rules \
	test_scan_spam >"$work/build.log" 2>&1 || {
	tail -50 "$work/build.log"
	fail "build"
}

echo "== NEEDED entries"
for bin in filterd rules_diff test_rules test_scan_spam; do
	path=$work/bin/$bin
	[ -x "$path" ] || fail "$bin not built"
	needed=$(readelf -d "$path" | grep NEEDED) || fail "readelf $path"
	if echo "$needed" | grep -q 'libhs'; then
		echo "$needed"
		fail "$bin links libhs in a build with WITH_VECTORSCAN=OFF"
	fi
	echo "$bin: $(echo "$needed" | grep -c NEEDED) libraries, no libhs"
done

echo "== unit tests"
(cd "$work" && ctest --output-on-failure \
	-R '^(test_rules|test_rules_vs|test_scan_spam)$') ||
	fail "the rules' unit tests"

echo "== filterd -t with SpamAssassin's rules"
set -- /usr/share/spamassassin/*.cf
[ -f "$1" ] || fail "no /usr/share/spamassassin/*.cf (package spamd)"
conf=$work/pcre2-only.conf
{
	printf 'clamav { enabled = false }\n'
	printf 'rules_cache_dir = "%s/rules-cache"\n' "$work"
	printf 'spam_rules = {'
	sep=
	for f in "$@"; do
		printf '%s"%s"' "$sep" "$f"
		sep=', '
	done
	printf '}\n'
} >"$conf"
out=$("$work/bin/filterd" -t -c "$conf" 2>&1) || {
	echo "$out"
	fail "filterd -t exit status"
}
echo "$out"
echo "$out" | grep -Eq 'loaded [0-9]{4} rules from [0-9]+ files' ||
	fail "filterd -t did not load SpamAssassin's rules"
echo "$out" | grep -Eq 'rule engine pcre2: [0-9]+ regexes on PCRE2' ||
	fail "filterd -t does not name the engine pcre2"
if echo "$out" | grep -qi 'vectorscan databases'; then
	fail "filterd -t speaks of Vectorscan databases"
fi
echo "$out" | grep -q 'rules_cache_dir .* unused' ||
	fail "filterd -t does not say that rules_cache_dir is unused"
[ ! -e "$work/rules-cache" ] || fail "filterd -t made rules_cache_dir"

echo "== test_rules_engines against this build"
FILTERD_BIN=$work/bin/filterd RULES_DIFF_BIN=$work/bin/rules_diff \
	RULES_DIFF_OTHER=$other FILTERD_WITH_VECTORSCAN=OFF \
	PYTHONDONTWRITEBYTECODE=1 \
	python3 "$src/tests/integration/test_rules_engines.py" -v ||
	fail "test_rules_engines"
echo "PASS"
