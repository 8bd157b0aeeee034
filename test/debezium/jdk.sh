#!/usr/bin/env bash
# Choose the JDK that runs DbzRunner; sourced by capture.sh and run-captures.sh (or run it: prints
# the choice). After sourcing: DBZ_JAVA (the java binary), DBZ_JAVA_VERSION (e.g. 25.0.3),
# DBZ_JAVA_MAJOR (25), DBZ_JAVA_DESC (one line for logs/README); JAVA_HOME exported.
#
# Order: $JAVA_HOME if set (must contain bin/java); else the newest JDK >= 21 under /usr/lib/jvm
# (DBZ_JVM_DIR); else `java` on PATH.
# Why it matters: Debezium's own container images run JDK 21, and Float/Double.toString changed in
# JDK 19 (shortest round-trip digits, JDK-4511638): float4 123456789.123 is 1.2345679E8 on 19+ but
# 1.23456792E8 on 17. Captures made with JDK < 19 therefore differ from what Debezium publishes in
# production; a warning is printed for such a JDK.

_dbz_jdk_version() {   # $1 = java binary -> prints the full version (e.g. 25.0.3 or 1.8.0_402)
    local home rel v
    home=$(dirname "$(dirname "$(readlink -f "$1")")")
    rel=$home/release
    if [[ -f $rel ]] && v=$(sed -n 's/^JAVA_VERSION="\(.*\)"$/\1/p' "$rel") && [[ -n $v ]]; then
        echo "$v"; return
    fi
    "$1" -version 2>&1 | sed -n 's/^[^ ]* version "\([^"]*\)".*/\1/p' | head -1
}

_dbz_jdk_major() {     # 1.8.0_402 -> 8, 17.0.15 -> 17, 25 -> 25
    local v=$1
    [[ $v == 1.* ]] && v=${v#1.}
    v=${v%%[.+_-]*}
    [[ $v =~ ^[0-9]+$ ]] && echo "$v" || echo 0
}

dbz_choose_jdk() {
    local java='' ver major best='' bestmajor=0 d
    if [[ -n ${JAVA_HOME:-} ]]; then
        java=$JAVA_HOME/bin/java
        [[ -x $java ]] || { echo "jdk.sh: JAVA_HOME=$JAVA_HOME has no bin/java" >&2; return 1; }
    else
        for d in "${DBZ_JVM_DIR:-/usr/lib/jvm}"/*/; do
            [[ -x ${d}bin/java ]] || continue
            ver=$(_dbz_jdk_version "${d}bin/java")
            major=$(_dbz_jdk_major "$ver")
            if (( major >= 21 && major > bestmajor )); then best=${d%/}/bin/java bestmajor=$major; fi
        done
        if [[ -n $best ]]; then
            java=$best
        else
            java=$(command -v java) || { echo "jdk.sh: no JDK >= 21 under ${DBZ_JVM_DIR:-/usr/lib/jvm} and no java on PATH" >&2; return 1; }
        fi
    fi
    DBZ_JAVA=$java
    DBZ_JAVA_VERSION=$(_dbz_jdk_version "$java")
    DBZ_JAVA_MAJOR=$(_dbz_jdk_major "$DBZ_JAVA_VERSION")
    JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$java")")")
    export JAVA_HOME
    DBZ_JAVA_DESC="$("$java" -version 2>&1 | sed -n 2p) ($JAVA_HOME)"
    if (( DBZ_JAVA_MAJOR < 19 )); then
        echo "jdk.sh: warning: Java $DBZ_JAVA_VERSION < 19 formats float/double differently from" \
             "Debezium's images (JDK 21); set JAVA_HOME to a JDK >= 21" >&2
    fi
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    set -euo pipefail
    dbz_choose_jdk
    echo "$DBZ_JAVA ($DBZ_JAVA_VERSION): $DBZ_JAVA_DESC"
fi
