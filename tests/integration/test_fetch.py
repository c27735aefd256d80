"""Fetch limits (KIP-74): a consumer whose byte limits are smaller than a
batch still makes progress, because the first batch of a response is
returned whole; and long polls end at max_wait_ms when nothing arrives."""

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
