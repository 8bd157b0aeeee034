/*-------------------------------------------------------------------------
 *
 * lsn.h
 *	  Durability tracking: which LSN may be confirmed to PostgreSQL.
 *
 * The flush LSN reported to the server plays the role of pg_recvlogical's
 * output_fsync_lsn: it may only move up to the commit LSN of a
 * transaction when Kafka has acknowledged every record of it and of every
 * earlier transaction.  Delivery reports arrive in any order across
 * partitions, so the tracker keeps a FIFO of transactions and advances
 * over the longest fully delivered, committed prefix.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/lsn.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SINK_LSN_H
#define SINK_LSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* a WAL position, as XLogRecPtr */
typedef uint64_t SinkLsnPtr;

#define SINK_LSN_INVALID	((SinkLsnPtr) 0)
#define SINK_LSN_FORMAT		"%X/%X"
#define SINK_LSN_ARGS(lsn)	((unsigned int) ((lsn) >> 32)), ((unsigned int) (lsn))

/*
 * One transaction (or one non-transactional record) in the FIFO.  Its
 * address is the opaque of every Kafka message produced for it, so it must
 * not move or be freed while records are outstanding; lsn.c owns it and
 * frees it when it leaves the head of the FIFO.
 */
typedef struct SinkLsnTxn
{
	struct SinkLsnTxn *next;
	SinkLsnPtr	commit_lsn;		/* confirmed once this entry is done */
	uint64_t	outstanding;	/* records produced, not yet reported */
	int64_t		first_time;		/* caller's timestamp of the first record */
	bool		committed;		/* COMMIT frame seen */
	bool		abandoned;		/* connection lost before the COMMIT */
} SinkLsnTxn;

/* the tracker; owned by the caller, entries owned by the tracker */
typedef struct SinkLsn
{
	SinkLsnTxn *head;			/* oldest entry */
	SinkLsnTxn *tail;			/* newest entry */
	SinkLsnTxn *open;			/* transaction receiving records, if any */
	SinkLsnPtr	flush;			/* durable: may be confirmed */
	SinkLsnPtr	keepalive;		/* a keepalive position to confirm once
								 * everything before it is delivered */
	uint64_t	in_flight;		/* records without a delivery report */
	uint64_t	ntxns;			/* entries in the FIFO */
	bool		failed;			/* a delivery failed: flush is frozen */
} SinkLsn;

/** @brief Initialise \p lsn with nothing durable beyond \p start. */
extern void sink_lsn_init(SinkLsn *lsn, SinkLsnPtr start);

/** @brief Free every entry.  Outstanding opaques become invalid. */
extern void sink_lsn_destroy(SinkLsn *lsn);

/**
 * @brief Account for one RECORD frame about to be produced.
 *
 * \p commit_lsn is the frame's commit LSN; 0 marks a non-transactional
 * record, which becomes its own entry, confirmed at \p change_lsn once
 * delivered.  \p now is stored for lag reporting.
 *
 * @returns the entry to pass as the message opaque, or NULL (with \p err
 *          set) if the frame contradicts the open transaction.
 */
extern SinkLsnTxn *sink_lsn_record(SinkLsn *lsn, SinkLsnPtr commit_lsn,
								   SinkLsnPtr change_lsn, int64_t now,
								   char *err, size_t errlen);

/**
 * @brief Account for a COMMIT frame.
 * @returns false (with \p err set) if it contradicts the open transaction.
 */
extern bool sink_lsn_commit(SinkLsn *lsn, SinkLsnPtr commit_lsn,
							char *err, size_t errlen);

/**
 * @brief Account for one delivery report.  A failed delivery freezes the
 * flush LSN for good (sink_lsn_fail()).
 */
extern void sink_lsn_delivered(SinkLsn *lsn, SinkLsnTxn *txn, bool ok);

/**
 * @brief A keepalive said the server has sent everything up to \p wal_end.
 * Confirmed at once while nothing is in flight, so that an idle or fully
 * filtered database does not make the slot hold WAL; between transactions
 * with records in flight, confirmed once they are all delivered (the server
 * sends no other keepalive while it has nothing new).
 */
extern void sink_lsn_keepalive(SinkLsn *lsn, SinkLsnPtr wal_end);

/**
 * @brief The replication connection was lost.  A transaction without its
 * COMMIT will be sent again in full; its partial entry is dropped without
 * ever moving the flush LSN.
 */
extern void sink_lsn_disconnected(SinkLsn *lsn);

/**
 * @brief The server says everything up to \p confirmed is already
 * confirmed (the slot's confirmed_flush_lsn): never report less.
 */
extern void sink_lsn_raise(SinkLsn *lsn, SinkLsnPtr confirmed);

/** @brief Stop the flush LSN from moving (fatal producer error). */
extern void sink_lsn_fail(SinkLsn *lsn);

/** @returns the LSN that may be confirmed as flushed. */
extern SinkLsnPtr sink_lsn_flush(const SinkLsn *lsn);

/** @returns true if no transaction is open or in flight. */
extern bool sink_lsn_idle(const SinkLsn *lsn);

/** @returns the timestamp of the oldest unconfirmed entry, 0 if idle. */
extern int64_t sink_lsn_oldest_time(const SinkLsn *lsn);

#endif							/* SINK_LSN_H */
