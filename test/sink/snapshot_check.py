#!/usr/bin/env python3
# -------------------------------------------------------------------------
#
# snapshot_check.py
#	  Check what wal2dbz-sink produced to Kafka around initial snapshots,
#	  for the e2e_snapshot*.sh tests.  Prints "ok<TAB>what" or
#	  "not ok<TAB>what" lines, and "# detail" lines.
#
# Usage: snapshot_check.py [--strict] [--runs N] [--nokey TOPIC]...
#                          KAFKA.jsonl EXPECTED.tsv
#
#   KAFKA.jsonl   kcat -C -e -J lines of the topics to check
#   EXPECTED.tsv  "topic<TAB>hex" lines: the frames of
#                 wal2dbz.snapshot_frames() of each table as it is now
#                 (schemas disabled): the plugin's own encoding of every
#                 current row, the final state each key must reach
#
# Checks, per topic with keys (tables with a primary key, REPLICA
# IDENTITY FULL so that "before" is the whole old row):
#   - the last record of every key is the row as it is now (deleted rows
#     end with a "d"), encoded exactly as the function encodes it: an "r"
#     record and a streamed record of the same row are byte-for-byte alike
#   - the records of every key chain: each "u" or "d" has as "before" the
#     "after" of the record before it, each "c" follows nothing or a "d";
#     a change missed or delivered twice breaks the chain
#   - --skip TOPIC: no per-topic checks of TOPIC (its r records still
#     count for the markers)
#   - --partial LSN: the snapshot at LSN was interrupted (not counted by
#     --runs, markers not checked)
#   - --strict (one snapshot from the slot's exported snapshot): at most
#     one "r" per key and it comes first; otherwise (snapshots of an
#     existing slot, at least once) a change may also chain from the last
#     streamed record before a later "r"
# Per topic without keys (--nokey, insert-only tables): the set of rows in
# "r" and "c" records equals the table (with --strict: the multiset, so
# each row exactly once).
# Per snapshot (its "r" records share source.lsn): exactly one "first" and
# one "last", one first_in_data_collection and last_in_data_collection per
# other table, and "first" / "last" are the earliest / latest produced
# (Kafka timestamps).  --runs N: exactly N snapshots.
#
# test/sink/snapshot_check.py
#
# -------------------------------------------------------------------------
import json
import struct
import sys
from collections import Counter, defaultdict

results = []


def report(ok, what, details=()):
    results.append(("ok" if ok else "not ok", what))
    print(("ok" if ok else "not ok") + "\t" + what)
    for d in list(details)[:5]:
        print("# " + d)


def canon(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def payload(text):
    """The payload of a key or value, with or without its schema part."""
    if text is None:
        return None
    obj = json.loads(text)
    if isinstance(obj, dict) and "schema" in obj and "payload" in obj:
        return obj["payload"]
    return obj


def parse_frames(hexes):
    """Decode the frames of one snapshot_frames() call: [(key, value)]."""
    out = []
    for h in hexes:
        b = bytes.fromhex(h)
        kind = chr(b[2])
        tl, = struct.unpack(">H", b[28:30])
        kl, vl = struct.unpack(">ii", b[32:40])
        pos = 40 + tl
        key = b[pos:pos + kl].decode() if kl >= 0 else None
        pos += max(kl, 0)
        value = b[pos:pos + vl].decode() if vl >= 0 else None
        if kind == "R":
            out.append((key, value))
    return out


def main(argv):
    strict = False
    runs = None
    nokey = set()
    partial = set()
    skip = set()
    args = []
    i = 0
    while i < len(argv):
        if argv[i] == "--strict":
            strict = True
        elif argv[i] == "--runs":
            i += 1
            runs = int(argv[i])
        elif argv[i] == "--skip":
            i += 1
            skip.add(argv[i])
        elif argv[i] == "--partial":
            i += 1
            partial.add(int(argv[i]))
        elif argv[i] == "--nokey":
            i += 1
            nokey.add(argv[i])
        else:
            args.append(argv[i])
        i += 1
    kafka_path, expected_path = args

    # the final state every key must reach
    expected_hex = defaultdict(list)
    with open(expected_path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line:
                topic, h = line.split("\t")
                expected_hex[topic].append(h)
    expected = {}
    for topic, hexes in expected_hex.items():
        rows = {}
        plain = []
        for key, value in parse_frames(hexes):
            after = json.loads(value)["after"]
            if key is None:
                plain.append(canon(after))
            else:
                rows[canon(json.loads(key))] = canon(after)
        expected[topic] = (rows, plain)

    # what Kafka holds, per topic and key, in offset order
    records = defaultdict(lambda: defaultdict(list))
    snapshots = defaultdict(list)   # source.lsn -> r records
    with open(kafka_path) as f:
        for line in f:
            m = json.loads(line)
            v = payload(m.get("payload"))
            if v is None:
                continue        # tombstone
            k = payload(m.get("key"))
            rec = {
                "op": v["op"],
                "before": canon(v["before"]) if v.get("before") is not None else None,
                "after": canon(v["after"]) if v.get("after") is not None else None,
                "snapshot": v["source"]["snapshot"],
                "lsn": v["source"]["lsn"],
                "ts": m["ts"],
                "partition": m["partition"],
                "offset": m["offset"],
                "topic": m["topic"],
            }
            records[m["topic"]][canon(k) if k is not None else None].append(rec)
            if rec["op"] == "r":
                snapshots[rec["lsn"]].append(rec)
    for topic in records:
        for recs in records[topic].values():
            recs.sort(key=lambda r: (r["partition"], r["offset"]))

    # the position of the latest snapshot: in a snapshot of an existing
    # slot, changes before it may come again, even for rows it no longer saw
    last_snapshot = max(snapshots) if snapshots else 0

    for topic in sorted(set(expected) | set(records)):
        if topic in skip:
            continue
        rows, plain = expected.get(topic, ({}, []))
        keyed = records.get(topic, {})
        if topic in nokey:
            got = [r["after"] for r in keyed.get(None, []) if r["op"] in ("r", "c")]
            if strict:
                ok = Counter(got) == Counter(plain)
                report(ok, "%s: each of its %d rows exactly once in r and c records" %
                       (topic, len(plain)),
                       ["%d record(s), %d distinct; %d row(s) in the table" %
                        (len(got), len(set(got)), len(plain))])
            else:
                ok = set(got) == set(plain)
                report(ok, "%s: its %d rows are in r and c records" % (topic, len(plain)),
                       ["%d distinct row(s) in Kafka, %d in the table" %
                        (len(set(got)), len(set(plain)))])
            continue

        # final state
        bad = []
        for key in sorted(set(rows) | set(k for k in keyed if k is not None)):
            recs = keyed.get(key, [])
            last = None
            if recs:
                last = None if recs[-1]["op"] == "d" else recs[-1]["after"]
            if last != rows.get(key):
                bad.append("key %s: Kafka ends with %s, the table has %s" %
                           (key, last, rows.get(key)))
        report(not bad, "%s: the last record of each of %d keys is the row as the function encodes it (%d rows now)"
               % (topic, len(keyed), len(rows)), bad)

        # chains
        bad = []
        for key, recs in keyed.items():
            prev = None
            streamed = None     # after of the last streamed (non-r) record
            for r in recs:
                if r["op"] == "r":
                    if strict and prev is not None:
                        bad.append("key %s: r record after a %s record" % (key, prev["op"]))
                elif r["op"] == "c":
                    if prev is not None and prev["op"] != "d" and \
                            (strict or prev["op"] != "r"):
                        bad.append("key %s: c record after a %s record (offset %d)" %
                                   (key, prev["op"], r["offset"]))
                elif r["op"] in ("u", "d"):
                    anchors = set()
                    if prev is not None and prev["op"] != "d":
                        anchors.add(prev["after"])
                    if not strict and streamed is not None:
                        anchors.add(streamed)
                    # at least once: a change from before a snapshot of an
                    # existing slot may come again after its "r" record
                    replay = not strict and streamed is None and (
                        (prev is not None and prev["op"] == "r") or
                        (prev is None and r["lsn"] < last_snapshot))
                    if r["before"] not in anchors and not replay:
                        bad.append("key %s: %s record (offset %d) has before %s, not the previous after %s" %
                                   (key, r["op"], r["offset"], r["before"],
                                    prev["after"] if prev else None))
                if r["op"] != "r":
                    streamed = r["after"]
                prev = r
        report(not bad, "%s: the records of each key chain (no change missed or doubled)" % topic, bad)

        if strict:
            bad = []
            for key, recs in keyed.items():
                n = sum(1 for r in recs if r["op"] == "r")
                if n > 1:
                    bad.append("key %s: %d r records" % (key, n))
            report(not bad, "%s: no row twice in the snapshot" % topic, bad)

    # markers of every snapshot
    for lsn in partial:
        snapshots.pop(lsn, None)
    if runs is not None:
        report(len(snapshots) == runs, "%d snapshot(s) in Kafka (wanted %d)" % (len(snapshots), runs),
               ["snapshot at lsn %d: %d records" % (lsn, len(recs))
                for lsn, recs in sorted(snapshots.items())])
    for lsn, recs in sorted(snapshots.items()):
        bad = []
        marks = Counter(r["snapshot"] for r in recs)
        if marks["first"] != 1 or marks["last"] != 1:
            bad.append("first: %d, last: %d" % (marks["first"], marks["last"]))
        per_table = defaultdict(list)
        for r in recs:
            per_table[r["topic"]].append(r)
        for topic, trecs in per_table.items():
            m = Counter(r["snapshot"] for r in trecs)
            if len(trecs) > 1 and m["first"] + m["first_in_data_collection"] != 1:
                bad.append("%s: %d first marker(s)" % (topic, m["first"] + m["first_in_data_collection"]))
            # a one-row first table's only record is "first" (Debezium's marking)
            if (m["last"] + m["last_in_data_collection"] != 1 and
                    not (len(trecs) == 1 and m["first"] == 1)):
                bad.append("%s: %d last marker(s)" % (topic, m["last"] + m["last_in_data_collection"]))
        ts_min = min(r["ts"] for r in recs)
        ts_max = max(r["ts"] for r in recs)
        for r in recs:
            if r["snapshot"] == "first" and r["ts"] != ts_min:
                bad.append("the first record was produced at %d, after another at %d" % (r["ts"], ts_min))
            if r["snapshot"] == "last" and r["ts"] != ts_max:
                bad.append("the last record was produced at %d, before another at %d" % (r["ts"], ts_max))
        report(not bad, "snapshot at lsn %d (%d records, %d tables): first, last and per-table markers"
               % (lsn, len(recs), len(per_table)), bad)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
