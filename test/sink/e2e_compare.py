#!/usr/bin/env python3
# -------------------------------------------------------------------------
#
# e2e_compare.py
#	  Compare what wal2dbz-sink produced to Kafka with the plugin's own
#	  "record" output for the same changes, and print TAP lines.
#
# Usage: e2e_compare.py FIRST_TEST_NUMBER PARTITIONS EXPECTED.jsonl KAFKA.jsonl PREFIX
#
#   EXPECTED.jsonl  pg_logical_slot_peek_changes(..., 'output.format',
#                   'record', ...) lines: {"topic":..,"key":..,"value":..}
#   KAFKA.jsonl     kcat -C -e -J lines of every topic
#
# Checks: the same records per topic, none missing and none repeated;
# keys and values equal as JSON (apart from the envelope's ts_ms, ts_us and
# ts_ns, which are the time of decoding); each record on the partition the
# Java client's murmur2 partitioner picks for its key; the order of the
# records of each key as in PostgreSQL; headers equal, apart from the
# __debezium.context.* headers the sink adds to every table record (as
# Debezium 3.4+ does), which are checked on their own.  Prints the TAP
# lines, numbered from FIRST_TEST_NUMBER, and exits with the number printed.
#
# test/sink/e2e_compare.py
#
# -------------------------------------------------------------------------
import json
import re
import sys
from collections import defaultdict

CONTEXT = "__debezium.context."
UUID7 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def murmur2(data: bytes) -> int:
    """Kafka's Utils.murmur2 (the Java client's default partitioner)."""
    length = len(data)
    m = 0x5BD1E995
    r = 24
    h = (0x9747B28C ^ length) & 0xFFFFFFFF
    for i in range(length // 4):
        i4 = i * 4
        k = data[i4] | (data[i4 + 1] << 8) | (data[i4 + 2] << 16) | (data[i4 + 3] << 24)
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> r
        k = (k * m) & 0xFFFFFFFF
        h = (h * m) & 0xFFFFFFFF
        h ^= k
    rest = length % 4
    base = length & ~3
    if rest >= 3:
        h ^= data[base + 2] << 16
    if rest >= 2:
        h ^= data[base + 1] << 8
    if rest >= 1:
        h ^= data[base]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h


def java_partition(key: bytes, partitions: int) -> int:
    """Utils.toPositive(Utils.murmur2(key)) % partitions."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


def strip_times(value):
    """Drop the envelope's decode-time fields, with or without schema."""
    if value is None:
        return None
    body = value["payload"] if "schema" in value and "payload" in value else value
    if isinstance(body, dict):
        for field in ("ts_ms", "ts_us", "ts_ns"):
            body.pop(field, None)
    return value


def canon(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


class Tap:
    def __init__(self, first):
        self.n = first - 1

    def ok(self, cond, name, diag=None):
        self.n += 1
        print(("ok" if cond else "not ok") + " %d - %s" % (self.n, name))
        if not cond and diag:
            for line in str(diag).splitlines()[:10]:
                print("#   " + line)
        return cond


def main():
    first, partitions, prefix = int(sys.argv[1]), int(sys.argv[2]), sys.argv[5]
    tap = Tap(first)

    # Kafka's own test vectors for Utils.murmur2
    tap.ok(murmur2(b"21") == (-973932308) & 0xFFFFFFFF
           and murmur2(b"foobar") == (-790332482) & 0xFFFFFFFF
           and murmur2(b"a-little-bit-long-string") == (-985981536) & 0xFFFFFFFF,
           "murmur2 of this test matches Kafka's test vectors")

    expected = []
    with open(sys.argv[3]) as f:
        for line in f:
            if line.strip():
                rec = json.loads(line)
                expected.append(rec)
    got = []
    with open(sys.argv[4]) as f:
        for line in f:
            if line.strip():
                got.append(json.loads(line))

    tap.ok(len(expected) > 0, "the plugin produced %d records" % len(expected))

    # per topic: same number of records
    exp_topics = defaultdict(list)
    for rec in expected:
        exp_topics[rec["topic"]].append(rec)
    got_topics = defaultdict(list)
    for msg in got:
        got_topics[msg["topic"]].append(msg)
    tap.ok(sorted(exp_topics) == sorted(got_topics),
           "the same topics (%s)" % ", ".join(sorted(exp_topics)),
           "expected %s\ngot %s" % (sorted(exp_topics), sorted(got_topics)))
    for topic in sorted(exp_topics):
        tap.ok(len(exp_topics[topic]) == len(got_topics.get(topic, [])),
               "%s: %d records, none lost or repeated" % (topic, len(exp_topics[topic])),
               "kafka has %d" % len(got_topics.get(topic, [])))

    # partitions
    bad = []
    for msg in got:
        if msg["key"] is None:
            continue
        want = java_partition(msg["key"].encode("utf-8"), partitions)
        if msg["partition"] != want:
            bad.append("%s offset %d key %s: partition %d, murmur2 says %d"
                       % (msg["topic"], msg["offset"], msg["key"], msg["partition"], want))
    tap.ok(not bad, "every keyed record is on partition murmur2(key) %% %d" % partitions,
           "\n".join(bad))

    # Debezium's context headers on every table record, one run id per run
    bad = []
    run_ids = set()
    for msg in got:
        h = msg.get("headers") or []
        ctx = {h[i][len(CONTEXT):]: h[i + 1] for i in range(0, len(h), 2)
               if h[i].startswith(CONTEXT)}
        if [h[i] for i in range(0, len(h), 2) if h[i].startswith(CONTEXT)] != \
                [CONTEXT + n for n in ("connectorLogicalName", "taskId", "connectorName", "runId")]:
            bad.append("%s offset %d: context headers %s" % (msg["topic"], msg["offset"], h))
        elif (ctx["connectorLogicalName"] != prefix or ctx["taskId"] != "0"
              or ctx["connectorName"] != "postgresql" or not UUID7.match(ctx["runId"])):
            bad.append("%s offset %d: %s" % (msg["topic"], msg["offset"], ctx))
        else:
            run_ids.add(ctx["runId"])
    tap.ok(not bad, "every record ends with the four __debezium.context.* headers",
           "\n".join(bad[:3]))

    # keys are JSON equal to the plugin's, values too (apart from decode times),
    # and the records of each key come in PostgreSQL's order
    for topic in sorted(exp_topics):
        exp_by_key = defaultdict(list)
        for rec in exp_topics[topic]:
            exp_by_key[canon(rec["key"])].append(
                (canon(strip_times(rec["value"])), canon(rec.get("headers") or {})))
        got_sorted = sorted(got_topics.get(topic, []),
                            key=lambda m: (m["partition"], m["offset"]))
        got_by_key = defaultdict(list)
        bad_json = []
        for msg in got_sorted:
            try:
                key = None if msg["key"] is None else json.loads(msg["key"])
                value = None if msg["payload"] is None else json.loads(msg["payload"])
            except ValueError as e:
                bad_json.append("offset %d: %s" % (msg["offset"], e))
                continue
            headers = {}
            for i in range(0, len(msg.get("headers") or []), 2):
                if not msg["headers"][i].startswith(CONTEXT):
                    headers[msg["headers"][i]] = msg["headers"][i + 1]
            got_by_key[canon(key)].append((canon(strip_times(value)), canon(headers)))
        tap.ok(not bad_json, "%s: keys and values are JSON" % topic, "\n".join(bad_json))
        tap.ok(sorted(exp_by_key) == sorted(got_by_key), "%s: the same keys" % topic,
               "missing %s\nextra %s" % (sorted(set(exp_by_key) - set(got_by_key))[:3],
                                         sorted(set(got_by_key) - set(exp_by_key))[:3]))
        diffs = []
        for key in exp_by_key:
            if exp_by_key[key] != got_by_key.get(key):
                diffs.append("key %s:\n expected %s\n got      %s"
                             % (key[:200], [v[0][:300] for v in exp_by_key[key]],
                                [v[0][:300] for v in got_by_key.get(key, [])]))
        tap.ok(not diffs, "%s: values and headers equal, in PostgreSQL's order per key" % topic,
               "\n".join(diffs[:3]))

    print("# compared %d records; %d run id(s)" % (len(expected), len(run_ids)))
    return tap.n


if __name__ == "__main__":
    last = main()
    with open(sys.argv[4] + ".tapcount", "w") as f:
        f.write(str(last))
