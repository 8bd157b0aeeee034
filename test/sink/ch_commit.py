#!/usr/bin/env python3
"""Commit offsets for a Kafka consumer group, as a lagging member would have.

Used by e2e_clickhouse_truncate.sh to put a stopped ClickHouse stage's group
where a stage that was killed mid-way can be: some partitions committed past
a record, others not.  Calls librdkafka (the library the sink uses) through
ctypes: no Kafka client package is needed.  The group must have no active
member.

Usage: ch_commit.py BOOTSTRAP GROUP TOPIC PARTITION=OFFSET...
"""
import ctypes
import ctypes.util
import sys
import time


class TopicPartition(ctypes.Structure):
    _fields_ = [("topic", ctypes.c_char_p), ("partition", ctypes.c_int32),
                ("offset", ctypes.c_int64), ("metadata", ctypes.c_void_p),
                ("metadata_size", ctypes.c_size_t), ("opaque", ctypes.c_void_p),
                ("err", ctypes.c_int), ("_private", ctypes.c_void_p)]


def main():
    bootstrap, group, topic = sys.argv[1:4]
    lib = ctypes.CDLL(ctypes.util.find_library("rdkafka") or "librdkafka.so.1")
    lib.rd_kafka_conf_new.restype = ctypes.c_void_p
    lib.rd_kafka_conf_set.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p,
                                      ctypes.c_char_p, ctypes.c_size_t]
    lib.rd_kafka_new.restype = ctypes.c_void_p
    lib.rd_kafka_new.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
    lib.rd_kafka_topic_partition_list_new.restype = ctypes.c_void_p
    lib.rd_kafka_topic_partition_list_add.restype = ctypes.POINTER(TopicPartition)
    lib.rd_kafka_topic_partition_list_add.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int32]
    lib.rd_kafka_commit.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
    lib.rd_kafka_err2str.restype = ctypes.c_char_p
    lib.rd_kafka_consumer_close.argtypes = [ctypes.c_void_p]
    lib.rd_kafka_destroy.argtypes = [ctypes.c_void_p]

    errstr = ctypes.create_string_buffer(512)
    conf = lib.rd_kafka_conf_new()
    for k, v in (("bootstrap.servers", bootstrap), ("group.id", group),
                 ("enable.auto.commit", "false")):
        if lib.rd_kafka_conf_set(conf, k.encode(), v.encode(), errstr, 512) != 0:
            sys.exit(f"ch_commit.py: {k}: {errstr.value.decode()}")
    rk = lib.rd_kafka_new(1, conf, errstr, 512)  # RD_KAFKA_CONSUMER
    if not rk:
        sys.exit(f"ch_commit.py: {errstr.value.decode()}")
    parts = lib.rd_kafka_topic_partition_list_new(len(sys.argv) - 4)
    for arg in sys.argv[4:]:
        p, o = arg.split("=")
        lib.rd_kafka_topic_partition_list_add(parts, topic.encode(), int(p)).contents.offset = int(o)
    # a new group's coordinator is found on the first requests, and a member
    # that did not leave cleanly holds the group until its session times out:
    # try again a while
    for _ in range(120):
        err = lib.rd_kafka_commit(rk, parts, 0)
        if not err:
            break
        time.sleep(0.25)
    lib.rd_kafka_consumer_close(rk)
    lib.rd_kafka_destroy(rk)
    if err:
        sys.exit(f"ch_commit.py: commit failed: {lib.rd_kafka_err2str(err).decode()}")


if __name__ == "__main__":
    main()
