#!/usr/bin/env python3
# -------------------------------------------------------------------------
#
# lib_load.py
#	  Write the mixed load of e2e_kill.sh and e2e_broker_stop.sh as psql
#	  scripts: inserts, updates (some of a primary key), deletes and
#	  re-inserts of deleted keys over three tables, in transactions of one
#	  row, of a few hundred rows and one large one per chunk.
#
# Usage: lib_load.py DIR ROWS CHUNKS SEED [PAUSE_SECONDS]
#
# Writes DIR/schema.sql (the tables) and DIR/chunk_1.sql .. chunk_CHUNKS.sql;
# ROWS rows are inserted in all (re-inserts not counted).  Each chunk first
# sets public.kx.step to its number, in a table the sink does not capture,
# so that a test can follow the load's progress.  PAUSE_SECONDS > 0 puts
# a pg_sleep of that length between transactions, to stretch the load.
# Prints a summary line.
#
#   public.ka (id int)              primary key of one int column
#   public.kb (a int, b text)       composite primary key
#   public.kc (id bigint)           REPLICA IDENTITY FULL
#
# test/sink/lib_load.py
#
# -------------------------------------------------------------------------
import os
import random
import sys

SCHEMA = """\
CREATE TABLE public.ka (id int PRIMARY KEY, v int NOT NULL, s text);
CREATE TABLE public.kb (a int, b text, v int NOT NULL, flag bool, PRIMARY KEY (a, b));
CREATE TABLE public.kc (id bigint PRIMARY KEY, v int NOT NULL, note text);
ALTER TABLE public.kc REPLICA IDENTITY FULL;
CREATE TABLE public.kx (step int NOT NULL);
INSERT INTO public.kx VALUES (0);
"""

INSERT = {
    "ka": "INSERT INTO public.ka SELECT g, 0, md5(g::text) FROM generate_series({lo}, {hi}) g;",
    "kb": "INSERT INTO public.kb SELECT g, 'b' || (g % 7), 0, g % 2 = 0 FROM generate_series({lo}, {hi}) g;",
    "kc": "INSERT INTO public.kc SELECT g, 0, 'n' || g FROM generate_series({lo}, {hi}) g;",
}
KEYCOL = {"ka": "id", "kb": "a", "kc": "id"}
UPDATE = {
    "ka": "UPDATE public.ka SET v = v + 1, s = md5(s) WHERE {cond};",
    "kb": "UPDATE public.kb SET v = v + 1, flag = NOT flag WHERE {cond};",
    "kc": "UPDATE public.kc SET v = v + 1, note = 'u' || (v + 1) WHERE {cond};",
}
REINSERT = {
    "ka": "INSERT INTO public.ka SELECT g, 100, 'again' FROM generate_series({lo}, {hi}) g ON CONFLICT DO NOTHING;",
    "kb": "INSERT INTO public.kb SELECT g, 'b' || (g % 7), 100, NULL FROM generate_series({lo}, {hi}) g ON CONFLICT DO NOTHING;",
    "kc": "INSERT INTO public.kc SELECT g, 100, 'again' FROM generate_series({lo}, {hi}) g ON CONFLICT DO NOTHING;",
}
SINGLE = {
    "ka": "INSERT INTO public.ka VALUES ({id}, 0, 'single');",
    "kb": "INSERT INTO public.kb VALUES ({id}, 'b' || ({id} % 7), 0, true);",
    "kc": "INSERT INTO public.kc VALUES ({id}, 0, 'single');",
}


class Load:
    def __init__(self, seed):
        self.rnd = random.Random(seed)
        self.next = {"ka": 1, "kb": 1, "kc": 1}
        self.inserted = 0
        self.txns = 0
        self.moves = 0

    def insert(self, t, count):
        lo = self.next[t]
        self.next[t] += count
        self.inserted += count
        return INSERT[t].format(lo=lo, hi=lo + count - 1)

    def span(self, t, width):
        top = self.next[t] - 1
        if top < width:
            return None
        lo = self.rnd.randint(1, top - width + 1)
        return lo, lo + width - 1

    def cond(self, t, width, mod):
        s = self.span(t, width)
        if s is None:
            return None
        return "%s BETWEEN %d AND %d AND %s %% %d = %d" % (
            KEYCOL[t], s[0], s[1], KEYCOL[t], mod, self.rnd.randrange(mod))

    def batch(self, rows):
        """One transaction: rows inserted, about rows/4 updated, rows/20
        deleted, now and then keys moved or deleted keys inserted again."""
        t = self.rnd.choice(("ka", "kb", "kc"))
        out = ["BEGIN;", self.insert(t, rows)]
        for u in (t, self.rnd.choice(("ka", "kb", "kc"))):
            c = self.cond(u, rows // 2, 4)
            if c:
                out.append(UPDATE[u].format(cond=c))
        d = self.rnd.choice(("ka", "kb", "kc"))
        c = self.cond(d, rows // 2, 10)
        if c:
            out.append("DELETE FROM public.%s WHERE %s;" % (d, c))
        r = self.rnd.random()
        if r < 0.15:
            c = self.cond("ka", 60, 20)
            if c:
                # a primary key update: delete + tombstone + create; each
                # move has its own range of new keys (ids stay below 10^6)
                self.moves += 1
                out.append("UPDATE public.ka SET id = id + %d WHERE %s AND id < 1000000000;"
                           % (1000000000 + self.moves * 1000000, c))
        elif r < 0.3:
            u = self.rnd.choice(("ka", "kb", "kc"))
            s = self.span(u, 40)
            if s:
                out.append(REINSERT[u].format(lo=s[0], hi=s[1]))
        out.append("COMMIT;")
        self.txns += 1
        return "\n".join(out)

    def single(self):
        """One autocommit statement of one row."""
        self.txns += 1
        t = self.rnd.choice(("ka", "kb", "kc"))
        r = self.rnd.random()
        if r < 0.6 or self.next[t] < 10:
            i = self.next[t]
            self.next[t] += 1
            self.inserted += 1
            return SINGLE[t].format(id=i)
        k = self.rnd.randint(1, self.next[t] - 1)
        if r < 0.85:
            return UPDATE[t].format(cond="%s = %d" % (KEYCOL[t], k))
        return "DELETE FROM public.%s WHERE %s = %d;" % (t, KEYCOL[t], k)

    def big(self, rows):
        """One large transaction over all three tables."""
        self.txns += 1
        out = ["BEGIN;", self.insert("kc", rows // 2), self.insert("ka", rows - rows // 2)]
        c = self.cond("kb", rows, 2)
        if c:
            out.append(UPDATE["kb"].format(cond=c))
        c = self.cond("kc", rows, 5)
        if c:
            out.append("DELETE FROM public.kc WHERE %s;" % c)
        out.append("COMMIT;")
        return "\n".join(out)


def main():
    out_dir, rows, chunks, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    pause = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
    load = Load(seed)
    with open(os.path.join(out_dir, "schema.sql"), "w") as f:
        f.write(SCHEMA)
    per_chunk = rows // chunks
    for c in range(1, chunks + 1):
        want = per_chunk if c < chunks else rows - per_chunk * (chunks - 1)
        big = want // 4
        singles = want // 10
        batch_rows = want - big - singles
        steps = ["UPDATE public.kx SET step = %d;" % c]
        units = []
        while batch_rows > 0:
            r = min(batch_rows, 200)
            units.append(("batch", r))
            batch_rows -= r
        units += [("single", 1)] * singles
        load.rnd.shuffle(units)
        units.insert(len(units) // 3, ("big", big))
        before = load.inserted
        for kind, r in units:
            if kind == "batch":
                steps.append(load.batch(r))
            elif kind == "single":
                steps.append(load.single())
            else:
                steps.append(load.big(r))
            if pause > 0 and kind != "single":
                steps.append("SELECT pg_sleep(%g);" % pause)
        # singles that updated or deleted instead: top up with batches
        rest = want - (load.inserted - before)
        while rest > 0:
            steps.append(load.batch(min(rest, 200)))
            rest -= min(rest, 200)
        with open(os.path.join(out_dir, "chunk_%d.sql" % c), "w") as f:
            f.write("\\set ON_ERROR_STOP on\n\\o /dev/null\n")
            f.write("\n".join(steps) + "\n")
    print("load: %d rows inserted in %d transactions (seed %d), %d chunks"
          % (load.inserted, load.txns, seed, chunks))


if __name__ == "__main__":
    main()
