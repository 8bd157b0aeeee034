/*-------------------------------------------------------------------------
 *
 * test_lsn.c
 *	  Unit tests of the durability tracker (sink/lsn.c), in TAP.
 *
 * The flush LSN may only move over transactions whose every record Kafka
 * has acknowledged, in commit order, whatever order the delivery reports
 * come in.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  test/sink/test_lsn.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdbool.h>
#include <stdio.h>

#include "lsn.h"
#include "tap.h"

static char err[256];

/* Record n records of a transaction committed at commit; return its entry. */
static SinkLsnTxn *
records(SinkLsn *lsn, SinkLsnPtr commit, int n)
{
	SinkLsnTxn *txn = NULL;
	int			i;

	for (i = 0; i < n; i++)
		txn = sink_lsn_record(lsn, commit, commit - 0x10 + i, 1, err,
							  sizeof(err));
	return txn;
}

/* A single transaction: flush moves only after COMMIT and every report. */
static void
test_single(void)
{
	SinkLsn		lsn;
	SinkLsnTxn *t;

	sink_lsn_init(&lsn, 0x100);
	tap_is_u64(sink_lsn_flush(&lsn), 0x100, "starts at the given position");
	tap_ok(sink_lsn_idle(&lsn), "idle at start");

	t = records(&lsn, 0x200, 3);
	tap_ok(t != NULL, "three records accepted");
	tap_ok(!sink_lsn_idle(&lsn), "not idle with a transaction open");
	sink_lsn_delivered(&lsn, t, true);
	sink_lsn_delivered(&lsn, t, true);
	sink_lsn_delivered(&lsn, t, true);
	tap_is_u64(sink_lsn_flush(&lsn), 0x100,
			   "delivered but not committed: flush stays");
	tap_ok(sink_lsn_commit(&lsn, 0x200, err, sizeof(err)), "commit accepted");
	tap_is_u64(sink_lsn_flush(&lsn), 0x200, "committed and delivered: flush moves");
	tap_ok(sink_lsn_idle(&lsn), "idle again");
	sink_lsn_destroy(&lsn);
}

/* Later transactions delivered first do not move flush past earlier ones. */
static void
test_out_of_order(void)
{
	SinkLsn		lsn;
	SinkLsnTxn *a, *b, *c;

	sink_lsn_init(&lsn, 0);
	a = records(&lsn, 0x1000, 2);
	sink_lsn_commit(&lsn, 0x1000, err, sizeof(err));
	b = records(&lsn, 0x2000, 1);
	sink_lsn_commit(&lsn, 0x2000, err, sizeof(err));
	c = records(&lsn, 0x3000, 2);
	sink_lsn_commit(&lsn, 0x3000, err, sizeof(err));
	tap_is_u64(lsn.in_flight, 5, "five records in flight");

	/* c and b acknowledged first (other partitions) */
	sink_lsn_delivered(&lsn, c, true);
	sink_lsn_delivered(&lsn, c, true);
	sink_lsn_delivered(&lsn, b, true);
	tap_is_u64(sink_lsn_flush(&lsn), 0,
			   "later transactions acknowledged first: flush stays");

	sink_lsn_delivered(&lsn, a, true);
	tap_is_u64(sink_lsn_flush(&lsn), 0, "first transaction half acknowledged");
	sink_lsn_delivered(&lsn, a, true);
	tap_is_u64(sink_lsn_flush(&lsn), 0x3000,
			   "first transaction acknowledged: flush jumps over all three");
	tap_is_u64(lsn.in_flight, 0, "nothing in flight");
	tap_is_u64(lsn.ntxns, 0, "FIFO empty");
	sink_lsn_destroy(&lsn);
}

/* A gap in the middle holds everything after it. */
static void
test_gap(void)
{
	SinkLsn		lsn;
	SinkLsnTxn *a, *b, *c;

	sink_lsn_init(&lsn, 0);
	a = records(&lsn, 0x1000, 1);
	sink_lsn_commit(&lsn, 0x1000, err, sizeof(err));
	b = records(&lsn, 0x2000, 2);
	sink_lsn_commit(&lsn, 0x2000, err, sizeof(err));
	c = records(&lsn, 0x3000, 1);
	sink_lsn_commit(&lsn, 0x3000, err, sizeof(err));

	sink_lsn_delivered(&lsn, a, true);
	sink_lsn_delivered(&lsn, c, true);
	sink_lsn_delivered(&lsn, b, true);
	tap_is_u64(sink_lsn_flush(&lsn), 0x1000,
			   "one record of the middle transaction missing: flush at the first");
	sink_lsn_delivered(&lsn, b, true);
	tap_is_u64(sink_lsn_flush(&lsn), 0x3000, "gap filled: flush at the last");
	sink_lsn_destroy(&lsn);
}

/* Reports arrive while the next transaction is still being received. */
static void
test_interleaved_commits(void)
{
	SinkLsn		lsn;
	SinkLsnTxn *a, *b;

	sink_lsn_init(&lsn, 0);
	a = records(&lsn, 0x1000, 2);
	sink_lsn_delivered(&lsn, a, true);
	sink_lsn_commit(&lsn, 0x1000, err, sizeof(err));
	b = records(&lsn, 0x2000, 1);
	sink_lsn_delivered(&lsn, a, true);
	tap_is_u64(sink_lsn_flush(&lsn), 0x1000,
			   "first done while the second is open: flush at the first");
	sink_lsn_delivered(&lsn, b, true);
	tap_is_u64(sink_lsn_flush(&lsn), 0x1000,
			   "second delivered before its COMMIT: flush stays");
	tap_ok(!sink_lsn_idle(&lsn), "an open transaction is not idle");
	sink_lsn_keepalive(&lsn, 0x5000);
	tap_is_u64(sink_lsn_flush(&lsn), 0x1000,
			   "keepalive ignored while a transaction is open");
	sink_lsn_commit(&lsn, 0x2000, err, sizeof(err));
	tap_is_u64(sink_lsn_flush(&lsn), 0x2000, "COMMIT completes the second");

	/* a COMMIT whose records were all filtered out */
	tap_ok(sink_lsn_commit(&lsn, 0x2800, err, sizeof(err)),
		   "COMMIT without records accepted");
	tap_is_u64(sink_lsn_flush(&lsn), 0x2800, "empty transaction confirmed");
	sink_lsn_destroy(&lsn);
}

/* Keepalives confirm the server's position only when nothing is in flight. */
static void
test_keepalive(void)
{
	SinkLsn		lsn;
	SinkLsnTxn *a, *b;

	sink_lsn_init(&lsn, 0x100);
	sink_lsn_keepalive(&lsn, 0x9000);
	tap_is_u64(sink_lsn_flush(&lsn), 0x9000, "idle: keepalive position confirmed");
	sink_lsn_keepalive(&lsn, 0x8000);
	tap_is_u64(sink_lsn_flush(&lsn), 0x9000, "flush never moves backwards");

	a = records(&lsn, 0xA000, 1);
	sink_lsn_commit(&lsn, 0xA000, err, sizeof(err));
	sink_lsn_keepalive(&lsn, 0xB000);
	tap_is_u64(sink_lsn_flush(&lsn), 0x9000,
			   "in flight: keepalive not confirmed");
	sink_lsn_delivered(&lsn, a, true);
	tap_is_u64(sink_lsn_flush(&lsn), 0xB000,
			   "delivered: the keepalive that came meanwhile is confirmed");
	sink_lsn_keepalive(&lsn, 0xC000);
	tap_is_u64(sink_lsn_flush(&lsn), 0xC000, "idle again: keepalive confirmed");

	/*
	 * The server sends a keepalive only when it has something new: one
	 * that arrives while a committed transaction is in flight must not be
	 * lost, or the slot lags until more WAL is written.  Later
	 * transactions keep it waiting; a half-received one makes it useless.
	 */
	a = records(&lsn, 0xD000, 1);
	sink_lsn_commit(&lsn, 0xD000, err, sizeof(err));
	sink_lsn_keepalive(&lsn, 0xD800);
	b = records(&lsn, 0xE000, 1);
	sink_lsn_commit(&lsn, 0xE000, err, sizeof(err));
	sink_lsn_delivered(&lsn, a, true);
	tap_is_u64(sink_lsn_flush(&lsn), 0xD000,
			   "a later transaction in flight: only the first commit");
	sink_lsn_delivered(&lsn, b, true);
	tap_is_u64(sink_lsn_flush(&lsn), 0xE000,
			   "all delivered: the later commit, beyond the keepalive");
	a = records(&lsn, 0xF000, 1);
	sink_lsn_keepalive(&lsn, 0xF800);
	sink_lsn_delivered(&lsn, a, true);
	sink_lsn_commit(&lsn, 0xF000, err, sizeof(err));
	tap_is_u64(sink_lsn_flush(&lsn), 0xF000,
			   "a keepalive in the middle of a transaction is not kept");
	sink_lsn_destroy(&lsn);
}

/* A failed delivery freezes the flush LSN for good. */
static void
test_failure(void)
{
	SinkLsn		lsn;
	SinkLsnTxn *a, *b;

	sink_lsn_init(&lsn, 0);
	a = records(&lsn, 0x1000, 1);
	sink_lsn_commit(&lsn, 0x1000, err, sizeof(err));
	b = records(&lsn, 0x2000, 1);
	sink_lsn_commit(&lsn, 0x2000, err, sizeof(err));
	sink_lsn_delivered(&lsn, a, false);
	tap_is_u64(sink_lsn_flush(&lsn), 0, "failed delivery: flush stays");
	sink_lsn_delivered(&lsn, b, true);
	tap_is_u64(sink_lsn_flush(&lsn), 0, "later success does not move it");
	sink_lsn_keepalive(&lsn, 0x9000);
	tap_is_u64(sink_lsn_flush(&lsn), 0, "nor does a keepalive");
	sink_lsn_raise(&lsn, 0x9000);
	tap_is_u64(sink_lsn_flush(&lsn), 0, "nor does the slot's position");
	tap_ok(lsn.failed, "tracker marked failed");
	sink_lsn_destroy(&lsn);
}

/* A lost connection: the cut-off transaction never moves the flush LSN. */
static void
test_disconnect(void)
{
	SinkLsn		lsn;
	SinkLsnTxn *a, *b, *b2;

	sink_lsn_init(&lsn, 0);
	a = records(&lsn, 0x1000, 1);
	sink_lsn_commit(&lsn, 0x1000, err, sizeof(err));
	b = records(&lsn, 0x2000, 2);	/* COMMIT never arrives */
	sink_lsn_disconnected(&lsn);
	sink_lsn_delivered(&lsn, a, true);
	sink_lsn_delivered(&lsn, b, true);
	sink_lsn_delivered(&lsn, b, true);
	tap_is_u64(sink_lsn_flush(&lsn), 0x1000,
			   "partial transaction delivered: flush at the previous commit");

	/* the server sends it again in full after the reconnect */
	b2 = records(&lsn, 0x2000, 2);
	tap_ok(b2 != NULL && lsn.ntxns == 1 && lsn.open == b2,
		   "resent transaction gets a new entry, the abandoned one is gone");
	sink_lsn_commit(&lsn, 0x2000, err, sizeof(err));
	sink_lsn_delivered(&lsn, b2, true);
	tap_is_u64(sink_lsn_flush(&lsn), 0x1000, "resent half delivered");
	sink_lsn_delivered(&lsn, b2, true);
	tap_is_u64(sink_lsn_flush(&lsn), 0x2000, "resent fully delivered");

	/* abandoned entry still in flight at the head holds later ones */
	b = records(&lsn, 0x3000, 1);
	sink_lsn_disconnected(&lsn);
	a = records(&lsn, 0x3000, 1);
	sink_lsn_commit(&lsn, 0x3000, err, sizeof(err));
	sink_lsn_delivered(&lsn, a, true);
	tap_is_u64(sink_lsn_flush(&lsn), 0x2000,
			   "abandoned entry in flight ahead: flush waits");
	sink_lsn_delivered(&lsn, b, true);
	tap_is_u64(sink_lsn_flush(&lsn), 0x3000, "abandoned entry gone: flush moves");
	sink_lsn_destroy(&lsn);
}

/* Non-transactional records and contradictory frames. */
static void
test_frames(void)
{
	SinkLsn		lsn;
	SinkLsnTxn *m, *a;

	sink_lsn_init(&lsn, 0);
	m = sink_lsn_record(&lsn, 0, 0x500, 1, err, sizeof(err));
	tap_ok(m != NULL, "non-transactional record accepted");
	tap_is_u64(sink_lsn_flush(&lsn), 0, "not confirmed before delivery");
	sink_lsn_delivered(&lsn, m, true);
	tap_is_u64(sink_lsn_flush(&lsn), 0x500,
			   "non-transactional record confirmed at its own LSN");

	a = records(&lsn, 0x1000, 1);
	tap_ok(sink_lsn_record(&lsn, 0x2000, 0x1800, 1, err, sizeof(err)) == NULL,
		   "record of another transaction before COMMIT rejected");
	tap_ok(!sink_lsn_commit(&lsn, 0x2000, err, sizeof(err)),
		   "COMMIT of another transaction rejected");
	tap_ok(sink_lsn_commit(&lsn, 0x1000, err, sizeof(err)), "right COMMIT accepted");
	sink_lsn_delivered(&lsn, a, true);
	tap_is_u64(sink_lsn_flush(&lsn), 0x1000, "and confirmed");
	tap_ok(sink_lsn_oldest_time(&lsn) == 0, "no oldest time when idle");
	sink_lsn_destroy(&lsn);
}

/* Many transactions, reports in reverse: flush reaches the last. */
static void
test_many(void)
{
	SinkLsn		lsn;
	SinkLsnTxn *txns[1000];
	int			i;
	bool		monotonic = true;
	SinkLsnPtr	prev = 0;

	sink_lsn_init(&lsn, 0);
	for (i = 0; i < 1000; i++)
	{
		txns[i] = records(&lsn, 0x10000 + (SinkLsnPtr) i * 0x100, 1);
		sink_lsn_commit(&lsn, 0x10000 + (SinkLsnPtr) i * 0x100, err,
						sizeof(err));
	}
	for (i = 999; i >= 1; i--)
		sink_lsn_delivered(&lsn, txns[i], true);
	tap_is_u64(sink_lsn_flush(&lsn), 0, "999 of 1000 acknowledged, not the first");
	sink_lsn_delivered(&lsn, txns[0], true);
	tap_is_u64(sink_lsn_flush(&lsn), 0x10000 + 999 * 0x100,
			   "the first acknowledged: flush at the last");

	/* alternating order keeps flush monotonic */
	for (i = 0; i < 1000; i++)
	{
		txns[i] = records(&lsn, 0x100000 + (SinkLsnPtr) i * 0x100, 1);
		sink_lsn_commit(&lsn, 0x100000 + (SinkLsnPtr) i * 0x100, err,
						sizeof(err));
	}
	for (i = 0; i < 1000; i += 2)
	{
		if (i + 1 < 1000)
			sink_lsn_delivered(&lsn, txns[i + 1], true);
		sink_lsn_delivered(&lsn, txns[i], true);
		if (sink_lsn_flush(&lsn) < prev)
			monotonic = false;
		prev = sink_lsn_flush(&lsn);
	}
	tap_ok(monotonic, "flush never moves backwards");
	tap_is_u64(sink_lsn_flush(&lsn), 0x100000 + 999 * 0x100, "all acknowledged");
	sink_lsn_destroy(&lsn);
}

/* Run every case, then print the plan. */
int
main(void)
{
	test_single();
	test_out_of_order();
	test_gap();
	test_interleaved_commits();
	test_keepalive();
	test_failure();
	test_disconnect();
	test_frames();
	test_many();
	return tap_done();
}
