#!/usr/bin/env python3
# -------------------------------------------------------------------------
#
# lib_replay.py
#	  Replay what wal2dbz-sink wrote to Kafka, key by key, and compare it
#	  with PostgreSQL: the durability check of e2e_kill.sh and
#	  e2e_broker_stop.sh.  Prints TAP lines.
#
# Usage: lib_replay.py --first N --partitions P --kafka KAFKA.jsonl
#            --table TOPIC=ROWS.jsonl:KEYCOL[,KEYCOL...] ...
#            [--reference REF.tsv] [--runs RUNS.txt]
#
#   KAFKA.jsonl  kcat -C -e -J lines of every topic of the prefix, or the
#                tab-separated lines of lib_e2e.sh's dump_topics_tsv
#   ROWS.jsonl   the table's rows, one row_to_json(t) per line
#   REF.tsv      lsn TAB xid TAB data of pg_logical_slot_peek_changes() of a
#                second wal2dbz slot in "record" format with
#                provide.transaction.metadata, created before the load: the
#                plugin's own list of every change, and each transaction's
#                commit (end) LSN from its END record
#   RUNS.txt     one line per sink process that was stopped before the
#                last: "run K CONFIRMED_LSN" (the slot's confirmed position
#                read just before the process was killed or found dead),
#                then "hw K TOPIC PARTITION END_OFFSET" lines (the
#                partitions' end offsets once it was gone)
#
# The records of a key are replayed in partition offset order (one key,
# one partition).  Checks:
#   - every key on partition murmur2(key) % P, as the Java client;
#   - every row of PostgreSQL is in Kafka with its final value (missing
#     rows are counted and printed), and every key that Kafka shows alive
#     is a row of PostgreSQL;
#   - every key that ends deleted ends with a delete followed by a
#     tombstone;
# and with REF.tsv:
#   - the plugin's own stream replays to the same final state (sanity);
#   - every change event of it is in Kafka, equal apart from processing
#     times and "sequence" (which names the last commit of the decoding
#     session and so differs after a restart), none unknown;
#   - per key, Kafka's records are the reference's in order, apart from
#     repeats that restart from an earlier record (a re-delivery);
# and with RUNS.txt as well:
#   - every repeat was written by a later process than its first copy and
#     belongs to a transaction that committed after the position the slot
#     had confirmed when the process before it stopped: duplicates only from
#     the unacknowledged window.
#
# test/sink/lib_replay.py
#
# -------------------------------------------------------------------------
import argparse
import json
import os
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_compare import java_partition  # noqa: E402

DELETED = object()


def canon(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def parse_lsn(text):
    hi, lo = text.split("/")
    return (int(hi, 16) << 32) | int(lo, 16)


def fmt_lsn(v):
    return "%X/%X" % (v >> 32, v & 0xFFFFFFFF)


def body(value):
    """The envelope, with or without the schema part."""
    if isinstance(value, dict) and "payload" in value and "schema" in value:
        return value["payload"]
    return value


def stable(value):
    """The envelope without what depends on when and in which session it was
    decoded: ts_*, source.sequence and the transaction block (compared as
    dicts: JSON numbers, strings and nesting, not the text)."""
    b = dict(body(value))
    for f in ("ts_ms", "ts_us", "ts_ns", "transaction"):
        b.pop(f, None)
    src = dict(b.get("source") or {})
    src.pop("sequence", None)
    b["source"] = src
    return b


_keys = {}


def key_of(text_or_obj):
    """A key as a hashable value (its fields, sorted), from Kafka's key text
    or a dict; a key with its schema stands for its payload."""
    if isinstance(text_or_obj, str):
        k = _keys.get(text_or_obj)
        if k is None:
            k = _keys[text_or_obj] = key_of(json.loads(text_or_obj))
        return k
    return tuple(sorted(body(text_or_obj).items()))


class Tap:
    def __init__(self, first):
        self.n = first - 1

    def ok(self, cond, name, diag=()):
        self.n += 1
        print(("ok" if cond else "not ok") + " %d - %s" % (self.n, name))
        if not cond:
            for line in list(diag)[:8]:
                print("#   " + str(line)[:400])
        return cond


def event_id(v):
    """Identity of a change event within its key."""
    b = body(v)
    src = b.get("source") or {}
    return (b.get("op"), src.get("lsn"), src.get("txId"))


def replay(seq):
    """Final state of a key from its records (value dicts or None)."""
    state = None
    for v in seq:
        if v is None:
            continue
        b = body(v)
        state = DELETED if b["op"] == "d" else b["after"]
    return state


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--first", type=int, required=True)
    ap.add_argument("--partitions", type=int, required=True)
    ap.add_argument("--kafka", required=True)
    ap.add_argument("--table", action="append", default=[])
    ap.add_argument("--reference")
    ap.add_argument("--runs")
    args = ap.parse_args()
    tap = Tap(args.first)

    # --- Kafka, per (topic, key), in offset order
    records = []
    with open(args.kafka) as f:
        for line in f:
            if not line.strip():
                continue
            if line.startswith("{"):	# kcat -J
                m = json.loads(line)
                records.append((m["topic"], m["partition"], m["offset"], m["key"], m["payload"]))
            else:					# dump_topics_tsv
                t, p, o, k, v = line.rstrip("\n").split("\t", 4)
                records.append((t, int(p), int(o), None if k == "NULL" else k,
                                None if v == "NULL" else v))
    records.sort(key=lambda r: (r[0], r[1], r[2]))
    by_key = defaultdict(list)		# (topic, canon key) -> [(partition, offset, value)]
    bad_part = []
    key_part = {}
    for topic, part, off, key, payload in records:
        if key is None:
            continue
        ck = (topic, key_of(key))
        value = None if payload is None else json.loads(payload)
        by_key[ck].append((part, off, value))
        want = java_partition(key.encode("utf-8"), args.partitions)
        if part != want and len(bad_part) < 5:
            bad_part.append("%s %s offset %d: partition %d, murmur2 says %d" % (topic, key, off, part, want))
        if key_part.setdefault(ck, part) != part and len(bad_part) < 5:
            bad_part.append("%s %s on partitions %d and %d" % (topic, key, key_part[ck], part))
    print("# kafka: %d records, %d keys" % (len(records), len(by_key)))
    tap.ok(not bad_part, "every key on one partition, murmur2(key) %% %d" % args.partitions, bad_part)

    # --- PostgreSQL
    tables = {}
    for spec in args.table:
        topic, rest = spec.split("=", 1)
        path, cols = rest.rsplit(":", 1)
        cols = cols.split(",")
        rows = {}
        with open(path) as f:
            for line in f:
                if line.strip():
                    row = json.loads(line)
                    rows[key_of({c: row[c] for c in cols})] = row
        tables[topic] = rows
    nrows = sum(len(r) for r in tables.values())

    final = {ck: replay([v for _, _, v in seq]) for ck, seq in by_key.items()}
    absent, stale, ghosts = [], [], []
    for topic, rows in tables.items():
        for ckey, row in rows.items():
            st = final.get((topic, ckey))
            if st is None or st is DELETED:
                absent.append("%s %s: %s in Kafka" % (topic, ckey, "not" if st is None else "deleted"))
            elif st != row:
                stale.append("%s %s: kafka %s, table %s" % (topic, ckey, canon(st), canon(row)))
    for (topic, ckey), st in final.items():
        if topic in tables and st is not None and st is not DELETED and ckey not in tables[topic]:
            ghosts.append("%s %s: alive in Kafka, not in the table" % (topic, ckey))
    missing = len(absent) + len(stale)
    print("# postgresql: %d rows; missing from Kafka: %d (%d absent, %d with an older value)"
          % (nrows, missing, len(absent), len(stale)))
    tap.ok(missing == 0, "every committed row is in Kafka with its final value (%d rows, %d missing)"
           % (nrows, missing), absent[:4] + stale[:4])
    tap.ok(not ghosts, "no deleted row is alive in Kafka (%d)" % len(ghosts), ghosts)

    bad_tomb = []
    deleted_keys = 0
    for ck, seq in by_key.items():
        if final[ck] is not DELETED:
            continue
        deleted_keys += 1
        vals = [v for _, _, v in seq]
        if vals[-1] is not None or len(vals) < 2 or vals[-2] is None or body(vals[-2])["op"] != "d":
            bad_tomb.append("%s %s ends with %s" % (ck[0], ck[1], [None if v is None else body(v)["op"] for v in vals[-3:]]))
    tap.ok(not bad_tomb, "every deleted key ends with a delete and a tombstone (%d keys)" % deleted_keys,
           bad_tomb)

    if not args.reference:
        return tap.n

    # --- the plugin's own stream
    commit = {}				# xid -> commit end LSN
    ref = defaultdict(list)	# (topic, canon key) -> [value or None]
    nref = 0
    with open(args.reference) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            lsn, xid, data = line.split("\t", 2)
            rec = json.loads(data)
            if rec["topic"].endswith(".transaction"):
                if rec["value"] and rec["value"].get("status") == "END":
                    commit[int(xid)] = parse_lsn(lsn)
                continue
            if rec["key"] is None:
                continue
            ref[(rec["topic"], key_of(rec["key"]))].append(rec["value"])
            nref += 1
    print("# reference: %d records, %d keys, %d transactions" % (nref, len(ref), len(commit)))

    ref_final = {ck: replay(seq) for ck, seq in ref.items()}
    bad = []
    for topic, rows in tables.items():
        for ckey, row in rows.items():
            st = ref_final.get((topic, ckey))
            if st is None or st is DELETED or st != row:
                bad.append("%s %s" % (topic, ckey))
    for (topic, ckey), st in ref_final.items():
        if st is not DELETED and topic in tables and ckey not in tables[topic]:
            bad.append("%s %s alive" % (topic, ckey))
    tap.ok(not bad, "the plugin's own stream replays to the table contents (sanity)", bad)

    # runs: which process wrote an offset, and what was confirmed before it
    confirmed = {}			# run k -> confirmed LSN when run k stopped
    hw = defaultdict(dict)  # run k -> (topic, partition) -> end offset
    if args.runs:
        with open(args.runs) as f:
            for line in f:
                p = line.split()
                if not p:
                    continue
                if p[0] == "run":
                    confirmed[int(p[1])] = parse_lsn(p[2])
                elif p[0] == "hw":
                    hw[int(p[1])][(p[2], int(p[3]))] = int(p[4])
    nruns = len(confirmed) + 1

    def run_of(topic, part, off):
        for k in sorted(confirmed):
            if off < hw[k].get((topic, part), 0):
                return k
        return nruns

    lost, unknown, order, badvalue, baddup = [], [], [], [], []
    dups = 0
    dups_by_run = defaultdict(int)
    for ck in set(ref) | set(by_key):
        exp = ref.get(ck, [])
        # identities: events by (op, lsn, txId), a tombstone by its delete
        ids, idx, txn = [], {}, []
        prev = None
        for v in exp:
            if v is None:
                i = ("tombstone", prev)
                txn.append(txn[-1] if txn else None)
            else:
                i = event_id(v)
                prev = i
                txn.append(body(v)["source"].get("txId"))
            idx.setdefault(i, len(ids))
            ids.append(i)
        seen = {}
        cur = 0
        prev = None
        for part, off, v in by_key.get(ck, []):
            if v is None:
                i = ("tombstone", prev)
            else:
                i = event_id(v)
                prev = i
            j = idx.get(i)
            if j is None:
                unknown.append("%s %s offset %d: %s" % (ck[0], ck[1], off, i))
                continue
            if v is not None and stable(v) != stable(exp[j]):
                badvalue.append("%s %s offset %d:\n  kafka %s\n  plugin %s"
                                % (ck[0], ck[1], off, canon(stable(v))[:300], canon(stable(exp[j]))[:300]))
            run = run_of(ck[0], part, off)
            if j > cur:
                order.append("%s %s offset %d: record %d of the key came after record %d"
                             % (ck[0], ck[1], off, j, cur - 1))
            if j in seen:
                dups += 1
                dups_by_run[run] += 1
                if args.runs is not None:
                    c = confirmed.get(run - 1)
                    end = commit.get(txn[j])
                    if seen[j] >= run or c is None or end is None or end <= c:
                        baddup.append("%s %s offset %d: repeat of record %d (first by process %d, again by %d; commit %s, confirmed before %s)"
                                      % (ck[0], ck[1], off, j, seen[j], run,
                                         fmt_lsn(end) if end else "?", fmt_lsn(c) if c else "-"))
            else:
                seen[j] = run
            cur = j + 1
        for j in range(len(ids)):
            if j not in seen:
                lost.append("%s %s: %s" % (ck[0], ck[1], ids[j]))
    print("# events lost %d, unknown %d, repeats %d (by process: %s)"
          % (len(lost), len(unknown), dups,
             ", ".join("%d: %d" % (k, dups_by_run[k]) for k in sorted(dups_by_run)) or "none"))
    tap.ok(not lost, "every change event of the plugin's stream is in Kafka (%d lost of %d)" % (len(lost), nref), lost)
    tap.ok(not unknown, "no record in Kafka that the plugin did not produce (%d)" % len(unknown), unknown)
    tap.ok(not badvalue, "keys and values equal to the plugin's, apart from decode times and sequence", badvalue)
    tap.ok(not order, "per key, Kafka has the plugin's order, apart from re-deliveries", order)
    if args.runs is not None:
        tap.ok(not baddup, "%d repeats, all re-deliveries of the unacknowledged window after a restart" % dups,
               baddup)
    return tap.n


if __name__ == "__main__":
    main()
