#!/usr/bin/env bash
# The sink under AddressSanitizer, UndefinedBehaviorSanitizer and LeakSanitizer: builds
# sink/obj-asan/wal2dbz-sink (make -C sink asan), runs representative end-to-end tests with
# it (SINK=...), and passes when they pass and no sanitizer wrote a report: no invalid memory
# access, no undefined behaviour, no allocation left without an owner at exit.
# Prints TAP: one line per test, one for the reports. Run as an unprivileged user (initdb
# refuses root) after "make install"; the tree must be writable (the build goes into sink/).
#
# Then the same under ThreadSanitizer (make -C sink tsan, sink/obj-tsan/wal2dbz-sink): the
# tests in TSAN_TESTS, whose sinks run several threads of their own (connectors, the
# ClickHouse stage, the REST server, the Kafka probe), and no data race reported (sink/tsan.supp
# holds the one race wholly inside librdkafka; see sink/README.md, "Sanitizers").
#
# Usage: test/sanitize.sh [e2e_test...]   (default: e2e_basic e2e_worker, ~1 min with the
#                                          build; KEEP=1 keeps the reports)
# Environment: TSAN_TESTS (default "e2e_worker_clickhouse"; empty: no ThreadSanitizer run)
set -uo pipefail
cd "$(dirname "$0")/.."
TOP=$PWD
TESTS=("$@")
((${#TESTS[@]})) || TESTS=(e2e_basic e2e_worker)
SINK=$TOP/sink/obj-asan/wal2dbz-sink
WORK=$(mktemp -d /tmp/wal2dbz-sanitize.XXXXXX)
trap '[[ -n ${KEEP:-} ]] || rm -rf "$WORK"' EXIT

read -ra TSAN_TESTS <<<"${TSAN_TESTS-e2e_worker_clickhouse}"
echo "1..$((${#TESTS[@]} + 2 + (${#TSAN_TESTS[@]} ? ${#TSAN_TESTS[@]} + 2 : 0)))"
n=1
if ! make -s -j2 -C sink asan >"$WORK/build.log" 2>&1; then
	echo "not ok 1 - make -C sink asan"
	tail -20 "$WORK/build.log" | sed 's/^/# /'
	exit 1
fi
# the reports go to files (log_path; one per process, .PID appended); a
# canary run proves that the options reach the sink and the files get written
export ASAN_OPTIONS="log_path=$WORK/report:detect_leaks=1"
export UBSAN_OPTIONS="log_path=$WORK/report:halt_on_error=1:print_stacktrace=1"
# leaks at exit inside libraries, if any, are suppressed there (see sink/README.md)
[[ -f sink/lsan.supp ]] && export LSAN_OPTIONS="suppressions=$TOP/sink/lsan.supp"
ASAN_OPTIONS="log_path=$WORK/canary:atexit=1" "$SINK" --version >/dev/null 2>&1
if compgen -G "$WORK/canary.*" >/dev/null; then
	echo "ok 1 - sink built with AddressSanitizer; its reports reach $WORK"
else
	echo "not ok 1 - sink built with AddressSanitizer; its reports reach $WORK"
fi

# run_with SINK LABEL REPORT_PREFIX REPORT_LINES TEST...: each test with that sink (one TAP
# line each), then one line for the reports the sanitizer wrote to REPORT_PREFIX.* (the lines of
# each that match the REPORT_LINES pattern are shown)
run_with() {
	local sink=$1 label=$2 prefix=$3 pattern=$4 t f
	shift 4
	for t in "$@"; do
		n=$((n + 1))
		local out="$WORK/${label//\//-}-$t.out"
		if SINK=$sink "test/sink/$t.sh" >"$out" 2>&1; then
			echo "ok $n - $t.sh with the $label sink"
		else
			echo "not ok $n - $t.sh with the $label sink"
			grep -E '^(not ok|Bail out)' "$out" | head -10 | sed 's/^/# /'
		fi
	done
	n=$((n + 1))
	if compgen -G "$prefix.*" >/dev/null; then
		echo "not ok $n - no $label report"
		for f in "$prefix".*; do
			echo "# $f:"
			grep -E "$pattern" "$f" | head -40 | sed 's/^/#   /'
		done
	else
		echo "ok $n - no $label report"
	fi
}

run_with "$SINK" ASan/UBSan/LSan "$WORK/report" \
	'^(==[0-9]+==ERROR|SUMMARY|.*runtime error|(Direct|Indirect) leak|    #[0-9] )' "${TESTS[@]}"

# --- ThreadSanitizer
((${#TSAN_TESTS[@]})) || exit 0
unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
n=$((n + 1))
if make -s -j2 -C sink tsan >"$WORK/build-tsan.log" 2>&1 &&
	[[ $(ldd sink/obj-tsan/wal2dbz-sink) == *libtsan* ]]; then
	echo "ok $n - sink built with ThreadSanitizer (linked to libtsan)"
else
	echo "not ok $n - sink built with ThreadSanitizer"
	tail -20 "$WORK/build-tsan.log" | sed 's/^/# /'
	exit 1
fi
export TSAN_OPTIONS="log_path=$WORK/tsan:suppressions=$TOP/sink/tsan.supp"
run_with "$TOP/sink/obj-tsan/wal2dbz-sink" ThreadSanitizer "$WORK/tsan" \
	'^(WARNING: ThreadSanitizer|SUMMARY|    #[0-9] )' "${TSAN_TESTS[@]}"
