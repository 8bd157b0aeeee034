#!/usr/bin/env python3
"""Latency poller of test/bench/clickhouse.sh (not a test).

Polls a ClickHouse table over HTTP (one kept-alive connection) every
INTERVAL seconds for the ids it has not seen yet, and prints one line per
id the first time a poll returns it: "id receive_time send_time" (Unix
seconds, CLOCK_REALTIME, the same clock PostgreSQL's commit timestamps
use).  A row is visible in ClickHouse at some moment before the receive
time of the first poll that returns it and after the send time of the
poll before, so receive_time - commit_time overstates the latency by at
most one interval plus one query's duration.

Ids of the table are a bigserial filled by one client, so the poller keeps
a watermark (every id up to it seen) and asks only for ids above it.  It
stops after STOP_FILE appears and every id up to the max id in STOP_FILE
was seen (or 60 s later).

Usage: ch_poll.py URL TABLE INTERVAL STOP_FILE [FIRST_ID] > seen.txt   (ids from FIRST_ID + 1)
"""
import http.client
import os
import sys
import time
import urllib.parse


def main():
    url, table, interval, stop_file = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
    u = urllib.parse.urlparse(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    seen = set()
    watermark = int(sys.argv[5]) if len(sys.argv) > 5 else 0  # every id <= it has been seen
    last_max = None
    stop_at = None
    durations = []
    out = sys.stdout
    next_t = time.time()
    while True:
        sent = time.time()
        q = f"SELECT id FROM {table} WHERE id > {watermark} FORMAT TSV"
        try:
            conn.request("POST", "/", body=q.encode())
            resp = conn.getresponse()
            body = resp.read()
            ok = resp.status == 200
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
            ok = False
        got = time.time()
        if ok:
            durations.append(got - sent)
            for line in body.split():
                i = int(line)
                if i not in seen:
                    seen.add(i)
                    out.write(f"{i} {got:.6f} {sent:.6f}\n")
            while watermark + 1 in seen:
                seen.discard(watermark + 1)
                watermark += 1
        if last_max is None and os.path.exists(stop_file):
            with open(stop_file) as f:
                last_max = int(f.read().strip() or 0)
            stop_at = time.time() + 60
        if last_max is not None and (watermark >= last_max or time.time() > stop_at):
            break
        next_t += interval
        pause = next_t - time.time()
        if pause > 0:
            time.sleep(pause)
        else:
            next_t = time.time()
    out.flush()
    durations.sort()
    if durations:
        sys.stderr.write("polls %d, query median %.1f ms, p99 %.1f ms, watermark %d\n" % (
            len(durations), 1000 * durations[len(durations) // 2],
            1000 * durations[min(len(durations) - 1, int(len(durations) * 0.99))], watermark))


if __name__ == "__main__":
    main()
