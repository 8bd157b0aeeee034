#!/usr/bin/env bash
# Regenerate the reference captures in captures/ with the real Debezium connector.
#
# usage: run-captures.sh [CAPTURE_NAME ...]     (default: all of them, see the table below)
# env:   PGBIN (/usr/lib/postgresql/15/bin), PGPORT_DBZ (54399), KEEP_CLUSTER=1 (do not stop it)
#        DBZ_IDLE_MS (15000), JAVA_HOME (the JDK, see jdk.sh: default the newest JDK >= 21 under
#        /usr/lib/jvm, else java on PATH)
# Starts a throwaway PostgreSQL cluster (wal_level=logical) as the postgres OS user when run as
# root, creates database "inventory" afresh for every capture, runs the part of NAME.sql before the
# line "-- @@STREAM@@", starts capture.sh, waits until Debezium streams ("Processing messages"),
# runs the rest of the SQL, and lets capture.sh stop by itself when idle.
# captures/versions.txt gets one line per capture: Debezium, Java and PostgreSQL versions used.
set -euo pipefail
set -f   # properties are word-split below; the action query's /**/ must not glob
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
caps="$here/captures"
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
port=${PGPORT_DBZ:-54399}
export DBZ_IDLE_MS=${DBZ_IDLE_MS:-15000}

# name | sql | extra Debezium/converter properties
CAPTURES=(
  "types|types.sql|"
  "types-noschema|types.sql|key.converter.schemas.enable=false value.converter.schemas.enable=false"
  "types-decimal-string|types.sql|decimal.handling.mode=string"
  "types-decimal-double|types.sql|decimal.handling.mode=double"
  "types-time-connect|types.sql|time.precision.mode=connect"
  "types-interval-string-binary-hex|types.sql|interval.handling.mode=string binary.handling.mode=hex"
  "types-unknown|types.sql|include.unknown.datatypes=true"
  "types-schema-comments|types.sql|include.schema.comments=true"
  "types-no-null-default|types.sql|value.converter.replace.null.with.default=false"
  # column masks, truncation and hashes: character types of several lengths, NULLs, non-ASCII
  # text, a non-string column named in a mask
  "types-column-masks|types.sql|column.mask.with.4.chars=public.t_char.c5,public.t_char.t,public.t_char.id,public.t_json.j column.truncate.to.3.chars=public.t_char.vc.*,public.t_char.nm,public.t_notnull.vc,public.t_json.jb column.mask.hash.SHA-256.with.salt.CzQMA0cB5K=public.t_char.bpc,public.t_notnull.t,public.t_int.i4 column.mask.hash.v2.MD5.with.salt.pepper=public.t_char.ch,public.t_ext.ci"
  "types-column-masks2|types.sql|column.truncate.to.5.chars=public.t_bytea.ba,public.t_notnull.tstz,public.t_notnull.ba column.mask.with.2.chars=public.t_user.e,public.t_user.dst column.mask.hash.SHA-512.with.salt.s=public.t_notnull.vc,public.t_notnull.c3,public.t_char.t column.mask.hash.v2.SHA-1.with.salt.x=public.t_char.vc,public.t_char.c5"
  # the source column's type, length and scale as schema parameters, for every column of every type
  "types-propagate|types.sql|column.propagate.source.type=.*"
  "ops|ops.sql|skipped.operations=none"
  "ops-noschema|ops.sql|skipped.operations=none key.converter.schemas.enable=false value.converter.schemas.enable=false"
  "ops-txmeta|ops.sql|skipped.operations=none provide.transaction.metadata=true"
  # transactions that change only tables outside table.include.list: opened under the default
  # all-tables publication, not sent at all under a filtered one
  "ops-txmeta-include|ops.sql|skipped.operations=none provide.transaction.metadata=true table.include.list=public.customers,public.trunc2,public.composite_pk"
  "ops-txmeta-filtered|ops.sql|skipped.operations=none provide.transaction.metadata=true table.include.list=public.customers,public.trunc2,public.composite_pk publication.autocreate.mode=filtered"
  # custom keys: a table without a key, key changes under REPLICA IDENTITY FULL, a delete's key
  # from a DEFAULT identity's old tuple, nullable key columns, a table pattern, no match (the
  # primary key stays)
  "ops-keycolumns|ops.sql|skipped.operations=none message.key.columns=public.nokey:a;public.ri_full:code;public.ri_default:code,id;public.composite_pk:v;public.toast_.*:other;public.customers:nosuchcolumn"
  # the Outbox Event Router exactly as issue 7 configures it, then expanded payloads and tombstones
  'outbox|outbox.sql|transforms=outbox transforms.outbox.type=io.debezium.transforms.outbox.EventRouter transforms.outbox.route.by.field=aggregate_type transforms.outbox.route.topic.replacement=outbox.events.${routedByValue} transforms.outbox.table.field.event.id=id transforms.outbox.table.field.event.key=aggregate_id transforms.outbox.table.field.event.type=event_type transforms.outbox.table.field.event.payload=payload transforms.outbox.table.fields.additional.placement=event_type:header:event_type'
  'outbox-noschema|outbox.sql|transforms=outbox transforms.outbox.type=io.debezium.transforms.outbox.EventRouter transforms.outbox.route.by.field=aggregate_type transforms.outbox.route.topic.replacement=outbox.events.${routedByValue} transforms.outbox.table.field.event.id=id transforms.outbox.table.field.event.key=aggregate_id transforms.outbox.table.field.event.type=event_type transforms.outbox.table.field.event.payload=payload transforms.outbox.table.fields.additional.placement=event_type:header:event_type key.converter.schemas.enable=false value.converter.schemas.enable=false'
  'outbox-expand|outbox.sql|transforms=outbox transforms.outbox.type=io.debezium.transforms.outbox.EventRouter transforms.outbox.route.by.field=aggregate_type transforms.outbox.route.topic.replacement=outbox.events.${routedByValue} transforms.outbox.table.field.event.id=id transforms.outbox.table.field.event.key=aggregate_id transforms.outbox.table.field.event.type=event_type transforms.outbox.table.field.event.payload=payload transforms.outbox.table.fields.additional.placement=event_type:header:event_type transforms.outbox.table.expand.json.payload=true transforms.outbox.route.tombstone.on.empty.payload=true'
  'outbox-expand-noschema|outbox.sql|transforms=outbox transforms.outbox.type=io.debezium.transforms.outbox.EventRouter transforms.outbox.route.by.field=aggregate_type transforms.outbox.route.topic.replacement=outbox.events.${routedByValue} transforms.outbox.table.field.event.id=id transforms.outbox.table.field.event.key=aggregate_id transforms.outbox.table.field.event.type=event_type transforms.outbox.table.field.event.payload=payload transforms.outbox.table.fields.additional.placement=event_type:header:event_type transforms.outbox.table.expand.json.payload=true transforms.outbox.route.tombstone.on.empty.payload=true key.converter.schemas.enable=false value.converter.schemas.enable=false'
  # a json (not jsonb) payload column expanded: the text's member order, duplicates, number forms
  'outboxjson-expand|outboxjson.sql|transforms=outbox transforms.outbox.type=io.debezium.transforms.outbox.EventRouter transforms.outbox.route.by.field=aggregate_type transforms.outbox.route.topic.replacement=outbox.events.${routedByValue} transforms.outbox.table.field.event.id=id transforms.outbox.table.field.event.key=aggregate_id transforms.outbox.table.field.event.type=event_type transforms.outbox.table.field.event.payload=payload transforms.outbox.table.fields.additional.placement=event_type:header:event_type transforms.outbox.table.expand.json.payload=true transforms.outbox.route.tombstone.on.empty.payload=true'
  'outboxjson-expand-noschema|outboxjson.sql|transforms=outbox transforms.outbox.type=io.debezium.transforms.outbox.EventRouter transforms.outbox.route.by.field=aggregate_type transforms.outbox.route.topic.replacement=outbox.events.${routedByValue} transforms.outbox.table.field.event.id=id transforms.outbox.table.field.event.key=aggregate_id transforms.outbox.table.field.event.type=event_type transforms.outbox.table.field.event.payload=payload transforms.outbox.table.fields.additional.placement=event_type:header:event_type transforms.outbox.table.expand.json.payload=true transforms.outbox.route.tombstone.on.empty.payload=true key.converter.schemas.enable=false value.converter.schemas.enable=false'
  # heartbeats (sink-side: compared by test/sink/e2e_heartbeat.sh, not fidelity.sh); the action
  # query has no spaces because properties are split on them here
  "unwrap|ops.sql|skipped.operations=none transforms=unwrap transforms.unwrap.type=io.debezium.transforms.ExtractNewRecordState"
  "unwrap-noschema|ops.sql|skipped.operations=none transforms=unwrap transforms.unwrap.type=io.debezium.transforms.ExtractNewRecordState key.converter.schemas.enable=false value.converter.schemas.enable=false"
  "unwrap-rewrite|ops.sql|skipped.operations=none transforms=unwrap transforms.unwrap.type=io.debezium.transforms.ExtractNewRecordState transforms.unwrap.delete.tombstone.handling.mode=rewrite transforms.unwrap.add.fields=op,table,lsn,source.ts_ms transforms.unwrap.add.headers=op,db"
  "unwrap-rewrite-tombstone-noschema|ops.sql|skipped.operations=none transforms=unwrap transforms.unwrap.type=io.debezium.transforms.ExtractNewRecordState transforms.unwrap.delete.tombstone.handling.mode=rewrite-with-tombstone transforms.unwrap.add.fields=op:operation,ts_ms,source.snapshot transforms.unwrap.add.fields.prefix=cdc_ transforms.unwrap.add.headers=source.lsn,ts_ms transforms.unwrap.add.headers.prefix=h_ key.converter.schemas.enable=false value.converter.schemas.enable=false"
  "unwrap-drop-txmeta|ops.sql|skipped.operations=none provide.transaction.metadata=true transforms=unwrap transforms.unwrap.type=io.debezium.transforms.ExtractNewRecordState transforms.unwrap.delete.tombstone.handling.mode=drop transforms.unwrap.add.fields=id,total_order,data_collection_order,op transforms.unwrap.add.headers=transaction.id"
  "unwrap-delete-to-tombstone-noschema|ops.sql|skipped.operations=none transforms=unwrap transforms.unwrap.type=io.debezium.transforms.ExtractNewRecordState transforms.unwrap.delete.tombstone.handling.mode=delete-to-tombstone key.converter.schemas.enable=false value.converter.schemas.enable=false"
  "heartbeat|heartbeat.sql|heartbeat.interval.ms=1000 heartbeat.action.query=UPDATE/**/public.heartbeat/**/SET/**/ts=now()/**/WHERE/**/id=1 runner.idle.exit.ms=0 runner.max.runtime.ms=20000"
  "heartbeat-noschema|heartbeat.sql|heartbeat.interval.ms=1000 heartbeat.action.query=UPDATE/**/public.heartbeat/**/SET/**/ts=now()/**/WHERE/**/id=1 runner.idle.exit.ms=0 runner.max.runtime.ms=20000 key.converter.schemas.enable=false value.converter.schemas.enable=false"
)

lib=$("$here/fetch.sh")
dbz_version=$(basename "$(dirname "$lib")" | sed 's/^debezium-//')
# shellcheck source=jdk.sh
. "$here/jdk.sh"
set +f                    # dbz_choose_jdk globs /usr/lib/jvm/*/
dbz_choose_jdk            # exports JAVA_HOME, so every capture.sh below uses the same JDK
set -f
echo "run-captures.sh: Debezium $dbz_version on Java $DBZ_JAVA_VERSION: $DBZ_JAVA_DESC" >&2
as_pg() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pgdir=$(mktemp -d /tmp/wal2dbz-dbz-pg.XXXXXX)
chmod 755 "$pgdir"
[[ $(id -u) -eq 0 ]] && chown postgres "$pgdir"
cleanup() {
    if [[ -z "${KEEP_CLUSTER:-}" ]]; then
        as_pg "$PGBIN/pg_ctl" -D "$pgdir/data" -m fast -w stop >/dev/null 2>&1 || true
        rm -rf "$pgdir"
    else
        echo "cluster left running: $pgdir (port $port)" >&2
    fi
}
trap cleanup EXIT
as_pg "$PGBIN/initdb" -D "$pgdir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$pgdir/initdb.log" 2>&1
as_pg "$PGBIN/pg_ctl" -D "$pgdir/data" -l "$pgdir/pg.log" -w start -o \
    "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$pgdir -c wal_level=logical -c max_replication_slots=10 -c max_wal_senders=10 -c timezone=UTC" >/dev/null
psqlc() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres "$@"; }

run_one() {
    local name=$1 sql=$2 props=$3
    local work="$pgdir/work-$name"
    rm -rf "$work" && mkdir -p "$work"
    awk '/^-- @@STREAM@@/{exit} {print}' "$caps/$sql" >"$work/pre.sql"
    awk 'f{print} /^-- @@STREAM@@/{f=1}' "$caps/$sql" >"$work/post.sql"
    psqlc -d postgres -c "DROP DATABASE IF EXISTS inventory" -c "CREATE DATABASE inventory"
    psqlc -d inventory -f "$work/pre.sql" >"$work/pre.out" 2>&1
    echo "== $name: $sql $props" >&2
    # shellcheck disable=SC2086
    DBZ_WORKDIR="$work" "$here/capture.sh" "$work/out.jsonl" 127.0.0.1 "$port" inventory $props &
    local cap=$!
    local i=0
    until grep -q 'Processing messages' "$work/runner.log" 2>/dev/null; do
        sleep 0.5; i=$((i + 1))
        if [[ $i -gt 360 ]] || ! kill -0 "$cap" 2>/dev/null; then
            echo "$name: Debezium did not start streaming" >&2; wait "$cap" || true; return 1
        fi
    done
    sleep 1
    psqlc -d inventory -f "$work/post.sql" >"$work/post.out" 2>&1
    wait "$cap"
    cp "$work/out.jsonl" "$caps/$name.jsonl"
    printf '%s\n' $props >"$caps/$name.props"
    echo "$name: $(wc -l <"$caps/$name.jsonl") records" >&2
    local pgver
    pgver=$(psqlc -d postgres -Atc "SHOW server_version")
    { grep -v "^$name " "$caps/versions.txt" 2>/dev/null || true
      echo "$name Debezium $dbz_version, Java $DBZ_JAVA_VERSION ($(sed -n 's/^[^(]*(build \([^)]*\)).*/\1/p' <<<"$DBZ_JAVA_DESC")), PostgreSQL $pgver"
    } | sort >"$caps/versions.txt.tmp" && mv "$caps/versions.txt.tmp" "$caps/versions.txt"
}

want=("$@")
for c in "${CAPTURES[@]}"; do
    IFS='|' read -r name sql props <<<"$c"
    if [[ ${#want[@]} -gt 0 && ! " ${want[*]} " =~ " $name " ]]; then continue; fi
    run_one "$name" "$sql" "$props"
done
