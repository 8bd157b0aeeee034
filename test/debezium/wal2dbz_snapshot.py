#!/usr/bin/env python3
"""Take wal2dbz's snapshot ("r" records) of a database into a DbzRunner-format capture (JSON lines).

usage: wal2dbz_snapshot.py OUT.jsonl DBNAME SNAPSHOT_LSN [name=value ...]

What wal2dbz-sink's snapshot reads (sink/snapshot.c, plan()), the way it reads it, in one
REPEATABLE READ transaction through psql (connection from PGHOST/PGPORT/PGUSER/...):
  - the tables: ordinary tables and leaf partitions (relkind 'r', not partitioned parents),
    permanent, outside pg_catalog, information_schema, pg_toast/pg_temp_* and wal2dbz_sink,
    through schema.include.list / schema.exclude.list / table.include.list /
    table.exclude.list as the sink applies them (anchored, case-insensitive), in Debezium's
    order (the tables of the first table.include.list item that finds a match first, then
    schema, table order, COLLATE "C"), empty ones left out;
  - each table through wal2dbz.snapshot_frames(table, options, SNAPSHOT_LSN, NULL, first
    table?, last table?), one call per table (the sink's chunks are a partition of that call's
    rows with the same markers at the table's ends; e2e_snapshot*.sh test the chunking);
  - the options are the name=value arguments, as the sink forwards its plugin options.
The frames are converted by wal2dbz_capture.py's convert() (SCHEMA frames applied, the context
headers added as the sink adds them).
Exit 0 on success, 1 on a psql error or a malformed frame. Standard library only.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wal2dbz_capture import FrameError, convert, options_of, quote, write_capture  # noqa: E402

FILTERS = ("schema.include.list", "schema.exclude.list", "table.include.list", "table.exclude.list")


def psql(dbname, sql):
    """The output lines of a psql script (every statement's rows)."""
    p = subprocess.run([os.environ.get("PSQL", "psql"), "-XAtq", "-v", "ON_ERROR_STOP=1", "-d", dbname,
                        "-f", "-"], input=sql.encode("utf-8"), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise FrameError("psql failed (exit %d): %s" % (p.returncode, p.stderr.decode("utf-8", "replace").strip()))
    return [line for line in p.stdout.decode("utf-8").split("\n") if line]


def patterns(value, anchored=True):
    """A Debezium list as the sink's text[] of (anchored) regular expressions, or NULL."""
    if value is None:
        return "NULL::text[]"
    items = [i.strip() for i in value.split(",") if i.strip()]
    form = "^(?:%s)$" if anchored else "%s"
    return "ARRAY[" + ",".join(quote(form % i) for i in items) + "]::text[]" if items else "'{}'::text[]"


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    outfile, dbname, lsn = argv[:3]
    options = options_of(argv[3:], "wal2dbz_snapshot")
    if options is None:
        return 2
    opts = dict(options)
    nsp = '(n.nspname::text COLLATE "C")'
    dc = '((n.nspname || \'.\' || c.relname) COLLATE "C")'
    si, se, ti, te = (patterns(opts.get(f)) for f in FILTERS)
    tables_sql = (
        "SELECT c.oid || ' ' || c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind = 'r' AND c.relpersistence = 'p' "
        "AND n.nspname <> ALL (ARRAY['pg_catalog', 'information_schema', 'wal2dbz_sink']) "
        "AND n.nspname !~ '^pg_(toast|temp_)' "
        f"AND ({si} IS NULL OR {nsp} ~* ANY ({si})) AND ({se} IS NULL OR NOT ({nsp} ~* ANY ({se}))) "
        f"AND ({ti} IS NULL OR {dc} ~* ANY ({ti})) AND ({te} IS NULL OR NOT ({dc} ~* ANY ({te}))) "
        # Debezium's order: by the first table.include.list item that finds a match, then by name
        f"ORDER BY (SELECT min(k.n) FROM unnest({patterns(opts.get('table.include.list'), False)}) "
        f"WITH ORDINALITY AS k(p, n) WHERE {dc} ~* k.p), "
        "n.nspname COLLATE \"C\", c.relname COLLATE \"C\"")
    opt_array = "ARRAY[" + ",".join(quote(x) for kv in options for x in kv) + "]::text[]"
    try:
        # the non-empty tables (nothing writes meanwhile, so the snapshot below sees the same)
        oids = [line.split(" ", 1)[0] for line in psql(dbname, tables_sql + ";")
                if psql(dbname, "SELECT EXISTS (SELECT 1 FROM ONLY %s);" % line.split(" ", 1)[1]) == ["t"]]
        calls = ["SELECT encode(f, 'hex') FROM wal2dbz.snapshot_frames(%s::oid::regclass, %s, %s::pg_lsn, "
                 "NULL, %s, %s) AS f;" % (o, opt_array, quote(lsn), str(i == 0).lower(),
                                         str(i == len(oids) - 1).lower())
                 for i, o in enumerate(oids)]
        frames = psql(dbname, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; " + " ".join(calls) + " COMMIT;")
        records = convert([bytes.fromhex(f) for f in frames], opts.get("topic.prefix", dbname))
    except FrameError as e:
        print("wal2dbz_snapshot: " + str(e), file=sys.stderr)
        return 1
    write_capture(outfile, records)
    print("wal2dbz_snapshot: %d records of %d tables" % (len(records), len(oids)), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
