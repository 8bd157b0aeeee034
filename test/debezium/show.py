#!/usr/bin/env python3
"""Print a DbzRunner capture readably: one block per record, payloads only (schemas dropped).

usage: show.py CAPTURE.jsonl [--topic SUBSTR] [--schema] [--raw]
  --schema  also print the value schema of the first record of each topic
  --raw     print the exact value string instead of the parsed payload
"""
import json
import sys


def payload(s):
    if s is None:
        return None
    v = json.loads(s)
    if isinstance(v, dict) and set(v.keys()) == {"schema", "payload"}:
        return v["payload"]
    return v


def main():
    args = sys.argv[1:]
    path = args[0]
    topic_filter = None
    if "--topic" in args:
        topic_filter = args[args.index("--topic") + 1]
    seen = set()
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        r = json.loads(line)
        if topic_filter and topic_filter not in r["topic"]:
            continue
        print(f"#{n} {r['topic']} partition={r['partition']} headers={[h for h in r['headers'] if not h[0].startswith('__debezium.context.')]}")
        print("  key  :", json.dumps(payload(r["key"]), ensure_ascii=False))
        if "--raw" in args:
            print("  value:", r["value"])
        else:
            v = payload(r["value"])
            if isinstance(v, dict) and "op" in v:
                src = v.get("source") or {}
                print(f"  op={v.get('op')} snapshot={src.get('snapshot')} txId={src.get('txId')} lsn={src.get('lsn')} seq={src.get('sequence')} ts_ms={src.get('ts_ms')} tx={json.dumps(v.get('transaction'))}")
                for f in ("before", "after", "message"):
                    if f in v:
                        print(f"  {f:6}:", json.dumps(v[f], ensure_ascii=False))
            else:
                print("  value:", json.dumps(v, ensure_ascii=False))
        if "--schema" in args and r["topic"] not in seen and r["value"]:
            seen.add(r["topic"])
            full = json.loads(r["value"])
            if "schema" in full:
                print("  schema:", json.dumps(full["schema"], ensure_ascii=False))


if __name__ == "__main__":
    main()
