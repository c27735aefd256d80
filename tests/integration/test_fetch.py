"""Fetch limits (KIP-74): a consumer whose byte limits are smaller than a
batch still makes progress, because the first batch of a response is
returned whole; long polls end at max_wait_ms when nothing arrives; and a
consumer that keeps up with the producer is served from the WAL's tail
cache, not the disk."""

import re
import time

import kafka
from kafka.structs import TopicPartition

from clients import Record, produce_kafka_python


def test_consumer_progresses_past_a_batch_larger_than_its_limits(broker):
    topic = "fetch-oversized"
    big = Record(b"big", b"x" * 200_000, [])
    small = [Record(b"k%d" % i, b"small %d" % i, []) for i in range(5)]
    assert produce_kafka_python(broker.bootstrap, topic, [big], chunk=1) == [0]
    assert produce_kafka_python(broker.bootstrap, topic, small, chunk=1) == [1, 2, 3, 4, 5]
    c = kafka.KafkaConsumer(bootstrap_servers=broker.bootstrap, group_id=None,
                            enable_auto_commit=False, auto_offset_reset="earliest",
                            fetch_max_bytes=1024, max_partition_fetch_bytes=1024,
                            request_timeout_ms=30000)
    try:
        tp = TopicPartition(topic, 0)
        c.assign([tp])
        c.seek_to_beginning(tp)
        got = []
        deadline = time.monotonic() + 30
        while len(got) < 6 and time.monotonic() < deadline:
            for msgs in c.poll(timeout_ms=500).values():
                got += [(m.offset, len(m.value)) for m in msgs]
        assert got == [(0, 200_000)] + [(i, len(small[i - 1].value)) for i in range(1, 6)]
    finally:
        c.close()


def test_long_poll_waits_for_max_wait_then_answers_empty(broker):
    topic = "fetch-long-poll"
    assert produce_kafka_python(broker.bootstrap, topic, [Record(b"k", b"v", [])]) == [0]
    c = kafka.KafkaConsumer(bootstrap_servers=broker.bootstrap, group_id=None,
                            enable_auto_commit=False, auto_offset_reset="latest",
                            fetch_max_wait_ms=400, request_timeout_ms=30000)
    try:
        tp = TopicPartition(topic, 0)
        c.assign([tp])
        c.seek_to_end(tp)
        assert c.poll(timeout_ms=1500) == {}
        # A record produced while the consumer waits arrives through the
        # parked fetch, well before the poll's own timeout.
        assert produce_kafka_python(broker.bootstrap, topic, [Record(b"k", b"late", [])]) == [1]
        started = time.monotonic()
        got = []
        while not got and time.monotonic() - started < 20:
            for msgs in c.poll(timeout_ms=5000).values():
                got += [m.value for m in msgs]
        assert got == [b"late"]
    finally:
        c.close()


def wal_read_bytes(broker):
    """corelog_wal_read_bytes_total summed over the cores, by source."""
    text = broker.scrape()
    total = {"memory": 0.0, "disk": 0.0}
    for labels, value in re.findall(
            r'^corelog_wal_read_bytes_total\{([^}]*)\} (\S+)$', text, re.M):
        total[re.search(r'source="(\w+)"', labels)[1]] += float(value)
    return total


def keep_up_with_the_producer(broker, topic, count=20):
    """Produces `count` records of 1 KB (acks=all), each only once the
    consumer has read the one before, and returns the WAL's read bytes."""
    producer = kafka.KafkaProducer(bootstrap_servers=broker.bootstrap, acks="all",
                                   linger_ms=0, request_timeout_ms=30000)
    c = kafka.KafkaConsumer(bootstrap_servers=broker.bootstrap, group_id=None,
                            enable_auto_commit=False, auto_offset_reset="earliest",
                            request_timeout_ms=30000)
    try:
        tp = TopicPartition(topic, 0)
        for i in range(count):
            producer.send(topic, b"r%d" % i + b"x" * 1024, partition=0).get(timeout=30)
            if i == 0:
                c.assign([tp])
                c.seek_to_beginning(tp)
            got = []
            deadline = time.monotonic() + 30
            while not got and time.monotonic() < deadline:
                got = [m.offset for msgs in c.poll(timeout_ms=500).values() for m in msgs]
            assert got == [i], f"record {i}: the consumer read offsets {got}"
        return wal_read_bytes(broker)
    finally:
        c.close()
        producer.close()


def test_a_consumer_that_keeps_up_reads_memory_not_disk(start_broker):
    # Only the first record, written before anyone read, comes from disk;
    # every later one was written less than a second after a read.
    reads = keep_up_with_the_producer(start_broker(), "fetch-tail")
    assert reads["memory"] > 2 * reads["disk"], reads

    without_cache = start_broker("--override", "wal.tail.cache.bytes=0")
    reads = keep_up_with_the_producer(without_cache, "fetch-tail")
    assert reads["memory"] == 0 and reads["disk"] > 20 * 1024, reads
