/*-------------------------------------------------------------------------
 *
 * lsn.c
 *	  Durability tracking: which LSN may be confirmed to PostgreSQL.
 *
 * Transactions arrive in commit order, each as RECORD frames followed by
 * one COMMIT frame.  Each gets an entry at the tail of a FIFO; every
 * record produced to Kafka raises its entry's outstanding count and every
 * delivery report lowers it.  Whenever the head entry is committed and
 * has nothing outstanding it leaves the FIFO and the flush LSN moves to
 * its commit LSN.  This is the contiguous low-watermark of house rule H17:
 * a later transaction acknowledged first never moves the flush LSN past an
 * earlier one still in flight.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/lsn.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsn.h"

/* Initialise the tracker. */
void
sink_lsn_init(SinkLsn *lsn, SinkLsnPtr start)
{
	memset(lsn, 0, sizeof(*lsn));
	lsn->flush = start;
}

/* Free every entry. */
void
sink_lsn_destroy(SinkLsn *lsn)
{
	SinkLsnTxn *txn = lsn->head;

	while (txn)
	{
		SinkLsnTxn *next = txn->next;

		free(txn);
		txn = next;
	}
	lsn->head = lsn->tail = lsn->open = NULL;
	lsn->ntxns = 0;
	lsn->in_flight = 0;
}

/* Append a new entry to the FIFO; NULL when out of memory. */
static SinkLsnTxn *
lsn_append(SinkLsn *lsn, SinkLsnPtr commit_lsn, int64_t now)
{
	SinkLsnTxn *txn = calloc(1, sizeof(*txn));

	if (txn == NULL)
		return NULL;
	txn->commit_lsn = commit_lsn;
	txn->first_time = now;
	if (lsn->tail)
		lsn->tail->next = txn;
	else
		lsn->head = txn;
	lsn->tail = txn;
	lsn->ntxns++;
	return txn;
}

/*
 * Pop every finished entry off the head, moving the flush LSN over the
 * committed ones.  An abandoned entry leaves without moving it: the server
 * sends that transaction again after the reconnect.
 */
static void
lsn_advance(SinkLsn *lsn)
{
	while (lsn->head && lsn->head->outstanding == 0 &&
		   (lsn->head->committed || lsn->head->abandoned))
	{
		SinkLsnTxn *txn = lsn->head;

		if (txn->committed && !lsn->failed && txn->commit_lsn > lsn->flush)
			lsn->flush = txn->commit_lsn;
		lsn->head = txn->next;
		if (lsn->head == NULL)
			lsn->tail = NULL;
		lsn->ntxns--;
		free(txn);
	}

	/* everything received before the last keepalive is delivered */
	if (lsn->head == NULL && lsn->keepalive != SINK_LSN_INVALID)
	{
		if (!lsn->failed && lsn->keepalive > lsn->flush)
			lsn->flush = lsn->keepalive;
		lsn->keepalive = SINK_LSN_INVALID;
	}
}

/* Account for one RECORD frame. */
SinkLsnTxn *
sink_lsn_record(SinkLsn *lsn, SinkLsnPtr commit_lsn, SinkLsnPtr change_lsn,
				int64_t now, char *err, size_t errlen)
{
	SinkLsnTxn *txn;

	if (commit_lsn == SINK_LSN_INVALID)
	{
		/*
		 * A non-transactional record (a logical message sent outside a
		 * transaction) stands alone.  Confirming its own LSN rather than
		 * one past it means a restart may send it again: at least once.
		 */
		txn = lsn_append(lsn, change_lsn, now);
		if (txn == NULL)
			goto oom;
		txn->committed = true;
	}
	else if (lsn->open)
	{
		if (lsn->open->commit_lsn != commit_lsn)
		{
			snprintf(err, errlen,
					 "record for the transaction committed at " SINK_LSN_FORMAT
					 " arrived before the COMMIT of the transaction committed at "
					 SINK_LSN_FORMAT,
					 SINK_LSN_ARGS(commit_lsn),
					 SINK_LSN_ARGS(lsn->open->commit_lsn));
			return NULL;
		}
		txn = lsn->open;
	}
	else
	{
		txn = lsn_append(lsn, commit_lsn, now);
		if (txn == NULL)
			goto oom;
		lsn->open = txn;
	}
	txn->outstanding++;
	lsn->in_flight++;
	return txn;

oom:
	snprintf(err, errlen, "out of memory");
	return NULL;
}

/* Account for a COMMIT frame. */
bool
sink_lsn_commit(SinkLsn *lsn, SinkLsnPtr commit_lsn, char *err, size_t errlen)
{
	SinkLsnTxn *txn = lsn->open;

	if (txn == NULL)
	{
		/* a transaction whose records were all skipped: nothing to wait for */
		txn = lsn_append(lsn, commit_lsn, 0);
		if (txn == NULL)
		{
			snprintf(err, errlen, "out of memory");
			return false;
		}
	}
	else if (txn->commit_lsn != commit_lsn)
	{
		snprintf(err, errlen,
				 "COMMIT at " SINK_LSN_FORMAT
				 " does not match the open transaction committed at "
				 SINK_LSN_FORMAT,
				 SINK_LSN_ARGS(commit_lsn), SINK_LSN_ARGS(txn->commit_lsn));
		return false;
	}
	txn->committed = true;
	lsn->open = NULL;
	lsn_advance(lsn);
	return true;
}

/* Account for one delivery report. */
void
sink_lsn_delivered(SinkLsn *lsn, SinkLsnTxn *txn, bool ok)
{
	if (!ok)
		sink_lsn_fail(lsn);
	txn->outstanding--;
	lsn->in_flight--;
	if (txn == lsn->head)
		lsn_advance(lsn);
}

/*
 * Confirm a keepalive's position when nothing is in flight, or remember it
 * until what is in flight is delivered.  Not in the middle of a
 * transaction: its COMMIT is still to come.
 */
void
sink_lsn_keepalive(SinkLsn *lsn, SinkLsnPtr wal_end)
{
	if (lsn->failed)
		return;
	if (lsn->head == NULL)
	{
		if (wal_end > lsn->flush)
			lsn->flush = wal_end;
	}
	else if (lsn->open == NULL && wal_end > lsn->keepalive)
		lsn->keepalive = wal_end;
}

/* Drop the transaction cut short by a lost connection. */
void
sink_lsn_disconnected(SinkLsn *lsn)
{
	if (lsn->open)
	{
		lsn->open->abandoned = true;
		lsn->open = NULL;
	}
	lsn->keepalive = SINK_LSN_INVALID;	/* the new session sends its own */
	lsn_advance(lsn);
}

/*
 * Start from the slot's confirmed position.  PostgreSQL 15 stores whatever
 * flush position it is sent, so reporting less than the slot already has
 * would move it backwards.
 */
void
sink_lsn_raise(SinkLsn *lsn, SinkLsnPtr confirmed)
{
	if (!lsn->failed && confirmed > lsn->flush)
		lsn->flush = confirmed;
}

/* Freeze the flush LSN. */
void
sink_lsn_fail(SinkLsn *lsn)
{
	lsn->failed = true;
}

/* The LSN that may be confirmed. */
SinkLsnPtr
sink_lsn_flush(const SinkLsn *lsn)
{
	return lsn->flush;
}

/* Nothing open or in flight? */
bool
sink_lsn_idle(const SinkLsn *lsn)
{
	return lsn->head == NULL;
}

/* Timestamp of the oldest unconfirmed entry. */
int64_t
sink_lsn_oldest_time(const SinkLsn *lsn)
{
	return lsn->head ? lsn->head->first_time : 0;
}
