/*-------------------------------------------------------------------------
 *
 * main.c
 *	  wal2dbz-sink: stream changes from a PostgreSQL logical replication
 *	  slot (wal2dbz output plugin, framed mode) to Kafka.
 *
 * The command line follows pg_recvlogical: --help and --version first,
 * then getopt_long, then checks of the combinations, each failure one
 * error line and a "Try ... --help" hint.  Everything in the configuration
 * is checked before anything connects.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/main.c
 *
 *-------------------------------------------------------------------------
 */
#include <getopt.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "ch_consumer.h"
#include "check.h"
#include "config.h"
#include "http.h"
#include "kafka.h"
#include "log.h"
#include "lsn.h"
#include "metrics.h"
#include "repl.h"
#include "snapshot.h"
#include "worker.h"

#ifndef WAL2DBZ_VERSION
#define WAL2DBZ_VERSION "0.1.0"
#endif

extern char **environ;

/* Print the usage text to stdout (lines under 80 columns). */
static void
usage(const char *progname)
{
	printf("%s streams changes from a PostgreSQL logical replication slot to Kafka\n"
		   "as Debezium change events, using the wal2dbz output plugin.\n\n",
		   progname);
	printf("Usage:\n");
	printf("  %s [OPTION]... --config=FILE          stream until stopped\n", progname);
	printf("  %s check [OPTION]... --config=FILE    check the configuration and\n"
		   "                                       every prerequisite, then exit\n",
		   progname);
	printf("  %s worker [OPTION]... --config=FILE   serve the Kafka Connect REST\n"
		   "                                       API and run its connectors\n",
		   progname);
	printf("\nOptions:\n");
	printf("  -c, --config=FILE      properties file (property=value) or Kafka Connect\n"
		   "                         JSON file ({\"name\": ..., \"config\": {...}})\n");
	printf("  -E, --endpos=LSN       exit once everything up to LSN is confirmed\n");
	printf("  -n, --no-loop          do not reconnect after a lost connection\n");
	printf("  -v, --verbose          more messages (twice: one line per frame)\n");
	printf("  -V, --version          output version information, then exit\n");
	printf("  -?, --help             show this help, then exit\n");
	printf("\nProperties take the Debezium PostgreSQL connector's names (database.*,\n"
		   "topic.prefix, slot.name, table.include.list, ...); kafka.<property> goes\n"
		   "to librdkafka.  Environment variables WAL2DBZ_<PROPERTY> (upper case, dots\n"
		   "as underscores, e.g. WAL2DBZ_DATABASE_PASSWORD) override the file.\n");
	printf("\nWith clickhouse.url set, the ClickHouse stage also consumes the topics\n"
		   "into ClickHouse tables; without database.* properties it runs alone.\n");
	printf("\nSIGINT or SIGTERM stops after Kafka has acknowledged what was sent; a\n"
		   "second signal stops at once.  Only acknowledged changes are confirmed.\n");
}

/* Log an error with the usual hint and exit(1). */
static void
bad_usage(const char *progname)
{
	sink_log_hint("Try \"%s --help\" for more information.", progname);
	exit(1);
}

/*
 * Keep freed memory for reuse instead of returning it to the kernel.
 * librdkafka allocates and frees every record, its headers and its produce
 * request buffers at a high rate, across threads; with glibc's adaptive
 * defaults much of that memory went back to the kernel (trim, munmap) and
 * came back page fault by page fault, about a fifth of the sink's CPU in
 * test/bench/sink.sh.  The resident size stays at its peak instead, which
 * the bounded producer queue keeps small.  MALLOC_TRIM_THRESHOLD_ or
 * MALLOC_MMAP_THRESHOLD_ in the environment win.
 */
static void
tune_malloc(void)
{
#ifdef __GLIBC__
	if (getenv("MALLOC_TRIM_THRESHOLD_") == NULL)
		mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
	if (getenv("MALLOC_MMAP_THRESHOLD_") == NULL)
		mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
#endif
}

/* Parse, check the configuration, then check or stream. */
int
main(int argc, char **argv)
{
	static const struct option long_options[] = {
		/* general */
		{"config", required_argument, NULL, 'c'},
		{"verbose", no_argument, NULL, 'v'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, '?'},
		/* replication */
		{"endpos", required_argument, NULL, 'E'},
		{"no-loop", no_argument, NULL, 'n'},
		{NULL, 0, NULL, 0}
	};
	const char *progname;
	const char *config_path = NULL;
	const char *command = NULL;
	int			verbosity = SINK_LOG_INFO;
	SinkReplOptions opts = {0};
	SinkConfig	cfg;
	rd_kafka_conf_t *kconf;
	SinkMetrics metrics;
	SinkLsn		lsn;
	SinkHttp   *http = NULL;
	SinkKafka  *sk;
	SinkCh	   *ch = NULL;
	bool		ok;
	int			c;
	int			rc;

	sink_log_init(argv[0]);
	tune_malloc();
	progname = sink_progname();

	if (argc > 1)
	{
		if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-?") == 0)
		{
			usage(progname);
			exit(0);
		}
		if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)
		{
			printf("%s (wal2dbz) %s\n", progname, WAL2DBZ_VERSION);
			exit(0);
		}
	}

	while ((c = getopt_long(argc, argv, "c:E:nvV?", long_options, NULL)) != -1)
	{
		switch (c)
		{
			case 'c':
				config_path = optarg;
				break;
			case 'E':
				if (!sink_parse_lsn(optarg, &opts.endpos) ||
					opts.endpos == SINK_LSN_INVALID)
				{
					sink_log_error("could not parse end position \"%s\"", optarg);
					bad_usage(progname);
				}
				break;
			case 'n':
				opts.no_loop = true;
				break;
			case 'v':
				verbosity++;
				break;
			case 'V':
				printf("%s (wal2dbz) %s\n", progname, WAL2DBZ_VERSION);
				exit(0);
			case '?':
				if (optopt == 0 && strcmp(argv[optind - 1], "-?") == 0)
				{
					usage(progname);
					exit(0);
				}
				/* getopt_long already printed the problem */
				bad_usage(progname);
				break;
			default:
				bad_usage(progname);
		}
	}

	/* the one optional command word */
	if (optind < argc)
		command = argv[optind++];
	if (optind < argc)
	{
		sink_log_error("too many command-line arguments (first is \"%s\")",
					   argv[optind]);
		bad_usage(progname);
	}
	if (command && strcmp(command, "check") != 0 &&
		strcmp(command, "worker") != 0)
	{
		sink_log_error("unrecognized command \"%s\"", command);
		bad_usage(progname);
	}
	if (config_path == NULL)
	{
		sink_log_error("no configuration file specified");
		bad_usage(progname);
	}
	if (command && opts.endpos != SINK_LSN_INVALID)
	{
		sink_log_error("--endpos may only be used when streaming");
		bad_usage(progname);
	}
	sink_log_set_level(verbosity);

	/* worker mode: connectors come over the REST API */
	if (command && strcmp(command, "worker") == 0)
	{
		if (opts.no_loop)
		{
			sink_log_error("--no-loop may not be used with \"worker\"");
			bad_usage(progname);
		}
		return sink_worker_main(config_path, environ);
	}

	/* librdkafka and libmicrohttpd may write to closed sockets */
	signal(SIGPIPE, SIG_IGN);

	/* read and check everything before anything connects */
	sink_config_init(&cfg);
	ok = sink_config_load(&cfg, config_path);
	ok = sink_config_apply_env(&cfg, environ) && ok;
	ok = ok && sink_config_validate(&cfg);
	ok = ok && sink_snapshot_check_config(&cfg);
	ok = ok && (!cfg.clickhouse_stage || sink_ch_config_check(&cfg));
	if (ok && !cfg.source_stage && opts.endpos != SINK_LSN_INVALID)
	{
		sink_log_error("--endpos needs the source stage (database.* properties)");
		ok = false;
	}
	if (ok)
	{
		kconf = sink_kafka_conf_new(&cfg);
		if (kconf == NULL)
			ok = false;
		else
			rd_kafka_conf_destroy(kconf);
	}
	if (!ok)
	{
		if (command)
			sink_check_report("FAIL", "configuration",
							  "fix the properties named above",
							  "%s is not valid", config_path);
		sink_config_free(&cfg);
		exit(1);
	}
	sink_config_log(&cfg);
	if (sink_config_get(&cfg, "errors.max.retries") != NULL)
	{
		opts.max_retries = atoi(sink_config_get(&cfg, "errors.max.retries"));
		opts.limit_retries = opts.max_retries >= 0;
	}

	if (command)
	{
		rc = sink_check_run(&cfg);
		sink_config_free(&cfg);
		exit(rc);
	}

	/* streaming */
	sink_metrics_init(&metrics);
	sink_lsn_init(&lsn, SINK_LSN_INVALID);
	if (cfg.http_port > 0)
	{
		http = sink_http_start(cfg.http_port, &metrics);
		if (http == NULL)
			exit(1);
	}
	if (cfg.clickhouse_stage)
	{
		ch = sink_ch_new(&cfg, &metrics);
		if (ch == NULL)
			exit(1);
	}
	if (!cfg.source_stage)
	{
		/* the ClickHouse stage alone, one member of its consumer group */
		rc = sink_ch_run(ch);
		sink_http_stop(http);
		sink_ch_destroy(ch);
		sink_lsn_destroy(&lsn);
		sink_metrics_destroy(&metrics);
		sink_config_free(&cfg);
		return rc;
	}
	sk = sink_kafka_new(&cfg, &lsn, &metrics);
	if (sk == NULL)
		exit(1);
	/* beside the source stage, in its own thread */
	if (ch && !sink_ch_start(ch))
		exit(1);

	rc = sink_repl_run(&cfg, sk, &lsn, &metrics, &opts);
	if (ch)
	{
		int			ch_rc = sink_ch_stop(ch);

		if (rc == 0)
			rc = ch_rc;
	}

	/* the producer goes first: its opaques point into lsn */
	sink_kafka_destroy(sk);
	sink_lsn_destroy(&lsn);
	/* the HTTP thread may render the ClickHouse stage's metrics until stopped */
	sink_http_stop(http);
	sink_ch_destroy(ch);
	sink_metrics_destroy(&metrics);
	sink_config_free(&cfg);
	return rc;
}
