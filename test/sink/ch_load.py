#!/usr/bin/env python3
# -------------------------------------------------------------------------
#
# ch_load.py
#	  A random, repeatable mix of changes for the ClickHouse stage's tests,
#	  written as a psql script: inserts, updates (some leaving a TOASTed
#	  column unchanged, some of a primary key), deletes, over a CRM table
#	  and a telemetry table with most common column types.
#
# Usage:
#   ch_load.py schema                     the tables (crm.customers, telemetry.readings)
#   ch_load.py ops SEED COUNT [tier] [STATE]  COUNT operations, in transactions of 1-20;
#                                         "tier" also sets crm.customers.tier
#                                         (a column added mid-stream); STATE is a
#                                         JSON file of the live keys, read and updated
#                                         so that consecutive runs stay consistent
#
# Values stay inside what ClickHouse 18.16 can store (DateTime 1970-2105,
# Date 1970-2149); strings carry quotes, backslashes, newlines and non-ASCII.
#
# test/sink/ch_load.py
#
# -------------------------------------------------------------------------
import json
import os
import random
import sys

SCHEMA = """\
CREATE SCHEMA crm;
CREATE SCHEMA telemetry;
CREATE TABLE crm.customers (
    id bigint PRIMARY KEY,
    name text NOT NULL,
    email varchar(255),
    balance numeric(12,2),
    active boolean NOT NULL DEFAULT true,
    created timestamptz,
    birthday date,
    login time,
    tags text[],
    profile jsonb,
    notes text,
    ext_id uuid,
    score double precision,
    avatar bytea
);
ALTER TABLE crm.customers ALTER COLUMN notes SET STORAGE EXTERNAL;
CREATE TABLE telemetry.readings (
    device_id int,
    seq bigint,
    ts timestamp(3),
    value real,
    unit varchar(8),
    ok boolean,
    attrs int[],
    raw bytea,
    PRIMARY KEY (device_id, seq)
);
"""

WORDS = ["alpha", "beta", "Gamma", "dél'ta", 'quo"te', "back\\slash", "new\nline",
         "tab\tbed", "雪", "emoji 😀", "", "x" * 40]


def lit(s):
    """A SQL string literal (standard_conforming_strings on)."""
    return "'" + s.replace("'", "''") + "'"


def text(rnd, n=3):
    return " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(1, n)))


def ts_literal(rnd, precision=6):
    sec = rnd.randint(86400 * 365, 86400 * 365 * 130)   # 1971 .. 2099
    frac = rnd.randint(0, 10 ** precision - 1)
    return "to_timestamp(%d) + interval '%d microseconds'" % (sec, frac * 10 ** (6 - precision))


def customer_values(rnd, cid, tier):
    big = rnd.random() < 0.3
    notes = ("%s " % text(rnd)) * (rnd.randint(400, 900) if big else 1)
    vals = {
        "id": str(cid),
        "name": lit(text(rnd)),
        "email": "NULL" if rnd.random() < 0.2 else lit("c%d@example.com" % cid),
        "balance": "NULL" if rnd.random() < 0.1 else "%d.%02d" % (rnd.randint(-99999, 999999), rnd.randint(0, 99)),
        "active": rnd.choice(["true", "false"]),
        "created": "NULL" if rnd.random() < 0.1 else ts_literal(rnd),
        "birthday": "NULL" if rnd.random() < 0.2 else "date '1970-01-01' + %d" % rnd.randint(0, 49000),
        "login": "NULL" if rnd.random() < 0.3 else "time '00:00' + interval '%d microseconds'" % rnd.randint(0, 86399999999),
        "tags": "NULL" if rnd.random() < 0.3 else "ARRAY[%s]::text[]" % ",".join(
            "NULL" if rnd.random() < 0.1 else lit(text(rnd, 1)) for _ in range(rnd.randint(0, 4))),
        "profile": "NULL" if rnd.random() < 0.3 else lit(json.dumps({"k": text(rnd, 1), "n": rnd.randint(0, 9), "l": [1, None, "x"]})),
        "notes": "NULL" if rnd.random() < 0.1 else lit(notes),
        "ext_id": "NULL" if rnd.random() < 0.2 else lit("%08x-%04x-4%03x-8%03x-%012x" % (
            rnd.getrandbits(32), rnd.getrandbits(16), rnd.getrandbits(12), rnd.getrandbits(12), rnd.getrandbits(48))),
        "score": "NULL" if rnd.random() < 0.2 else repr(rnd.uniform(-1e6, 1e6)),
        "avatar": "NULL" if rnd.random() < 0.3 else "decode('%s', 'hex')" % bytes(
            rnd.getrandbits(8) for _ in range(rnd.randint(0, 12))).hex(),
    }
    if tier:
        vals["tier"] = "NULL" if rnd.random() < 0.2 else str(rnd.randint(1, 5))
    return vals


def reading_values(rnd, dev, seq):
    return {
        "device_id": str(dev),
        "seq": str(seq),
        "ts": ts_literal(rnd, 3),
        "value": "NULL" if rnd.random() < 0.1 else repr(round(rnd.uniform(-100, 100), 3)),
        "unit": rnd.choice(["'C'", "'kPa'", "'%'", "NULL"]),
        "ok": rnd.choice(["true", "false", "NULL"]),
        "attrs": "NULL" if rnd.random() < 0.3 else "ARRAY[%s]::int[]" % ",".join(
            "NULL" if rnd.random() < 0.1 else str(rnd.randint(-1000, 1000)) for _ in range(rnd.randint(0, 5))),
        "raw": "NULL" if rnd.random() < 0.3 else "decode('%s', 'hex')" % bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 8))).hex(),
    }


def insert(table, vals):
    return "INSERT INTO %s (%s) VALUES (%s);" % (table, ", ".join(vals), ", ".join(vals.values()))


def ops(seed, count, tier, state_path):
    rnd = random.Random(seed)
    state = {"customers": [], "readings": [], "next_id": 1}
    if state_path and os.path.exists(state_path):
        with open(state_path) as f:
            state = json.load(f)
    customers = set(state["customers"])
    readings = set(tuple(r) for r in state["readings"])
    next_id = state["next_id"]
    out = []
    done = 0
    while done < count:
        n = min(rnd.randint(1, 20), count - done)
        out.append("BEGIN;")
        for _ in range(n):
            r = rnd.random()
            if r < 0.30 or not customers:
                cid = next_id
                next_id += 1
                out.append(insert("crm.customers", customer_values(rnd, cid, tier)))
                customers.add(cid)
            elif r < 0.45:
                # notes (maybe TOASTed) left unchanged
                cid = rnd.choice(sorted(customers))
                out.append("UPDATE crm.customers SET balance = %s, active = NOT active, name = %s%s WHERE id = %d;" % (
                    "%d.%02d" % (rnd.randint(0, 9999), rnd.randint(0, 99)), lit(text(rnd)),
                    ", tier = %d" % rnd.randint(1, 5) if tier else "", cid))
            elif r < 0.52:
                cid = rnd.choice(sorted(customers))
                vals = customer_values(rnd, cid, tier)
                del vals["id"]
                out.append("UPDATE crm.customers SET %s WHERE id = %d;" % (
                    ", ".join("%s = %s" % kv for kv in vals.items()), cid))
            elif r < 0.58:
                cid = rnd.choice(sorted(customers))
                out.append("DELETE FROM crm.customers WHERE id = %d;" % cid)
                customers.discard(cid)
            elif r < 0.62:
                # a primary key change
                cid = rnd.choice(sorted(customers))
                new = next_id
                next_id += 1
                out.append("UPDATE crm.customers SET id = %d WHERE id = %d;" % (new, cid))
                customers.discard(cid)
                customers.add(new)
            elif r < 0.85 or not readings:
                dev = rnd.randint(1, 5)
                seq = rnd.randint(1, 10 ** 9)
                if (dev, seq) in readings:
                    continue
                out.append(insert("telemetry.readings", reading_values(rnd, dev, seq)))
                readings.add((dev, seq))
            elif r < 0.95:
                dev, seq = rnd.choice(sorted(readings))
                vals = reading_values(rnd, dev, seq)
                del vals["device_id"], vals["seq"]
                out.append("UPDATE telemetry.readings SET %s WHERE device_id = %d AND seq = %d;" % (
                    ", ".join("%s = %s" % kv for kv in vals.items()), dev, seq))
            else:
                dev, seq = rnd.choice(sorted(readings))
                out.append("DELETE FROM telemetry.readings WHERE device_id = %d AND seq = %d;" % (dev, seq))
                readings.discard((dev, seq))
            done += 1
        out.append("COMMIT;")
    if state_path:
        with open(state_path, "w") as f:
            json.dump({"customers": sorted(customers), "readings": sorted(readings), "next_id": next_id}, f)
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "schema":
        sys.stdout.write(SCHEMA)
        return
    if len(sys.argv) >= 4 and sys.argv[1] == "ops":
        tier = "tier" in sys.argv[4:]
        state = [a for a in sys.argv[4:] if a not in ("tier", "")]
        sys.stdout.write(ops(int(sys.argv[2]), int(sys.argv[3]), tier, state[0] if state else None))
        return
    sys.exit(__doc__ or "usage: ch_load.py schema | ops SEED COUNT [tier] [STATE]")


if __name__ == "__main__":
    main()
