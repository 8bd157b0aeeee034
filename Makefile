# wal2dbz: the output plugin and extension (PGXS) and the wal2dbz-sink daemon.
#
#   make                 build wal2dbz.so and sink/wal2dbz-sink
#   make install         install both (the plugin into PostgreSQL's libdir)
#   make installcheck    pg_regress suite on a temporary logical-decoding
#                        instance (run as a non-root user: initdb refuses root)

EXTENSION = wal2dbz
EXTVERSION = 0.1.0
MODULE_big = wal2dbz
OBJS = \
	plugin/column_mapper.o \
	plugin/envelope.o \
	plugin/extension.o \
	plugin/json.o \
	plugin/options.o \
	plugin/outbox.o \
	plugin/snapshot.o \
	plugin/unwrap.o \
	plugin/record.o \
	plugin/relinfo.o \
	plugin/types.o \
	plugin/wal2dbz.o
PGFILEDESC = "wal2dbz - Debezium change events from logical decoding"

DATA = plugin/wal2dbz--$(EXTVERSION).sql

# order matters: option errors first, as test_decoding's ddl.sql does
REGRESS = options basic types types_modes keys column_mappers toast truncate messages \
	filters ddl partitioned txmeta large_txn framed snapshot outbox unwrap jsonb
REGRESS_OPTS = --temp-instance=./tmp_check --temp-config=$(srcdir)/test/logical.conf

PG_CONFIG ?= pg_config
PG_CPPFLAGS = -I$(srcdir)/plugin
PG_CFLAGS = -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
	-Wno-sign-compare -Wno-cast-function-type

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# The sink is plain C with its own Makefile; it is built and installed with
# the plugin so one "make && make install" sets everything up.
ifneq ($(wildcard sink/Makefile),)
all: sink
install: sink-install
clean: sink-clean

.PHONY: sink sink-install sink-clean
sink:
	$(MAKE) -C sink
sink-install:
	$(MAKE) -C sink install
sink-clean:
	$(MAKE) -C sink clean
endif

# every plugin object depends on the plugin's headers
$(OBJS): $(wildcard $(srcdir)/plugin/*.h)
