"""Retention and deletion remove data for real.

retention.ms and retention.bytes (topic configs over the broker's
log.retention.*) advance the log start in the background, batch by batch,
never past the high watermark: ListOffsets(earliest) moves and a fetch below
it gets OFFSET_OUT_OF_RANGE. DeleteRecords (API 21, v0 and v1) moves the log
start to the requested offset and survives kill -9 before any checkpoint;
DeleteTopics survives it too. Batches are produced on a raw socket, one
per request, so their timestamps and offsets are exact.
"""

import struct
import time

import pytest
from kafka.admin import KafkaAdminClient, NewTopic

import kafka_wire as w
from clients import consume_kcat

API_FETCH = 1
API_LIST_OFFSETS = 2
API_DELETE_RECORDS = 21
EARLIEST = -2
LATEST = -1
CHECK = ("--override", "log.retention.check.interval.ms=100")


def create_topic(broker, topic, configs=None, partitions=1):
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap,
                             request_timeout_ms=30000)
    try:
        admin.create_topics([NewTopic(topic, partitions, 1,
                                      topic_configs=configs or {})],
                            timeout_ms=10000)
    finally:
        admin.close()


def produce_batch(conn, topic, value, timestamp_ms=None, partition=0):
    batch = w.encode_record_batch([(b"k", value, [])],
                                  base_timestamp_ms=timestamp_ms)
    res = conn.produce(topic, partition, batch)
    assert res["error"] == w.NONE, res
    return res["base_offset"]


def list_offset(conn, topic, timestamp, partition=0):
    """ListOffsets v1: the offset for `timestamp` (-2 earliest, -1 latest)."""
    body = struct.pack(">i", -1) + w.array([w.string(topic) + w.array(
        [struct.pack(">iq", partition, timestamp)])])
    r = w.Reader(conn.request(API_LIST_OFFSETS, 1, body))
    out = []
    r.array(lambda: (r.string(), r.array(lambda: out.append(
        (r.int32(), r.int16(), r.int64(), r.int64())))))
    _, error, _, offset = out[0]
    assert error == w.NONE, out
    return offset


def fetch(conn, topic, offset, partition=0):
    """Fetch v4 of one partition: (error, high watermark, batch base offsets)."""
    parts = w.array([struct.pack(">iqi", partition, offset, 1 << 20)])
    body = struct.pack(">iiiib", -1, 0, 0, 1 << 20, 0) + w.array(
        [w.string(topic) + parts])
    r = w.Reader(conn.request(API_FETCH, 4, body))
    r.int32()  # throttle
    out = []

    def partition_():
        index, error, hwm, _lso = r.int32(), r.int16(), r.int64(), r.int64()
        r.array(lambda: (r.int64(), r.int64()))
        n = r.int32()
        records = r.take(n) if n > 0 else b""
        bases, pos = [], 0
        while pos + 12 <= len(records):
            base, length = struct.unpack_from(">qi", records, pos)
            bases.append(base)
            pos += 12 + length
        out.append((error, hwm, bases))

    r.array(lambda: (r.string(), r.array(partition_)))
    return out[0]


def delete_records(conn, topic, partitions, version=1):
    """DeleteRecords: {partition: offset} -> {partition: (error, low)}."""
    items = [struct.pack(">iq", p, o) for p, o in partitions.items()]
    body = w.array([w.string(topic) + w.array(items)]) + struct.pack(">i", 10000)
    r = w.Reader(conn.request(API_DELETE_RECORDS, version, body))
    r.int32()  # throttle
    out = {}

    def partition_():
        index, low, error = r.int32(), r.int64(), r.int16()
        out[index] = (error, low)

    r.array(lambda: (r.string(), r.array(partition_)))
    return out


def wait_for(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def test_delete_records_is_advertised(broker):
    with w.Connection.to(broker.bootstrap) as conn:
        _, apis = conn.api_versions()
    assert apis[API_DELETE_RECORDS] == (0, 1)


def test_retention_ms_deletes_expired_batches(start_broker):
    broker = start_broker(*CHECK)
    create_topic(broker, "ret-ms", {"retention.ms": "60000"})
    old = int(time.time() * 1000) - 3600 * 1000
    with w.Connection.to(broker.bootstrap) as conn:
        for i in range(5):
            produce_batch(conn, "ret-ms", b"old-%d" % i, timestamp_ms=old)
        fresh = produce_batch(conn, "ret-ms", b"fresh")
        assert fresh == 5
        # The old batches go at the next check; the fresh one stays.
        assert wait_for(lambda: list_offset(conn, "ret-ms", EARLIEST) == 5)
        assert list_offset(conn, "ret-ms", LATEST) == 6
        error, hwm, _ = fetch(conn, "ret-ms", 0)
        assert (error, hwm) == (w.OFFSET_OUT_OF_RANGE, 6)
        assert fetch(conn, "ret-ms", 5) == (w.NONE, 6, [5])
    assert [r.value for r in consume_kcat(broker.bootstrap, "ret-ms")] == [b"fresh"]


def test_broker_retention_default_applies_to_topics(start_broker):
    broker = start_broker(*CHECK, "--override", "log.retention.ms=60000")
    create_topic(broker, "ret-default")
    old = int(time.time() * 1000) - 3600 * 1000
    with w.Connection.to(broker.bootstrap) as conn:
        produce_batch(conn, "ret-default", b"old", timestamp_ms=old)
        produce_batch(conn, "ret-default", b"new")
        assert wait_for(lambda: list_offset(conn, "ret-default", EARLIEST) == 1)


def test_retention_bytes_keeps_the_newest_batches(start_broker):
    broker = start_broker(*CHECK)
    value = b"x" * 1000
    with w.Connection.to(broker.bootstrap) as conn:
        size = len(w.encode_record_batch([(b"k", value, [])]))
        # Room for three and a half batches: Kafka's rule keeps four.
        create_topic(broker, "ret-bytes", {"retention.bytes": str(size * 7 // 2)})
        for i in range(10):
            produce_batch(conn, "ret-bytes", value)
        assert wait_for(lambda: list_offset(conn, "ret-bytes", EARLIEST) == 6)
        assert fetch(conn, "ret-bytes", 5)[0] == w.OFFSET_OUT_OF_RANGE
        assert fetch(conn, "ret-bytes", 6) == (w.NONE, 10, [6, 7, 8, 9])
        # Later batches push the start further, by whole batches.
        for i in range(2):
            produce_batch(conn, "ret-bytes", value)
        assert wait_for(lambda: list_offset(conn, "ret-bytes", EARLIEST) == 8)


@pytest.mark.parametrize("version", [0, 1])
def test_delete_records_moves_log_start_and_survives_kill(start_broker, version):
    # No checkpoint before the kill: the WAL record alone keeps the deletion.
    broker = start_broker("--checkpoint-interval-ms", "3600000")
    create_topic(broker, "delrec", partitions=2)
    with w.Connection.to(broker.bootstrap) as conn:
        for i in range(20):
            produce_batch(conn, "delrec", b"v%d" % i)
        produce_batch(conn, "delrec", b"other", partition=1)
        assert delete_records(conn, "delrec", {0: 7}, version) == {0: (w.NONE, 7)}
        assert list_offset(conn, "delrec", EARLIEST) == 7
        assert fetch(conn, "delrec", 6)[0] == w.OFFSET_OUT_OF_RANGE
        assert fetch(conn, "delrec", 7)[2][0] == 7
        # Below the log start: nothing changes. Past the end: out of range.
        assert delete_records(conn, "delrec", {0: 3}, version) == {0: (w.NONE, 7)}
        assert delete_records(conn, "delrec", {0: 21}, version)[0][0] == w.OFFSET_OUT_OF_RANGE
        assert delete_records(conn, "delrec", {5: 1}, version)[5][0] == w.UNKNOWN_TOPIC_OR_PARTITION
    port = broker.port
    broker.kill()
    broker.start(port=port)
    with w.Connection.to(broker.bootstrap) as conn:
        assert list_offset(conn, "delrec", EARLIEST) == 7
        assert list_offset(conn, "delrec", LATEST) == 20
        assert fetch(conn, "delrec", 0)[0] == w.OFFSET_OUT_OF_RANGE
        assert list_offset(conn, "delrec", EARLIEST, partition=1) == 0
        # -1 means the high watermark: everything goes.
        assert delete_records(conn, "delrec", {0: -1}, version) == {0: (w.NONE, 20)}
        assert fetch(conn, "delrec", 20) == (w.NONE, 20, [])
        assert produce_batch(conn, "delrec", b"after") == 20
    assert [r.value for r in consume_kcat(broker.bootstrap, "delrec")] == [b"after"]
    broker.restart()
    with w.Connection.to(broker.bootstrap) as conn:
        assert list_offset(conn, "delrec", EARLIEST) == 20
        assert list_offset(conn, "delrec", LATEST) == 21


def test_deleted_topic_stays_deleted_after_kill(start_broker):
    broker = start_broker("--checkpoint-interval-ms", "100")
    create_topic(broker, "gone")
    with w.Connection.to(broker.bootstrap) as conn:
        for i in range(5):
            produce_batch(conn, "gone", b"v%d" % i)
    time.sleep(0.3)  # a checkpoint or two hold its partition state
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap,
                             request_timeout_ms=30000)
    try:
        admin.delete_topics(["gone"], timeout_ms=10000)
    finally:
        admin.close()
    port = broker.port
    broker.kill()
    broker.start(port=port)
    with w.Connection.to(broker.bootstrap) as conn:
        md = conn.metadata(["gone"], allow_auto_topic_creation=False)
        assert md["topics"]["gone"]["error"] == w.UNKNOWN_TOPIC_OR_PARTITION
    create_topic(broker, "gone")
    with w.Connection.to(broker.bootstrap) as conn:
        assert list_offset(conn, "gone", LATEST) == 0
        assert fetch(conn, "gone", 0) == (w.NONE, 0, [])
