#!/usr/bin/env python3
"""Drain a wal2dbz logical slot into a DbzRunner-format capture (JSON lines).

usage: wal2dbz_capture.py OUT.jsonl DBNAME SLOT [name=value ...]

Runs, through psql (connection from PGHOST/PGPORT/PGUSER/..., psql from $PSQL or PATH),
    pg_logical_slot_get_binary_changes(SLOT, NULL, NULL, 'output.format', 'framed', name, value, ...)
and parses every frame of plugin/wal2dbz_frame.h with full length checks:
  'S' schema frames are remembered by schema id (topic, key prefix, value prefix);
  'R' records become one line each, in decoding order;
  'C' commit markers are checked and dropped.
A RECORD with a non-zero schema id gets the topic of its SCHEMA frame and the bytes
prefix + payload + "}" (just the payload when the prefix is empty; null stays null).
Headers: the frame's, and on table events (and outbox events) Debezium's four
__debezium.context.* headers where wal2dbz-sink puts them (runId a placeholder).

Output lines (like DbzRunner.java):
  {"topic":...,"partition":null,"key":"<utf-8>"|null,"value":"<utf-8>"|null,"headers":[[name,value],...]}
(key_base64 / value_base64 instead when the bytes are not valid UTF-8).
The slot is consumed (get, not peek). Exit 0 on success, 1 on a malformed frame or psql error.
Standard library only.
"""
import base64
import json
import os
import struct
import subprocess
import sys

MAGIC = ord("W")
VERSION = 1
HEADER = struct.Struct(">BBBBQQIIHHii")   # 40 bytes, see wal2dbz_frame.h
assert HEADER.size == 40
F_TOMBSTONE, F_TXMETA, F_MESSAGE, F_SNAPSHOT = 0x01, 0x02, 0x04, 0x08
F_CHANGE_EVENT, F_CONTEXT_FIRST, F_CONTEXT_AT_MARKER = 0x10, 0x20, 0x40


class FrameError(Exception):
    pass


def quote(s):
    """SQL string literal (standard_conforming_strings is on in every supported server)."""
    return "'" + s.replace("'", "''") + "'"


def fetch_frames(dbname, slot, options):
    args = ["output.format", "framed"]
    for name, value in options:
        args += [name, value]
    # hex: one line per frame, no line wrapping (base64 output wraps at 76 characters)
    sql = ("SELECT encode(data, 'hex') FROM pg_logical_slot_get_binary_changes("
           + quote(slot) + ", NULL, NULL" + "".join(", " + quote(a) for a in args) + ")")
    psql = os.environ.get("PSQL", "psql")
    p = subprocess.run([psql, "-XAtq", "-v", "ON_ERROR_STOP=1", "-d", dbname, "-c", sql],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise FrameError("psql failed (exit %d): %s" % (p.returncode, p.stderr.decode("utf-8", "replace").strip()))
    return [bytes.fromhex(line) for line in p.stdout.decode("ascii").split("\n") if line]


def take(buf, pos, n, what):
    if n < 0 or pos + n > len(buf):
        raise FrameError("%s: needs %d bytes at offset %d, frame has %d" % (what, n, pos, len(buf)))
    return buf[pos:pos + n], pos + n


def parse(frame, n):
    """-> dict(kind, flags, schema_id, topic, key, value, headers) (key/value bytes or None)."""
    if len(frame) < HEADER.size:
        raise FrameError("frame %d: %d bytes, shorter than the 40-byte header" % (n, len(frame)))
    (magic, version, kind, flags, change_lsn, commit_lsn, xid, schema_id,
     tlen, nheaders, klen, vlen) = HEADER.unpack_from(frame, 0)
    if magic != MAGIC:
        raise FrameError("frame %d: bad magic 0x%02x" % (n, magic))
    if version != VERSION:
        raise FrameError("frame %d: unsupported version %d" % (n, version))
    kind = chr(kind)
    if kind not in "RSC":
        raise FrameError("frame %d: unknown kind %r" % (n, kind))
    if klen < -1 or vlen < -1:
        raise FrameError("frame %d: bad key/value length %d/%d" % (n, klen, vlen))
    pos = HEADER.size
    topic, pos = take(frame, pos, tlen, "frame %d topic" % n)
    key = value = None
    if klen >= 0:
        key, pos = take(frame, pos, klen, "frame %d key" % n)
    if vlen >= 0:
        value, pos = take(frame, pos, vlen, "frame %d value" % n)
    headers = []
    for h in range(nheaders):
        b, pos = take(frame, pos, 2, "frame %d header %d name length" % (n, h))
        (nlen,) = struct.unpack(">H", b)
        name, pos = take(frame, pos, nlen, "frame %d header %d name" % (n, h))
        b, pos = take(frame, pos, 4, "frame %d header %d value length" % (n, h))
        (hlen,) = struct.unpack(">i", b)
        if hlen < -1:
            raise FrameError("frame %d header %d: bad value length %d" % (n, h, hlen))
        hval = None
        if hlen >= 0:
            hval, pos = take(frame, pos, hlen, "frame %d header %d value" % (n, h))
        headers.append((name, hval))
    if pos != len(frame):
        raise FrameError("frame %d (kind %s): %d trailing bytes after the last field" % (n, kind, len(frame) - pos))
    return dict(kind=kind, flags=flags, change_lsn=change_lsn, commit_lsn=commit_lsn, xid=xid,
                schema_id=schema_id, topic=topic, key=key, value=value, headers=headers)


def text(b, what):
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError as e:
        raise FrameError("%s is not UTF-8: %s" % (what, e))


def put(rec, field, b):
    if b is None:
        rec[field] = None
        return
    try:
        rec[field] = b.decode("utf-8")
    except UnicodeDecodeError:
        rec[field + "_base64"] = base64.b64encode(b).decode("ascii")


def convert(frames, logical_name):
    schemas = {}          # schema id -> (topic, key prefix, value prefix)
    out = []
    for n, raw in enumerate(frames, 1):
        f = parse(raw, n)
        if f["kind"] == "S":
            if f["schema_id"] == 0:
                raise FrameError("frame %d: SCHEMA frame with schema id 0" % n)
            if not f["topic"]:
                raise FrameError("frame %d: SCHEMA frame without a topic" % n)
            if f["key"] is None or f["value"] is None:
                raise FrameError("frame %d: SCHEMA frame with a null prefix (must be empty when disabled)" % n)
            if f["headers"]:
                raise FrameError("frame %d: SCHEMA frame with headers" % n)
            schemas[f["schema_id"]] = (text(f["topic"], "frame %d topic" % n), f["key"], f["value"])
            continue
        if f["kind"] == "C":
            if f["topic"] or f["key"] is not None or f["value"] is not None or f["headers"]:
                raise FrameError("frame %d: COMMIT frame carries a record (T=%d, K/V %s/%s, H=%d)"
                                 % (n, len(f["topic"]), f["key"] is not None, f["value"] is not None,
                                    len(f["headers"])))
            continue
        key, value = f["key"], f["value"]
        if f["schema_id"]:
            if f["schema_id"] not in schemas:
                raise FrameError("frame %d: RECORD refers to unknown schema id %d" % (n, f["schema_id"]))
            if f["topic"]:
                raise FrameError("frame %d: RECORD with schema id %d also has a topic" % (n, f["schema_id"]))
            topic, kp, vp = schemas[f["schema_id"]]
            if key is not None and kp:
                key = kp + key + b"}"
            if value is not None and vp:
                value = vp + value + b"}"
        else:
            if not f["topic"]:
                raise FrameError("frame %d: RECORD without topic and without schema id" % n)
            topic = text(f["topic"], "frame %d topic" % n)
        if bool(f["flags"] & F_TOMBSTONE) != (value is None) and not f["flags"] & (F_TXMETA | F_MESSAGE):
            print("wal2dbz_capture: warning: frame %d: tombstone flag %d but value %s"
                  % (n, f["flags"] & F_TOMBSTONE, "null" if value is None else "present"), file=sys.stderr)
        rec = {"topic": topic, "partition": None}
        put(rec, "key", key)
        put(rec, "value", value)
        rec["headers"] = [[text(hn, "frame %d header name" % n),
                           None if hv is None else text(hv, "frame %d header value" % n)]
                          for hn, hv in f["headers"]]
        # Debezium's context headers, added by the sink (kafka.c) as Debezium's
        # DebeziumHeaderProducer does; the runId is the sink process's
        if f["flags"] & F_CHANGE_EVENT:
            context = [["__debezium.context.connectorLogicalName", logical_name],
                       ["__debezium.context.taskId", "0"],
                       ["__debezium.context.connectorName", "postgresql"],
                       ["__debezium.context.runId", "(wal2dbz-sink run id)"]]
            marker = ["", None]
            if f["flags"] & F_CONTEXT_AT_MARKER and marker in rec["headers"]:
                at = rec["headers"].index(marker)
                rec["headers"][at:at + 1] = context
            elif f["flags"] & F_CONTEXT_FIRST:
                rec["headers"] = context + rec["headers"]
            else:
                rec["headers"] += context
        out.append(rec)
    return out


def options_of(args, prog):
    """The name=value arguments as (name, value) pairs; None, after a message, when one is not."""
    options = []
    for a in args:
        if "=" not in a:
            print("%s: option %r is not name=value" % (prog, a), file=sys.stderr)
            return None
        options.append(tuple(a.split("=", 1)))
    return options


def write_capture(outfile, records):
    """Write records in the DbzRunner capture format: one compact JSON object a line."""
    with open(outfile, "w", encoding="utf-8") as fp:
        for r in records:
            fp.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    outfile, dbname, slot = argv[:3]
    options = options_of(argv[3:], "wal2dbz_capture")
    if options is None:
        return 2
    try:
        records = convert(fetch_frames(dbname, slot, options),
                          dict(options).get("topic.prefix", dbname))
    except FrameError as e:
        print("wal2dbz_capture: " + str(e), file=sys.stderr)
        return 1
    write_capture(outfile, records)
    print("wal2dbz_capture: %d records" % len(records), file=sys.stderr)
    return 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
