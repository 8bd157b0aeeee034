#!/usr/bin/env bash
#-------------------------------------------------------------------------
#
# e2e_tls.sh
#	  wal2dbz-sink against a real PostgreSQL 15 that accepts TCP only over
#	  TLS with client certificates, and a real Kafka broker over SASL_SSL.
#
# A throw-away CA signs the server's certificate (for 127.0.0.1) and a
# client certificate for the test's role; pg_hba.conf rejects TCP without
# TLS and authenticates TLS connections by certificate ("cert").
#   - the sink with database.sslmode=verify-full, sslrootcert, sslcert and
#     sslkey, and kafka.security.protocol=SASL_SSL (SASL/PLAIN, the same
#     CA), snapshots a table and streams its changes: every row in Kafka,
#     the slot confirmed; every connection it held was encrypted and
#     authenticated by the client certificate (pg_stat_ssl); the SASL
#     password is in no log line
#   - a wrong SASL password: "check" fails naming the authentication
#     failure, and shows no password
#   - the ClickHouse stage reads those records over SASL_SSL and writes
#     them to ClickHouse over HTTPS, verified with clickhouse.ssl.ca.location;
#     another CA: "check" fails with the certificate problem
#   - "check" with sslmode=disable: a FAIL line, the server's refusal of
#     an unencrypted connection
#   - "check" against a CA that did not sign the server's certificate: a
#     FAIL line, the certificate verification error
#
# Usage: test/sink/e2e_tls.sh   (SINK=path, KEEP=1)
# Prints TAP.
#
# test/sink/e2e_tls.sh
#
#-------------------------------------------------------------------------
# check evaluates its first argument later: single quotes on purpose
# shellcheck disable=SC2016,SC2034
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib_e2e.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib_clickhouse.sh"

PREFIX=tl
SLOT=tl_slot

e2e_init tls
command -v openssl >/dev/null || bail "openssl not found"
e2e_start_pg
export PGDATABASE=postgres
DATA=$WORK/pg/data
CERTS=$WORK/certs
mkdir -p "$CERTS"

# --- a CA, the server's certificate, the client's, and a CA of nobody ----
ssl() { openssl "$@" >>"$WORK/openssl.log" 2>&1; }
ssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=wal2dbz test CA" \
	-keyout "$CERTS/ca.key" -out "$CERTS/ca.crt"
ssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=someone else's CA" \
	-keyout "$CERTS/other-ca.key" -out "$CERTS/other-ca.crt"
ssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
	-keyout "$CERTS/server.key" -out "$CERTS/server.csr"
echo "subjectAltName = IP:127.0.0.1" >"$CERTS/server.ext"
ssl x509 -req -in "$CERTS/server.csr" -CA "$CERTS/ca.crt" -CAkey "$CERTS/ca.key" \
	-CAcreateserial -days 2 -extfile "$CERTS/server.ext" -out "$CERTS/server.crt"
ssl req -newkey rsa:2048 -nodes -subj "/CN=$PGUSER" \
	-keyout "$CERTS/client.key" -out "$CERTS/client.csr"
ssl x509 -req -in "$CERTS/client.csr" -CA "$CERTS/ca.crt" -CAkey "$CERTS/ca.key" \
	-CAcreateserial -days 2 -out "$CERTS/client.crt"
chmod 600 "$CERTS"/*.key
[[ -s $CERTS/server.crt && -s $CERTS/client.crt ]] || { diag "$WORK/openssl.log"; bail "could not make certificates"; }

# the broker: SASL_SSL with the same server certificate, SASL/PLAIN user "sink"
SASL_PASSWORD="kafka-secret-$RANDOM$RANDOM"
cat "$CERTS/server.key" "$CERTS/server.crt" >"$CERTS/broker.pem"
KAFKA_SASL_SSL="$CERTS/broker.pem sink $SASL_PASSWORD" e2e_start_kafka
SASL_BOOTSTRAP=$(cat "$WORK/kafka/bootstrap_sasl_ssl")

# the server's files belong to the cluster's owner (postgres when run as root)
cp "$CERTS/server.crt" "$CERTS/server.key" "$CERTS/ca.crt" "$DATA/"
chown --reference="$DATA" "$DATA/server.crt" "$DATA/server.key" "$DATA/ca.crt"
chmod 600 "$DATA/server.key"
# TCP: TLS with a client certificate, or nothing; the socket stays open for the test
cat >"$DATA/pg_hba.conf" <<HBA
local      all          all                 trust
local      replication  all                 trust
hostnossl  all          all   0.0.0.0/0     reject
hostnossl  replication  all   0.0.0.0/0     reject
hostssl    all          all   127.0.0.1/32  cert
hostssl    replication  all   127.0.0.1/32  cert
HBA
sql "ALTER SYSTEM SET ssl = on" >/dev/null
sql "ALTER SYSTEM SET ssl_cert_file = 'server.crt'" >/dev/null
sql "ALTER SYSTEM SET ssl_key_file = 'server.key'" >/dev/null
sql "ALTER SYSTEM SET ssl_ca_file = 'ca.crt'" >/dev/null
sql "SELECT pg_reload_conf()" >/dev/null
sleep 1
check '[[ $(sql "SHOW ssl") == on ]]' "the server has TLS on" || diag "$WORK/pg/log"

sql "CREATE EXTENSION wal2dbz" >/dev/null
sql "CREATE TABLE public.t (id int PRIMARY KEY, v text)" >/dev/null
sql "INSERT INTO public.t SELECT g, 'before ' || g FROM generate_series(1, 500) g" >/dev/null

TLS_PROPS=("database.sslmode=verify-full" "database.sslrootcert=$CERTS/ca.crt"
	"database.sslcert=$CERTS/client.crt" "database.sslkey=$CERTS/client.key"
	"kafka.security.protocol=SASL_SSL" "kafka.sasl.mechanisms=PLAIN" "kafka.sasl.username=sink"
	"kafka.sasl.password=$SASL_PASSWORD" "kafka.ssl.ca.location=$CERTS/ca.crt")

# --- the sink over TLS: snapshot, then streaming ---------------------------
write_props "$WORK/sink.properties" postgres "$PREFIX" "$SLOT" \
	"table.include.list=public\\.t" "${TLS_PROPS[@]}" "http.port=0"
sed -i -e 's/^snapshot.mode=no_data$/snapshot.mode=initial/' \
	-e "s/^kafka.bootstrap.servers=.*/kafka.bootstrap.servers=$SASL_BOOTSTRAP/" "$WORK/sink.properties"
sink_start sink "$WORK/sink.properties"
check 'wait_active "$SLOT" 60' "the sink streams over TLS with a client certificate" || diag "$WORK/sink.err"
SSL_ROWS=$(sql "SELECT count(*) || ' ' || count(*) FILTER (WHERE s.ssl AND s.client_dn = '/CN=$PGUSER')
	FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
	WHERE a.application_name = 'wal2dbz-sink'")
check '[[ ${SSL_ROWS% *} -ge 1 && ${SSL_ROWS% *} == "${SSL_ROWS#* }" ]]' \
	"every connection of the sink is encrypted and authenticated by its certificate ($SSL_ROWS)"
sql "INSERT INTO public.t SELECT g, 'after ' || g FROM generate_series(501, 600) g" >/dev/null
sql "UPDATE public.t SET v = 'changed' WHERE id <= 10" >/dev/null
LSN=$(current_lsn)
wait_confirmed "$SLOT" "$LSN" 60
check 'lsn_ge "$C" "$LSN"' "the slot is confirmed up to the last change" || diag "$WORK/sink.err"
dump_topics_tsv "$PREFIX" "$WORK/records.tsv"
KEYS=$(cut -f4 "$WORK/records.tsv" | sort -u | wc -l)
R=$(grep -c '"op":"r"' "$WORK/records.tsv")
CU=$(grep -c '"op":"[cu]"' "$WORK/records.tsv")
check '[[ $KEYS -eq 600 && $R -eq 500 && $CU -eq 110 ]]' \
	"Kafka holds the 500 rows as r records, then 100 inserts and 10 updates ($KEYS keys, $R r, $CU c/u)"
sink_stop sink TERM
check '[[ $rc -eq 0 ]]' "SIGTERM: exit 0"
check '! grep -q "$SASL_PASSWORD" "$WORK/sink.err" "$WORK/sink.out"' "the SASL password appears in no log line"

# a wrong SASL password: Kafka refuses, the sink says so, and shows no password
sed "s/^kafka.sasl.password=.*/kafka.sasl.password=wrong-$SASL_PASSWORD/" "$WORK/sink.properties" >"$WORK/wrong.properties"
"$SINK" check --config "$WORK/wrong.properties" >"$WORK/check-wrong.out" 2>&1
check 'grep -q "^FAIL kafka: .*SASL authentication error: Authentication failed" "$WORK/check-wrong.out"' \
	"a wrong SASL password: check fails, naming the authentication failure" || diag "$WORK/check-wrong.out"
check '! grep -q "$SASL_PASSWORD" "$WORK/check-wrong.out"' "and shows neither password"

# --- the ClickHouse stage over HTTPS (and Kafka over SASL_SSL) ------------
CLICKHOUSE_TLS="$CERTS/server.crt $CERTS/server.key" ch_start	# CH_URL: plain HTTP, for the test
CH_HTTPS="https://127.0.0.1:$(cat "$WORK/ch/https_port")"
cat >"$WORK/stage.properties" <<EOF
name=tls-stage
kafka.bootstrap.servers=$SASL_BOOTSTRAP
kafka.security.protocol=SASL_SSL
kafka.sasl.mechanisms=PLAIN
kafka.sasl.username=sink
kafka.sasl.password=$SASL_PASSWORD
kafka.ssl.ca.location=$CERTS/ca.crt
clickhouse.url=$CH_HTTPS
clickhouse.ssl.ca.location=$CERTS/ca.crt
clickhouse.database=cdc
clickhouse.topics=$PREFIX.public.t
clickhouse.group.id=tls-stage
clickhouse.batch.ms=300
http.port=0
EOF
sink_start stage "$WORK/stage.properties"
check 'ch_wait_equal 90 public.t=cdc.tl_public_t' \
	"the stage reads Kafka over SASL_SSL and writes ClickHouse over HTTPS (verified against the CA): ClickHouse equals PostgreSQL" ||
	diag "$WORK/stage.err"
sink_stop stage TERM
check '[[ $rc -eq 0 ]] && ! grep -q "$SASL_PASSWORD" "$WORK/stage.err"' "the stage stops cleanly and logs no password"
sed "s|^clickhouse.ssl.ca.location=.*|clickhouse.ssl.ca.location=$CERTS/other-ca.crt|" \
	"$WORK/stage.properties" >"$WORK/stage-other.properties"
"$SINK" check --config "$WORK/stage-other.properties" >"$WORK/check-ch.out" 2>&1
check 'grep -q "^FAIL clickhouse: .*SSL certificate problem" "$WORK/check-ch.out"' \
	"HTTPS against another CA: check fails with the certificate problem" || diag "$WORK/check-ch.out"

# --- check: refused without TLS, and against the wrong CA -----------------
write_props "$WORK/plain.properties" postgres "$PREFIX" "$SLOT" "database.sslmode=disable" "http.port=0"
"$SINK" check --config "$WORK/plain.properties" >"$WORK/check-plain.out" 2>&1
check 'grep -q "^FAIL connection" "$WORK/check-plain.out" && grep -q "no encryption" "$WORK/check-plain.out"' \
	"sslmode=disable: check fails with the server's refusal of an unencrypted connection" || diag "$WORK/check-plain.out"
write_props "$WORK/other.properties" postgres "$PREFIX" "$SLOT" "database.sslmode=verify-full" \
	"database.sslrootcert=$CERTS/other-ca.crt" "database.sslcert=$CERTS/client.crt" \
	"database.sslkey=$CERTS/client.key" "http.port=0"
"$SINK" check --config "$WORK/other.properties" >"$WORK/check-other.out" 2>&1
check 'grep -q "^FAIL connection" "$WORK/check-other.out" && grep -q "certificate verify failed" "$WORK/check-other.out"' \
	"verify-full against another CA: check fails with the certificate error" || diag "$WORK/check-other.out"

tap_end
