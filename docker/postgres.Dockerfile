# PostgreSQL 15 (the official image) with the wal2dbz output plugin and
# extension installed and the settings logical decoding needs.
#
# Build from the repository root (docker/compose.yml does this):
#   docker build -f docker/postgres.Dockerfile -t wal2dbz-postgres .
#   docker run -d -e POSTGRES_PASSWORD=secret -e POSTGRES_DB=inventory \
#     -p 127.0.0.1:5432:5432 wal2dbz-postgres
#
# On the first start (empty data directory) the scripts in
# docker/postgres-init/ add wal_level = logical, max_replication_slots,
# max_wal_senders and, on server builds that have the setting,
# output_plugin_libraries with wal2dbz to postgresql.conf, and run
# CREATE EXTENSION wal2dbz in POSTGRES_DB and in template1.  An existing data
# directory is left alone: see the README ("Containers") for what to set.

###############################################################################
# build stage: the plugin, compiled with Debian's PostgreSQL 15 server headers
###############################################################################
# Debian's postgresql-server-dev-15 rather than the PGDG packages the official
# image's server comes from, so that the build needs nothing but Debian.
# Modules are compatible across minor releases of one major version, which
# PG_MODULE_MAGIC checks when the server loads the library.
FROM debian:bookworm AS build

# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        build-essential \
        postgresql-server-dev-15 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# Only what the plugin's build needs: without sink/Makefile the top-level
# Makefile builds and installs the plugin alone (PGXS).
COPY Makefile wal2dbz.control ./
COPY plugin/ plugin/

# with_llvm=no: no JIT bitcode.  Inlining the plugin's few SQL functions
# gains nothing, and the bitcode would come from Debian's clang rather than
# the LLVM the image's server was built with.  "clean" first in case the
# build context carried objects built on the host.
RUN make PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config with_llvm=no clean \
    && make PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config with_llvm=no -j"$(nproc)" \
    && make PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config with_llvm=no install DESTDIR=/out \
    && test -f /out/usr/lib/postgresql/15/lib/wal2dbz.so \
    && test -f /out/usr/share/postgresql/15/extension/wal2dbz.control

###############################################################################
# the server
###############################################################################
FROM postgres:15-bookworm

ARG WAL2DBZ_VERSION=0.1.0

LABEL org.opencontainers.image.title="wal2dbz-postgres" \
      org.opencontainers.image.description="PostgreSQL 15 with the wal2dbz logical decoding output plugin (Debezium change events) and extension" \
      org.opencontainers.image.version="${WAL2DBZ_VERSION}" \
      org.opencontainers.image.licenses="PostgreSQL" \
      org.opencontainers.image.base.name="postgres:15-bookworm"

# Same layout as Debian's packages: /usr/lib/postgresql/15/lib (wal2dbz.so)
# and /usr/share/postgresql/15/extension (control and SQL files).
COPY --from=build /out/usr/lib/postgresql/15/lib/ /usr/lib/postgresql/15/lib/
COPY --from=build /out/usr/share/postgresql/15/extension/ /usr/share/postgresql/15/extension/
COPY docker/postgres-init/10-wal2dbz-settings.sh docker/postgres-init/20-wal2dbz-extension.sql \
     /docker-entrypoint-initdb.d/
# (chmod here rather than COPY --chmod, which the legacy builder lacks)
RUN chmod 0755 /docker-entrypoint-initdb.d/10-wal2dbz-settings.sh \
    && chmod 0644 /docker-entrypoint-initdb.d/20-wal2dbz-extension.sql

# Over TCP only: during initialisation the entrypoint's temporary server
# listens on the Unix socket alone, so the check fails until the real start.
HEALTHCHECK --interval=5s --timeout=5s --start-period=60s --retries=5 \
    CMD ["sh", "-c", "pg_isready -q -h 127.0.0.1 -p \"${PGPORT:-5432}\" -U \"${POSTGRES_USER:-postgres}\" -d \"${POSTGRES_DB:-${POSTGRES_USER:-postgres}}\" || exit 1"]
