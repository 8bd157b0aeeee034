#!/usr/bin/env python3
# -------------------------------------------------------------------------
#
# ch_compare.py
#	  Compare PostgreSQL tables with the ClickHouse tables the ClickHouse
#	  stage keeps (SELECT ... FINAL WHERE is_deleted = 0), row for row.
#
# Usage: ch_compare.py [--quiet] [--tap N] CH_URL PG_TABLE=CH_DB.CH_TABLE ...
#
# PostgreSQL is reached through psql and the PG* environment; ClickHouse
# through its HTTP interface (or anything that speaks it).  Rows are
# matched by the ClickHouse table's sorting key; values are compared by
# the ClickHouse column's type and the Connect type in its comment:
# decimals exactly, timestamps to the column's precision (whole seconds
# for DateTime), bytes as hex, JSON as parsed JSON, Float32 as float32,
# a null array as an empty one.
#
# Prints one TAP line per table (numbered from N + 1 with --tap N) with
# up to 10 differences as diagnostics; --quiet prints nothing.  Exits 0
# if every table matches.
#
# test/sink/ch_compare.py
#
# -------------------------------------------------------------------------
import datetime
import decimal
import json
import struct
import subprocess
import sys
import urllib.parse
import urllib.request

SETTINGS = "output_format_json_quote_64bit_integers=0&output_format_json_quote_denormals=1"


def ch_query(url, sql):
    req = urllib.request.Request(url.rstrip("/") + "/?" + SETTINGS, data=sql.encode())
    with urllib.request.urlopen(req, timeout=60) as resp:
        return resp.read()


def ch_rows(url, sql):
    out = []
    for line in ch_query(url, sql + " FORMAT JSONEachRow").splitlines():
        if line.strip():
            out.append(json.loads(line.decode("utf-8", "surrogateescape")))
    return out


def pg_rows(table):
    sql = "SET timezone = 'UTC'; SELECT row_to_json(t) FROM %s t" % table
    res = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql],
                         check=True, capture_output=True)
    return [json.loads(line) for line in res.stdout.decode().splitlines() if line.strip()]


def parse_ts(s):
    """A timestamp from PostgreSQL's JSON or ClickHouse's text, as (datetime UTC, microseconds)."""
    s = s.replace("T", " ")
    off = datetime.timedelta(0)
    for sign in ("+", "-"):
        i = s.rfind(sign, 11)
        if i > 0:
            hh, _, mm = s[i + 1:].partition(":")
            off = datetime.timedelta(hours=int(hh), minutes=int(mm or 0))
            if sign == "-":
                off = -off
            s = s[:i]
            break
    s = s.rstrip("Z")
    base, _, frac = s.partition(".")
    dt = datetime.datetime.strptime(base, "%Y-%m-%d %H:%M:%S") - off
    return dt, int((frac + "000000")[:6])


def norm(value, ctype, comment, side):
    """A comparable form of one value."""
    if value is None:
        return [] if ctype.startswith("Array(") else None
    inner = ctype
    while inner.startswith("Nullable(") or inner.startswith("LowCardinality("):
        inner = inner[inner.index("(") + 1:-1]
    if inner.startswith("Array("):
        elem = inner[6:-1]
        ecomment = comment.replace("array ", "", 1)
        return [norm(v, elem, ecomment, side) for v in value]
    if comment.startswith("wal2dbz: bytes") and "Decimal" not in comment:
        if side == "pg":
            return value[2:] if value.startswith("\\x") else value
        return value.encode("utf-8", "surrogateescape").hex()
    if inner.startswith("Decimal"):
        return decimal.Decimal(str(value))
    if inner.startswith("DateTime"):
        digits = 0
        if inner.startswith("DateTime64("):
            digits = int(inner[11:].split(",")[0].rstrip(")"))
        dt, us = parse_ts(value)
        us = us // 10 ** (6 - min(digits, 6))
        return (dt, us)
    if inner.startswith("Float32"):
        return struct.unpack("f", struct.pack("f", float(value)))[0]
    if inner.startswith("Float64"):
        return float(value)
    if inner in ("Bool", "UInt8") and "boolean" in comment:
        return bool(value)
    if "io.debezium.data.Json" in comment:
        return json.loads(value) if isinstance(value, str) and side == "ch" else value
    if inner.startswith(("Int", "UInt")):
        return int(value)
    return value


def compare(url, pg_table, ch_table):
    db, _, name = ch_table.partition(".")
    cols = ch_rows(url, "SELECT name, type, comment FROM system.columns WHERE database = '%s' AND table = '%s'" % (db, name))
    types = {c["name"]: (c["type"], c["comment"]) for c in cols if c["name"] not in ("_version", "is_deleted")}
    skey = ch_rows(url, "SELECT sorting_key FROM system.tables WHERE database = '%s' AND name = '%s'" % (db, name))
    sk = skey[0]["sorting_key"].strip() if skey else ""
    if sk.startswith("(") and sk.endswith(")"):
        sk = sk[1:-1]
    keys = [k.strip().strip("`") for k in sk.split(",")] if sk else []
    ch = ch_rows(url, "SELECT * FROM `%s`.`%s` FINAL WHERE is_deleted = 0" % (db, name))
    pg = pg_rows(pg_table)
    diffs = []

    def keyed(rows, side):
        out = {}
        for r in rows:
            k = tuple(norm(r.get(c), types[c][0], types[c][1], side) for c in keys)
            if k in out:
                diffs.append("%s: key %r twice" % (side, k))
            out[k] = r
        return out

    pgk = keyed(pg, "pg")
    chk = keyed(ch, "ch")
    for k in sorted(set(pgk) - set(chk), key=repr)[:10]:
        diffs.append("missing in ClickHouse: %r" % (k,))
    for k in sorted(set(chk) - set(pgk), key=repr)[:10]:
        diffs.append("only in ClickHouse: %r" % (k,))
    for k in sorted(set(pgk) & set(chk), key=repr):
        for c, (ctype, comment) in types.items():
            a = norm(pgk[k].get(c), ctype, comment, "pg")
            b = norm(chk[k].get(c), ctype, comment, "ch")
            if a != b:
                diffs.append("key %r column %s: PostgreSQL %r, ClickHouse %r" % (k, c, a, b))
    return len(pg), len(ch), diffs


def main():
    args = sys.argv[1:]
    quiet = False
    tap = 0
    while args and args[0].startswith("--"):
        if args[0] == "--quiet":
            quiet = True
            args = args[1:]
        elif args[0] == "--tap":
            tap = int(args[1])
            args = args[2:]
    url = args[0]
    ok_all = True
    for pair in args[1:]:
        pg_table, _, ch_table = pair.partition("=")
        try:
            npg, nch, diffs = compare(url, pg_table, ch_table)
        except Exception as e:     # noqa: BLE001 - reported as a failure
            npg, nch, diffs = 0, 0, ["error: %s" % e]
        tap += 1
        ok = not diffs
        ok_all &= ok
        if not quiet:
            print("%s %d - %s equals %s (%d rows in PostgreSQL, %d in ClickHouse)" % (
                "ok" if ok else "not ok", tap, ch_table, pg_table, npg, nch))
            for d in diffs[:10]:
                print("#   " + d.replace("\n", "\\n"))
            if len(diffs) > 10:
                print("#   ... %d more" % (len(diffs) - 10))
    sys.exit(0 if ok_all else 1)


if __name__ == "__main__":
    main()
