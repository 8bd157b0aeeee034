#!/usr/bin/env python3
"""Compare two JSON-lines captures (DbzRunner format) record by record, on the exact key/value bytes.

usage: compare.py EXPECTED.jsonl ACTUAL.jsonl [--mask NAME ...] [--no-default-masks] [--headers] [--max N]
                  [--drop SCHEMA.TABLE.COLUMN ...] [--unordered-message-collections]
                  [--unordered-merged-structs]
                  [--null-snapshot-txid] [--snapshot-dates SCHEMA.TABLE.COLUMN ...]

Values that differ between any two runs are masked in both files by rewriting the raw JSON text
(so everything else is still compared byte for byte):
  default masks: every "ts_ms"/"ts_us"/"ts_ns" number, source "txId", "lsn", "sequence",
                 transaction "id" strings ("<xid>:<lsn>"), the __debezium.context.runId header
  --mask NAME    also mask any JSON member "NAME":<scalar> (e.g. --mask ts_nn for now() columns)
Headers are compared only with --headers; --mask-header NAME masks the (non-null) values of headers
NAME. Exit status 0 when equal, 1 otherwise.

Known differences (fidelity.sh names them per capture, with the reason) are normalised in BOTH files
before masking, and only in the records they concern; every other record stays byte for byte:
  --drop SCHEMA.TABLE.COLUMN   in values of that table's topic that contain the column, remove it
                 from payload before/after and the matching field entries of the value schema
  --unordered-message-collections   in transaction END values whose data_collections name a
                 logical-decoding message (io.debezium.connector.postgresql.
                 [LogicalDecodingMessageMonitor$]LogicalDecodingMessageId@<identity hash>), mask the
                 hash and sort the entries (Debezium's HashMap order depends on that random hash):
                 the entries are compared as a multiset
  --unordered-merged-structs   outbox events with table.expand.json.payload: the fields of a struct
                 Debezium merged from array elements of different shapes (the array's items, a
                 struct with "optional":false) and the members of those elements are sorted by
                 name (Debezium merges over a HashSet of schemas, in identity-hash order); without
                 schemas, the members of objects in arrays of objects that all have the same keys
  --snapshot-dates SCHEMA.TABLE.COLUMN   in EXPECTED snapshot ("op":"r") values of that table, the
                 date column's days from Debezium's JDBC snapshot path are replaced by the days its
                 own streaming path (and wal2dbz) gives the same value (SNAPSHOT_DATES; README, "Where
                 we differ from Debezium, on purpose": BC and infinite dates)
  --null-snapshot-txid   in EXPECTED snapshot ("op":"r") values, source "txId":<number> becomes
                 "txId":null, what wal2dbz writes there (README, "Where we differ from Debezium, on
                 purpose": Debezium's snapshot transaction takes an xid; the sink's does not)
A normalised record is re-serialised compactly with every scalar's original text (number digits,
string escapes) kept, so those bytes are still compared exactly; a record that does not survive that
round trip unchanged (e.g. whitespace between tokens) is left as it is and reported.
"""
import json
import json.decoder
import json.scanner
import re
import sys


# ---- order- and text-preserving JSON (for the normaliser) ----
class Obj(list):
    """A JSON object as its (key, value) pairs, in order."""


class Raw:
    """A number (or NaN/Infinity constant) kept as its original text."""
    def __init__(self, raw):
        self.raw = raw


class RawStr(str):
    """A string value; .raw is its original JSON text, escapes and quotes included."""


def _parse_string(s, end, strict):
    v, e = json.decoder.scanstring(s, end, strict)
    r = RawStr(v)
    r.raw = s[end - 1:e]
    return r, e


class RawDecoder(json.JSONDecoder):
    """json.JSONDecoder whose scalars keep their source text (pure-Python scanner)."""
    def __init__(self, **kw):
        kw.update(parse_float=Raw, parse_int=Raw, parse_constant=Raw)
        super().__init__(**kw)
        self.parse_string = _parse_string
        self.scan_once = json.scanner.py_make_scanner(self)


def raw_loads(s):
    return json.loads(s, cls=RawDecoder, object_pairs_hook=Obj)


def raw_dumps(v):
    if isinstance(v, Obj):
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + raw_dumps(x) for k, x in v) + "}"
    if isinstance(v, list):
        return "[" + ",".join(raw_dumps(x) for x in v) + "]"
    if isinstance(v, (Raw, RawStr)):
        return v.raw
    return {True: "true", False: "false", None: "null"}[v]


def get(o, k):
    return next((x for kk, x in o if kk == k), None) if isinstance(o, Obj) else None


MSG_ID = re.compile(r'^(io\.debezium\.connector\.postgresql\.(?:LogicalDecodingMessageMonitor\$)?'
                    r'LogicalDecodingMessageId@)[0-9a-f]+$')


class Normalizer:
    """Removes the known, documented differences from a record's value (see the module doc)."""

    def __init__(self, drops, unordered_messages, merged_structs=False):
        self.drops = {}                       # "schema.table" -> {column, ...}
        for d in drops:
            table, _, col = d.rpartition(".")
            if not table or "." not in table:
                raise SystemExit("--drop wants SCHEMA.TABLE.COLUMN, got " + d)
            self.drops.setdefault(table, set()).add(col)
        self.unordered_messages = unordered_messages
        self.merged_structs = merged_structs
        self.counts = {}                      # what was normalised -> records
        self.problems = []

    def _cols(self, topic):
        parts = topic.split(".", 1)
        return self.drops.get(parts[1]) if len(parts) == 2 else None

    def __call__(self, topic, value, where):
        if value is None:
            return value
        cols = self._cols(topic)
        msgs = self.unordered_messages and "LogicalDecodingMessageId@" in value
        merged = self.merged_structs and value.lstrip().startswith("{")
        if not (cols and any('"%s"' % c in value for c in cols)) and not msgs and not merged:
            return value                      # cheap pre-check: nothing to do
        try:
            j = raw_loads(value)
        except ValueError as e:
            self.problems.append("%s: not JSON (%s), not normalised" % (where, e))
            return value
        if raw_dumps(j) != value:
            self.problems.append("%s: does not round-trip byte for byte, not normalised" % where)
            return value
        schema = payload = None
        if isinstance(j, Obj) and [k for k, _ in j] == ["schema", "payload"]:
            schema, payload = get(j, "schema"), get(j, "payload")
        else:
            payload = j
        done = []
        if cols:
            for c in sorted(cols):
                hit = False
                for part in ("before", "after"):
                    row = get(payload, part)
                    if isinstance(row, Obj):
                        n = len(row)
                        row[:] = [kv for kv in row if kv[0] != c]
                        hit |= len(row) != n
                    fs = get(next((f for f in (get(schema, "fields") or []) if get(f, "field") == part), None), "fields")
                    if isinstance(fs, list):
                        n = len(fs)
                        fs[:] = [f for f in fs if get(f, "field") != c]
                        hit |= len(fs) != n
                if hit:
                    done.append("dropped " + c)
        if msgs and get(payload, "status") == "END" and isinstance(get(payload, "data_collections"), list):
            dcs = get(payload, "data_collections")
            hit = False
            for e in dcs:
                for i, (k, v) in enumerate(e if isinstance(e, Obj) else []):
                    if k == "data_collection" and isinstance(v, RawStr) and MSG_ID.match(v):
                        m = RawStr(MSG_ID.sub(r"\1#", v))
                        m.raw = json.dumps(m, ensure_ascii=False)
                        e[i] = (k, m)
                        hit = True
            if hit:
                dcs.sort(key=raw_dumps)
                done.append("data_collections as a multiset")
        if merged and (sort_merged(schema, payload) if schema is not None else sort_same_keys(payload)):
            done.append("merged struct fields sorted")
        if not done:
            return value
        for d in done:
            self.counts[d] = self.counts.get(d, 0) + 1
        return raw_dumps(j)


def sort_merged(schema, payload):
    """Sort the fields of merged structs (array items with "optional":false) and their values."""
    hit = False
    t = get(schema, "type")
    if t == "struct":
        for f in get(schema, "fields") or []:
            hit |= sort_merged(f, get(payload, get(f, "field")))
    elif t == "array" and isinstance(payload, list):
        items = get(schema, "items")
        if get(items, "type") == "struct" and get(items, "optional") is False:
            get(items, "fields").sort(key=lambda f: get(f, "field"))
            for e in payload:
                if isinstance(e, Obj):
                    e.sort(key=lambda kv: kv[0])
            hit = True
        for e in payload:
            hit |= sort_merged(items, e)
    return hit


def sort_same_keys(v):
    """Without schemas: sort the members of objects in arrays of objects sharing one key set."""
    hit = False
    if isinstance(v, Obj):
        for _, x in v:
            hit |= sort_same_keys(x)
    elif isinstance(v, list):
        objs = [e for e in v if isinstance(e, Obj)]
        if len(objs) > 1 and len(objs) == len(v) and len({frozenset(k for k, _ in e) for e in objs}) == 1 \
                and any([k for k, _ in e] != sorted(k for k, _ in e) for e in objs):
            for e in objs:
                e.sort(key=lambda kv: kv[0])
            hit = True
        for e in v:
            hit |= sort_same_keys(e)
    return hit


SNAPSHOT_OP = re.compile(r'"op":"r"')
SNAPSHOT_TXID = re.compile(r'("txId":)\d+')


# Debezium 3.6.3's snapshot reads a date through JDBC (java.sql.Date, Julian calendar before 1582,
# its own sentinels for infinity); its streaming path parses PostgreSQL's text (proleptic
# Gregorian, as PostgreSQL counts). The days each path gives for the values of captures/types.sql
# (test/debezium/README.md, item 3): snapshot -> streaming.
SNAPSHOT_DATES = {
    "-718798": "-719163",          # 0001-12-31 BC (the year before 1 AD)
    "1002552": "-2440588",         # 4714-11-24 BC (PostgreSQL's minimum)
    "-622191234": "-2147472692",   # infinity
    "-625821272": "-2147472691",   # -infinity
}


def snapshot_dates(columns, topic, value):
    """Replace Debezium's JDBC-path days of the given date columns by its streaming-path days."""
    for c in columns:
        table, _, col = c.rpartition(".")
        if topic.split(".", 1)[-1] != table:
            continue
        value = re.sub(r'("%s":)(-?\d+)(?=[,}])' % re.escape(col),
                       lambda m: m.group(1) + SNAPSHOT_DATES.get(m.group(2), m.group(2)), value)
    return value


def masker(names, defaults=True):
    pats = [re.compile(r'("(?:ts_ms|ts_us|ts_ns|txId|lsn|xmin)":)-?\d+'),
            re.compile(r'("sequence":)"(?:[^"\\]|\\.)*"'),
            re.compile(r'("id":)"\d+:\d+"')] if defaults else []
    for n in names:
        pats.append(re.compile(r'("' + re.escape(n) + r'":)(?:"(?:[^"\\]|\\.)*"|-?[\d.eE+-]+|true|false|null)'))
    def f(s):
        if s is None:
            return None
        for p in pats:
            s = p.sub(r'\1"#"', s)
        return s
    return f


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    a, b = args[0], args[1]
    extra = []
    i = 2
    defaults = True
    headers = False
    masked_headers = set()
    maxn = 20
    drops = []
    unordered = False
    merged_structs = False
    null_txid = False
    snap_dates = []
    while i < len(args):
        if args[i] == "--drop":
            drops.append(args[i + 1]); i += 2
        elif args[i] == "--unordered-message-collections":
            unordered = True; i += 1
        elif args[i] == "--unordered-merged-structs":
            merged_structs = True; i += 1
        elif args[i] == "--snapshot-dates":
            snap_dates.append(args[i + 1]); i += 2
        elif args[i] == "--null-snapshot-txid":
            null_txid = True; i += 1
        elif args[i] == "--mask":
            extra.append(args[i + 1]); i += 2
        elif args[i] == "--no-default-masks":
            defaults = False; i += 1
        elif args[i] == "--headers":
            headers = True; i += 1
        elif args[i] == "--mask-header":
            masked_headers.add(args[i + 1]); i += 2
        elif args[i] == "--max":
            maxn = int(args[i + 1]); i += 2
        else:
            print("unknown option " + args[i], file=sys.stderr); return 2
    m = masker(extra, defaults)
    norm = {side: Normalizer(drops, unordered, merged_structs) for side in ("expected", "actual")}
    A = [json.loads(l) for l in open(a, encoding="utf-8")]
    B = [json.loads(l) for l in open(b, encoding="utf-8")]
    bad = 0
    if len(A) != len(B):
        print(f"record count differs: {len(A)} vs {len(B)}")
        bad += 1
    for n, (x, y) in enumerate(zip(A, B), 1):
        probs = []
        if x["topic"] != y["topic"]:
            probs.append(f"topic {x['topic']!r} != {y['topic']!r}")
        for f in ("key", "value"):
            vx, vy = x.get(f), y.get(f)
            if f == "value" and vx is not None and SNAPSHOT_OP.search(vx):
                if null_txid:
                    vx = SNAPSHOT_TXID.sub(r"\1null", vx, count=1)
                vx = snapshot_dates(snap_dates, x["topic"], vx)
            if f == "value":
                vx = norm["expected"](x["topic"], vx, f"expected record {n}")
                vy = norm["actual"](y["topic"], vy, f"actual record {n}")
            vx, vy = m(vx), m(vy)
            if vx != vy:
                if vx is None or vy is None:
                    probs.append(f"{f}: {vx!r:.80} != {vy!r:.80}")
                else:
                    k = next((j for j in range(min(len(vx), len(vy))) if vx[j] != vy[j]), min(len(vx), len(vy)))
                    probs.append(f"{f} differs at byte {k}:\n    expected ...{vx[max(0, k - 80):k + 80]}\n    actual   ...{vy[max(0, k - 80):k + 80]}")
        if headers:
            def hmask(h):
                return [h[0], "#" if h[0] in masked_headers and h[1] is not None else h[1]]
            hx = [hmask(h) for h in x.get("headers", []) if h[0] != "__debezium.context.runId"]
            hy = [hmask(h) for h in y.get("headers", []) if h[0] != "__debezium.context.runId"]
            if hx != hy:
                probs.append(f"headers {hx} != {hy}")
        if probs:
            bad += 1
            if bad <= maxn:
                print(f"record {n} ({x['topic']}):")
                for p in probs:
                    print("  " + p)
    for side, nz in norm.items():
        if nz.counts:
            print(f"normalised in {side}: " + ", ".join(f"{k} ({v} records)" for k, v in sorted(nz.counts.items())))
        for p in nz.problems[:maxn]:
            print("normaliser: " + p)
    print(f"{min(len(A), len(B))} records compared, {bad} differ")
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
