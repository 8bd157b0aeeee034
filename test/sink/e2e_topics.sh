#!/usr/bin/env bash
#-------------------------------------------------------------------------
#
# e2e_topics.sh
#	  Topics the sink creates, and records too large for them, against a
#	  real PostgreSQL 15 and a real Kafka broker.
#
#   - "check" against the cluster: the groups fit its one broker; a
#     replication factor above it, or min.insync.replicas above the
#     replication factor, is a FAIL line naming the group
#   - Kafka Connect's topic.creation.* (KIP-158): the default group's
#     partitions and topic configurations, and a named group, chosen by
#     its include and exclude patterns, with its own; read back with
#     Kafka's kafka-configs tool and kcat's metadata
#   - a record larger than its topic's max.message.bytes: the broker
#     refuses it, the sink names the topic and the key, says what to do
#     and exits non-zero, and the slot is not confirmed past the row's
#     transaction; once the topic takes larger records, a restart
#     delivers it and everything after it, nothing lost
#   - a record larger than kafka.message.max.bytes: refused by the
#     producer itself, the same outcome
#
# Usage: test/sink/e2e_topics.sh   (SINK=path, KEEP=1)
# Prints TAP.
#
# test/sink/e2e_topics.sh
#
#-------------------------------------------------------------------------
# check evaluates its first argument later: single quotes on purpose
# shellcheck disable=SC2016,SC2034
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib_e2e.sh"

PREFIX=tp
SLOT=tp_slot
KAFKA_SH=$E2E_LIB/kafka.sh

e2e_init topics
e2e_start_pg
e2e_start_kafka
export PGDATABASE=postgres

e2e_psql >/dev/null <<-'SQL' || bail "could not create the tables"
	CREATE TABLE public.small (id int PRIMARY KEY, body text);
	CREATE TABLE public.big (id int PRIMARY KEY, body text);
	CREATE TABLE public.bigtmp (id int PRIMARY KEY, body text);
	-- incompressible text: lz4 cannot shrink random hex below the limits
	CREATE FUNCTION noise(kb int) RETURNS text LANGUAGE sql AS
	  $$ SELECT string_agg(md5(random()::text), '') FROM generate_series(1, kb * 32) $$;
	SQL

# the default group: 3 partitions (write_props), 64 kB records, a day's retention; the
# group "big": tp.public.big* but not tp.public.bigtmp, 1 partition,
# compacted, 2 MB records
write_props "$WORK/sink.properties" postgres "$PREFIX" "$SLOT" \
	"topic.creation.default.max.message.bytes=65536" \
	"topic.creation.default.retention.ms=86400000" \
	"topic.creation.groups=big" \
	'topic.creation.big.include=tp\.public\.big.*' \
	'topic.creation.big.exclude=tp\.public\.bigtmp' \
	"topic.creation.big.partitions=1" \
	"topic.creation.big.cleanup.policy=compact" \
	"topic.creation.big.max.message.bytes=2097152" \
	"value.converter.schemas.enable=false" \
	"key.converter.schemas.enable=false" \
	"http.port=0"

# topic_config TOPIC NAME: the topic's value of a configuration, as the
# broker reports it (kafka-configs --describe --all)
topic_config() {
	"$KAFKA_SH" configs "$WORK/kafka" --describe --all --entity-type topics \
		--entity-name "$1" 2>>"$WORK/configs.err" |
		sed -n "s/^ *$2=\([^ ]*\) .*/\1/p" | head -1
}
partitions_of() {
	kcat -b "$BOOTSTRAP" -L -t "$1" 2>/dev/null | sed -n 's/.* with \([0-9]*\) partitions.*/\1/p'
}
# records TOPIC: every record as "key TAB value length"
records() {
	kcat -b "$BOOTSTRAP" -C -t "$1" -o beginning -e -q -Z -f '%k\t%S\n' 2>>"$WORK/kcat.err"
}

# --- check: what topic creation asks of the cluster ----------------------
"$SINK" check --config "$WORK/sink.properties" >"$WORK/check-ok.out" 2>&1
check 'grep -q "^OK topic creation: 2 group(s) fit the cluster.s 1 broker(s)" "$WORK/check-ok.out"' \
	"check: the two groups fit the one broker" || diag "$WORK/check-ok.out"
write_props "$WORK/bad.properties" postgres bad bad_slot \
	"topic.creation.groups=big" 'topic.creation.big.include=bad\.public\.big.*' \
	"topic.creation.big.replication.factor=3" "topic.creation.default.min.insync.replicas=2" \
	"http.port=0"	# write_props gives the default group replication factor 1
"$SINK" check --config "$WORK/bad.properties" >"$WORK/check-bad.out" 2>&1
check 'grep -q "^FAIL topic creation: group \"big\" asks for replication factor 3 (topic.creation.big.replication.factor), the cluster has 1 broker(s)" "$WORK/check-bad.out" &&
	grep -q "^FAIL topic creation: group \"default\" sets min.insync.replicas 2 above its replication factor 1" "$WORK/check-bad.out"' \
	"check: FAIL for a replication factor above the brokers and min.insync.replicas above it" || diag "$WORK/check-bad.out"

# --- topic creation ------------------------------------------------------
sink_start sink "$WORK/sink.properties"
wait_active "$SLOT" 30 || bail "the sink did not start streaming"
sql "INSERT INTO public.small VALUES (1, 'a'); INSERT INTO public.big VALUES (1, 'b');
     INSERT INTO public.bigtmp VALUES (1, 'c')" >/dev/null
LSN=$(current_lsn)
wait_confirmed "$SLOT" "$LSN" 60
check 'lsn_ge "$C" "$LSN"' "first rows delivered to three new topics" || diag "$WORK/sink.err"

check '[[ $(partitions_of tp.public.small) == 3 && $(partitions_of tp.public.bigtmp) == 3 ]]' \
	"default group: 3 partitions (tp.public.small, and tp.public.bigtmp, which group big excludes)"
check '[[ $(partitions_of tp.public.big) == 1 ]]' "group big: 1 partition"
SMALL_MAX=$(topic_config tp.public.small max.message.bytes)
SMALL_RET=$(topic_config tp.public.small retention.ms)
SMALL_POLICY=$(topic_config tp.public.small cleanup.policy)
check '[[ $SMALL_MAX == 65536 && $SMALL_RET == 86400000 && $SMALL_POLICY == delete ]]' \
	"default group's topic configurations (max.message.bytes $SMALL_MAX, retention.ms $SMALL_RET, cleanup.policy $SMALL_POLICY)" ||
	diag "$WORK/configs.err"
BIG_MAX=$(topic_config tp.public.big max.message.bytes)
BIG_POLICY=$(topic_config tp.public.big cleanup.policy)
BIG_RET=$(topic_config tp.public.big retention.ms)
check '[[ $BIG_MAX == 2097152 && $BIG_POLICY == compact && $BIG_RET == 604800000 ]]' \
	"group big has its own configurations only (max.message.bytes $BIG_MAX, cleanup.policy $BIG_POLICY, retention.ms $BIG_RET: the broker's)"
check '[[ $(topic_config tp.public.bigtmp cleanup.policy) == delete ]]' "the excluded topic follows the default group"

# --- a record larger than its topic allows -------------------------------
# 200 kB: fine for tp.public.big (2 MB), too large for tp.public.small (64 kB)
sql "INSERT INTO public.big VALUES (2, noise(200))" >/dev/null
sql "INSERT INTO public.small VALUES (2, noise(200))" >/dev/null
TOO_LARGE_LSN=$(current_lsn)
sql "INSERT INTO public.small VALUES (3, 'after')" >/dev/null
AFTER_LSN=$(current_lsn)
sink_wait sink 60
check '[[ $rc -ne 0 && $rc -ne 137 ]]' "the sink stops by itself with a non-zero exit (exit $rc)" ||
	diag "$WORK/sink.err"
check 'grep -q "could not deliver record to topic \"tp.public.small\" (key {\"id\":2}, [0-9]* bytes): Broker: Message size too large" "$WORK/sink.err"' \
	"the error names the topic, the key and the cause" || diag "$WORK/sink.err"
check 'grep -q "hint: Raise the topic.s max.message.bytes" "$WORK/sink.err"' "a hint says what to do"
C=$(confirmed "$SLOT")
check '! lsn_ge "$C" "$TOO_LARGE_LSN"' \
	"the slot is not confirmed past the refused row's transaction ($C < $TOO_LARGE_LSN)"
check '[[ $(records tp.public.big | grep -c "^{\"id\":2}") -eq 1 ]]' \
	"the 200 kB record of tp.public.big (2 MB allowed) was delivered"

# the topic takes larger records: a restart delivers the row and what followed
"$KAFKA_SH" configs "$WORK/kafka" --alter --entity-type topics --entity-name tp.public.small \
	--add-config max.message.bytes=1048576 >>"$WORK/configs.err" 2>&1
check '[[ $(topic_config tp.public.small max.message.bytes) == 1048576 ]]' "tp.public.small now takes 1 MB records"
sink_start sink "$WORK/sink.properties"
wait_confirmed "$SLOT" "$AFTER_LSN" 60
check 'lsn_ge "$C" "$AFTER_LSN"' "after the restart the slot is confirmed up to the end" || diag "$WORK/sink.err"
SMALL=$(records tp.public.small | cut -f1 | sort -u | tr '\n' ' ')
check '[[ $SMALL == "{\"id\":1} {\"id\":2} {\"id\":3} " ]]' "every row of public.small is in Kafka: $SMALL"
LEN=$(records tp.public.small | awk -F'\t' '$1 == "{\"id\":2}" { print $2 }' | head -1)
check '[[ ${LEN:-0} -gt 204800 ]]' "the refused row arrived whole ($LEN bytes)"
sink_stop sink TERM
check '[[ $rc -eq 0 ]]' "SIGTERM: exit 0"

# --- a record larger than the producer allows ----------------------------
write_props "$WORK/limited.properties" postgres "$PREFIX" "$SLOT" \
	"kafka.message.max.bytes=100000" \
	"value.converter.schemas.enable=false" \
	"key.converter.schemas.enable=false" \
	"http.port=0"
sql "INSERT INTO public.big VALUES (3, noise(300))" >/dev/null
BIG_LSN=$(current_lsn)
sink_start limited "$WORK/limited.properties"
sink_wait limited 60
check '[[ $rc -ne 0 && $rc -ne 137 ]]' "kafka.message.max.bytes: the sink stops with a non-zero exit (exit $rc)" ||
	diag "$WORK/limited.err"
check 'grep -q "could not produce record to topic \"tp.public.big\" (key {\"id\":3}, [0-9]* bytes): " "$WORK/limited.err"' \
	"the producer's refusal names the topic and the key" || diag "$WORK/limited.err"
check 'grep -q "hint: The record is larger than \"kafka.message.max.bytes\"" "$WORK/limited.err"' "and says which setting"
C=$(confirmed "$SLOT")
check '! lsn_ge "$C" "$BIG_LSN"' "nothing past it is confirmed"
sink_start sink "$WORK/sink.properties"
wait_confirmed "$SLOT" "$BIG_LSN" 60
check 'lsn_ge "$C" "$BIG_LSN"' "with the default limit the row is delivered"
check '[[ $(records tp.public.big | grep -c "^{\"id\":3}") -eq 1 ]]' "once"
sink_stop sink TERM

tap_end
