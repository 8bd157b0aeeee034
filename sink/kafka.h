/*-------------------------------------------------------------------------
 *
 * kafka.h
 *	  The Kafka producer of wal2dbz-sink (librdkafka).
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/kafka.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SINK_KAFKA_H
#define SINK_KAFKA_H

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include <librdkafka/rdkafka.h>

#include "config.h"
#include "frame.h"
#include "lsn.h"
#include "metrics.h"
#include "schema.h"

typedef struct SinkKafka SinkKafka;

/* the outcome of sink_kafka_produce() */
typedef enum SinkProduceResult
{
	SINK_PRODUCE_OK,
	SINK_PRODUCE_QUEUE_FULL,	/* the queue is full, or a new topic is not
								 * ready yet: poll, then call again with the
								 * same frame */
	SINK_PRODUCE_INTERRUPTED,	/* a stop was requested while waiting */
	SINK_PRODUCE_ERROR			/* fatal, already logged */
} SinkProduceResult;

/**
 * @brief Build the producer configuration: our defaults (idempotence,
 * acks=all, the Java client's murmur2 partitioner) and then every
 * kafka.<prop> through rd_kafka_conf_set().
 *
 * Also used to validate the configuration before anything connects.
 *
 * @returns a configuration the caller owns, or NULL after logging one error
 *          per bad property.
 */
extern rd_kafka_conf_t *sink_kafka_conf_new(const SinkConfig *cfg);

/**
 * @brief Create the producer.  Delivery reports go to \p lsn and
 * \p metrics, which must outlive it.
 * @returns the producer, or NULL (error logged).
 */
extern SinkKafka *sink_kafka_new(const SinkConfig *cfg, SinkLsn *lsn,
								 SinkMetrics *metrics);

/**
 * @brief Produce the record of a RECORD frame, with \p txn as opaque.
 *
 * \p schema (NULL for a frame with schema id 0) supplies the topic and
 * the prefixes the payloads are completed with.  Creates the topic first
 * if this process has not seen it yet, and waits for its partitions, one
 * attempt of at most 15 s per call: SINK_PRODUCE_QUEUE_FULL until it is
 * ready, for as long as kafka.message.timeout.ms (then an error).  Nothing
 * refers to the frame's buffer on return.
 */
extern SinkProduceResult sink_kafka_produce(SinkKafka *sk,
											const SinkFrame *frame,
											SinkSchema *schema,
											SinkLsnTxn *txn);

/**
 * @brief Produce a heartbeat record (heartbeat.c) to partition 0 of
 * \p topic, without headers, as Debezium does; \p txn is the opaque.
 * Creates the topic first if this process has not seen it yet.
 */
extern SinkProduceResult sink_kafka_produce_heartbeat(SinkKafka *sk,
													  const char *topic,
													  const char *key,
													  size_t key_len,
													  const char *value,
													  size_t value_len,
													  SinkLsnTxn *txn);

/**
 * @brief Make long waits inside the producer (topic creation) give up when
 * *\p interrupt becomes non-zero (a signal handler's flag).
 */
extern void sink_kafka_set_interrupt(SinkKafka *sk,
									 atomic_int *interrupt);

/** @brief Serve delivery reports and errors for up to \p timeout_ms. */
extern void sink_kafka_poll(SinkKafka *sk, int timeout_ms);

/** @returns true after a fatal producer error or a failed delivery. */
extern bool sink_kafka_failed(SinkKafka *sk);

/**
 * @brief Wait until every record has a delivery report, for at most
 * \p timeout_ms, or until *\p abort becomes non-zero.
 * @returns the number of messages still queued.
 */
extern int	sink_kafka_drain(SinkKafka *sk, int timeout_ms,
							 atomic_int *abort);

/** @brief Destroy the producer (call sink_kafka_drain() first). */
extern void sink_kafka_destroy(SinkKafka *sk);

/**
 * @brief Ask the cluster for its metadata, for "check".
 * @returns true if it answered within \p timeout_ms, with its number of
 *          brokers in \p nbrokers; \p detail says what it answered or why
 *          not.
 */
extern bool sink_kafka_probe(const SinkConfig *cfg, int timeout_ms,
							 char *detail, size_t detaillen, int *nbrokers);

#endif							/* SINK_KAFKA_H */
