# wal2dbz-sink: PostgreSQL (wal2dbz plugin) -> Kafka, as one small C process.
#
# Build from the repository root (docker/compose.yml does this):
#   docker build -f docker/sink.Dockerfile -t wal2dbz-sink .
# Run (configuration from WAL2DBZ_* variables alone, or mount a file on
# /etc/wal2dbz/connector.properties; variables override the file):
#   docker run --rm -p 127.0.0.1:8083:8083 \
#     -e WAL2DBZ_DATABASE_HOSTNAME=db -e WAL2DBZ_DATABASE_USER=postgres \
#     -e WAL2DBZ_DATABASE_PASSWORD=secret -e WAL2DBZ_DATABASE_DBNAME=inventory \
#     -e WAL2DBZ_TOPIC_PREFIX=dbserver1 -e WAL2DBZ_KAFKA_BOOTSTRAP_SERVERS=kafka:9092 \
#     wal2dbz-sink
#
# Everything comes from Debian 12 (bookworm) packages: no other download.
# The runtime package names (librdkafka1, libmicrohttpd12) are bookworm's.

###############################################################################
# build stage: compile sink/ with Debian's development packages
###############################################################################
FROM debian:bookworm AS build

# The sink needs libpq, librdkafka, jansson and libmicrohttpd (sink/Makefile,
# through pkg-config); libcurl is for the ClickHouse stage.  The PostgreSQL
# server headers are not needed: the sink only includes
# plugin/wal2dbz_frame.h, which is plain C.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        build-essential \
        pkg-config \
        libpq-dev \
        librdkafka-dev \
        libcurl4-openssl-dev \
        libjansson-dev \
        libmicrohttpd-dev \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# sink/Makefile reads the version from wal2dbz.control and compiles with
# -I../plugin (plugin/wal2dbz_frame.h); plugin/ is small, so all of it comes.
COPY wal2dbz.control ./
COPY plugin/ plugin/
COPY sink/ sink/

# "clean" first: a build context that was not filtered by
# docker/sink.Dockerfile.dockerignore may carry objects built on the host.
RUN make -C sink clean \
    && make -C sink -j"$(nproc)" \
    && make -C sink install DESTDIR=/out PREFIX=/usr/local \
    && strip --strip-debug /out/usr/local/bin/wal2dbz-sink \
    && /out/usr/local/bin/wal2dbz-sink --version

###############################################################################
# runtime stage: the binary, its shared libraries, curl for the health check
###############################################################################
FROM debian:bookworm-slim

ARG WAL2DBZ_VERSION=0.1.0

LABEL org.opencontainers.image.title="wal2dbz-sink" \
      org.opencontainers.image.description="Streams PostgreSQL changes (wal2dbz output plugin) to Kafka as Debezium change events" \
      org.opencontainers.image.version="${WAL2DBZ_VERSION}" \
      org.opencontainers.image.licenses="PostgreSQL" \
      org.opencontainers.image.base.name="debian:bookworm-slim"

# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpq5 \
        librdkafka1 \
        libcurl4 \
        libjansson4 \
        libmicrohttpd12 \
        ca-certificates \
        curl \
    && rm -rf /var/lib/apt/lists/*

# A fixed numeric user, so "runAsNonRoot" policies can verify it.
RUN groupadd --system --gid 10001 wal2dbz \
    && useradd --system --uid 10001 --gid wal2dbz --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin wal2dbz \
    && mkdir -p /etc/wal2dbz /usr/share/doc/wal2dbz

COPY --from=build /out/usr/local/bin/wal2dbz-sink /usr/local/bin/wal2dbz-sink
COPY docker/connector.properties /usr/share/doc/wal2dbz/connector.properties.example

# The default configuration file sets nothing, so WAL2DBZ_* variables alone
# can configure the sink; mount your own file over it to use one.  The image
# sets no WAL2DBZ_* variable itself: they would override a mounted file.
RUN printf '%s\n' \
        '# wal2dbz-sink configuration (Debezium PostgreSQL connector property names).' \
        '# Empty on purpose: set WAL2DBZ_<PROPERTY> variables (dots as underscores,' \
        '# e.g. WAL2DBZ_TOPIC_PREFIX, WAL2DBZ_KAFKA_BOOTSTRAP_SERVERS) or mount a file' \
        '# here. Example: /usr/share/doc/wal2dbz/connector.properties.example' \
        > /etc/wal2dbz/connector.properties \
    && wal2dbz-sink --version

USER 10001:10001

# http.port: /health/live (200 while the process runs), /health/ready (200
# while streaming or snapshotting with PostgreSQL connected and Kafka
# answering, else 503) and /metrics (Prometheus)
EXPOSE 8083

# "healthy" means doing its work: readiness.  (Kubernetes: livenessProbe on
# /health/live, readinessProbe on /health/ready.)  If you move the endpoint,
# set WAL2DBZ_HTTP_PORT (not only http.port in the file) so that this check
# follows it.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["sh", "-c", "curl -fsS -o /dev/null \"http://127.0.0.1:${WAL2DBZ_HTTP_PORT:-8083}/health/ready\" || exit 1"]

# SIGTERM (docker stop): stop reading, let Kafka acknowledge what was sent
# (up to 30 s), confirm it to PostgreSQL, exit 0.  Give docker stop a longer
# timeout than its default 10 s (compose.yml: stop_grace_period).
STOPSIGNAL SIGTERM

ENTRYPOINT ["wal2dbz-sink"]
CMD ["--config", "/etc/wal2dbz/connector.properties"]
