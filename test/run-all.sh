#!/usr/bin/env bash
# Runs every wal2dbz test and ends with one line "N passed, N failed".
#
# As root (CI, or "sudo test/run-all.sh" on a fresh machine) it first installs what is missing
# (test/setup.sh), builds and installs the plugin and the sink, then runs the suites as the
# unprivileged user "wal2dbzci" (initdb refuses to run as root) in a copy of the tree.
# As any other user it expects "make install" to have been done and just runs the suites.
#
# Suites: the pg_regress suite of the plugin (make installcheck), the sink's unit tests,
# the fidelity test against recorded Debezium output, and the end-to-end tests against a real
# PostgreSQL and a real Kafka broker (test/sink/*.sh). Each reports TAP-style lines.
#
# Usage: test/run-all.sh [suite...]     suites: regress valgrind sanitize unit fidelity docker e2e
#                                        (default: all)
set -uo pipefail
cd "$(dirname "$0")/.."
TOP=$PWD
TEST_USER=${WAL2DBZ_TEST_USER:-wal2dbzci}
export WAL2DBZ_CACHE=${WAL2DBZ_CACHE:-/var/cache/wal2dbz}

if [[ $(id -u) -eq 0 ]]; then
  test/setup.sh || { echo "run-all.sh: setup failed"; echo "0 passed, 1 failed"; exit 1; }
  if ! { make -s && make -s install; } >/tmp/wal2dbz-build.log 2>&1; then
    cat /tmp/wal2dbz-build.log
    echo "not ok - build and install"
    echo "0 passed, 1 failed"
    exit 1
  fi
  id "$TEST_USER" >/dev/null 2>&1 || useradd -m "$TEST_USER"
  WORK=$(mktemp -d /tmp/wal2dbz-test.XXXXXX)
  # the test user needs a writable tree (pg_regress writes results/ beside sql/)
  tar --exclude=.git -cf - . | tar -C "$WORK" -xf -
  chown -R "$TEST_USER" "$WORK"
  runuser -u "$TEST_USER" -- env WAL2DBZ_CACHE="$WAL2DBZ_CACHE" PATH="$PATH" \
    "$WORK/test/run-all.sh" "$@"
  rc=$?
  # keep what a failure left behind where the caller can read it
  for f in regression.diffs regression.out; do
    [[ -f $WORK/$f ]] && cp "$WORK/$f" "$TOP/$f"
  done
  rm -rf "$WORK"
  exit $rc
fi

passed=0
failed=0

# Count a suite's TAP lines ("ok ..." / "not ok ...") and echo them.
tally() {
  local line
  while IFS= read -r line; do
    echo "$line"
    case $line in
      "ok "*) passed=$((passed + 1)) ;;
      "not ok "*) failed=$((failed + 1)) ;;
    esac
  done
}

# A suite that could not run at all counts as one failure.
suite_failed() {
  echo "not ok - $1"
  failed=$((failed + 1))
}

run_regress() {
  echo "# pg_regress suite (make installcheck)"
  local out
  out=$(make -s installcheck 2>&1)
  tally < <(echo "$out" | grep -E '^test ' |
    sed -E 's/^test ([a-z_0-9]+) +\.\.\. ok.*/ok - regress \1/; s/^test ([a-z_0-9]+) +\.\.\. FAILED.*/not ok - regress \1/')
  if ! grep -qE '^test .*\.\.\. (ok|FAILED)' <<<"$out"; then
    echo "$out" | tail -20
    suite_failed "regress: pg_regress did not run"
  fi
  [[ -f regression.diffs ]] && head -100 regression.diffs
}

run_unit() {
  [[ -f sink/Makefile ]] || return 0
  echo "# sink unit tests (make -C sink check)"
  local out
  if ! out=$(make -s -C sink check 2>&1); then
    echo "$out" | grep -vE '^(ok|not ok) ' | tail -20
  fi
  tally < <(echo "$out" | grep -E '^(ok|not ok) ' | sed 's/^\(not \)\{0,1\}ok [0-9]* *-*/&unit /')
  grep -qE '^(ok|not ok) ' <<<"$out" || suite_failed "unit: sink unit tests did not run"
}

run_fidelity() {
  [[ -x test/debezium/fidelity.sh ]] || return 0
  echo "# fidelity against recorded Debezium output (test/debezium/fidelity.sh)"
  tally < <(test/debezium/fidelity.sh 2>&1)
  echo "# the same against Debezium running live (test/debezium/live.sh)"
  [[ -x test/debezium/live.sh ]] && tally < <(test/debezium/live.sh 2>&1)
}

run_valgrind() {
  [[ -x test/valgrind.sh ]] || return 0
  echo "# the plugin under valgrind (test/valgrind.sh)"
  tally < <(test/valgrind.sh 2>&1)
}

run_sanitize() {
  [[ -x test/sanitize.sh ]] || return 0
  echo "# the sink under ASan/UBSan/LSan, then TSan (test/sanitize.sh)"
  tally < <(test/sanitize.sh 2>&1)
}

run_docker() {
  [[ -x test/docker_lint.sh ]] || return 0
  echo "# docker/ checked offline (test/docker_lint.sh)"
  tally < <(test/docker_lint.sh 2>&1)
}

run_e2e() {
  local t
  for t in test/sink/e2e_*.sh; do
    [[ -x $t ]] || continue
    echo "# end to end: $t"
    tally < <("$t" 2>&1)
  done
}

suites=("$@")
((${#suites[@]})) || suites=(regress valgrind sanitize unit fidelity docker e2e)
for s in "${suites[@]}"; do
  case $s in
    regress) run_regress ;;
    unit) run_unit ;;
    fidelity) run_fidelity ;;
    valgrind) run_valgrind ;;
    sanitize) run_sanitize ;;
    docker) run_docker ;;
    e2e) run_e2e ;;
    *) echo "run-all.sh: unknown suite \"$s\"" >&2; exit 2 ;;
  esac
done

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
