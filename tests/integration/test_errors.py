"""Bad input gets Kafka's error codes, or closes only the offending
connection; it never takes the broker down or corrupts a log.

- a batch above message.max.bytes: MESSAGE_TOO_LARGE (10), for real clients
  and raw requests, with the default and an overridden limit;
- a batch with a wrong CRC or a damaged record: CORRUPT_MESSAGE (2), and
  nothing is appended;
- garbage, an oversized or negative frame size, an unknown API, an
  unsupported Produce version or a truncated body: that connection is closed,
  while another connection and other clients keep producing and consuming.
"""

import socket
import struct

import confluent_kafka
import kafka
import kafka.errors
import pytest

import kafka_wire as w
from clients import (KCAT_HEADERS, Record, consume_kafka_python, consume_kcat,
                     produce_confluent, produce_kafka_python, produce_kcat)

SMALL_LIMIT = 100_000


def seed_topic(bootstrap, topic):
    seed = [Record(b"seed", b"seed", list(KCAT_HEADERS))]
    produce_kcat(bootstrap, topic, seed)
    return seed


def batch_of_size(total):
    """One record whose batch is `total` bytes, give or take a few."""
    overhead = len(w.encode_record_batch([(b"k", b"", [])]))
    return w.encode_record_batch([(b"k", b"x" * (total - overhead - 4), [])])


def test_batch_over_message_max_bytes_gets_message_too_large(start_broker):
    broker = start_broker("--override", f"message.max.bytes={SMALL_LIMIT}")
    topic = "too-large"
    seed = seed_topic(broker.bootstrap, topic)
    big = Record(b"big", b"y" * (SMALL_LIMIT + 50_000), [])

    # librdkafka: the delivery report carries the broker's error 10.
    errors = []
    p = confluent_kafka.Producer({"bootstrap.servers": broker.bootstrap,
                                 "acks": "all", "message.timeout.ms": 30000})
    p.produce(topic, key=big.key, value=big.value, partition=0,
              on_delivery=lambda err, msg: errors.append(err))
    assert p.flush(60) == 0
    assert len(errors) == 1 and errors[0] is not None, errors
    assert errors[0].code() == confluent_kafka.KafkaError.MSG_SIZE_TOO_LARGE, (
        f"confluent-kafka delivery error {errors[0]}")

    # kafka-python: the future fails with MessageSizeTooLargeError.
    with pytest.raises(kafka.errors.MessageSizeTooLargeError):
        produce_kafka_python(broker.bootstrap, topic, [big])

    with w.Connection.to(broker.bootstrap) as conn:
        for version in (3, 7):
            p = conn.produce(topic, 0, batch_of_size(SMALL_LIMIT + 1000),
                             version=version)
            assert p["error"] == w.MESSAGE_TOO_LARGE, (version, p)
        # Just under the limit is fine, and nothing rejected was appended.
        p = conn.produce(topic, 0, batch_of_size(SMALL_LIMIT - 1000))
        assert p["error"] == w.NONE, p
        assert p["base_offset"] == len(seed), p
    offsets = produce_confluent(broker.bootstrap, topic,
                                [Record(b"after", b"ok", [])])
    assert offsets == [len(seed) + 1]


def test_default_message_max_bytes_is_1048588(broker):
    topic = "default-limit"
    seed = seed_topic(broker.bootstrap, topic)
    with w.Connection.to(broker.bootstrap) as conn:
        p = conn.produce(topic, 0, batch_of_size(1048588 + 4096))
        assert p["error"] == w.MESSAGE_TOO_LARGE, p
        p = conn.produce(topic, 0, batch_of_size(1_000_000))
        assert p["error"] == w.NONE, p
        assert p["base_offset"] == len(seed), p
    got = consume_kcat(broker.bootstrap, topic)
    assert [r.offset for r in got] == [0, 1]
    assert len(got[1].value) > 990_000


@pytest.mark.parametrize("damage", ["crc", "payload"])
@pytest.mark.parametrize("version", [3, 7])
def test_corrupted_batch_gets_corrupt_message(broker, damage, version):
    topic = f"corrupt-{damage}-v{version}"
    seed = seed_topic(broker.bootstrap, topic)
    rows = [(b"k%d" % i, b"value-%d" % i, [("h", b"v")]) for i in range(4)]
    good = w.encode_record_batch(rows)
    bad = w.corrupt_crc(good) if damage == "crc" else w.corrupt_payload(good)
    with w.Connection.to(broker.bootstrap) as conn:
        p = conn.produce(topic, 0, bad, version=version)
        assert p["error"] == w.CORRUPT_MESSAGE, p
        # The connection survives the error, and the log has no gap or trace
        # of the rejected batch.
        p = conn.produce(topic, 0, good, version=version)
        assert p["error"] == w.NONE, p
        assert p["base_offset"] == len(seed), p
    expected = seed + [Record(k, v, h) for k, v, h in rows]
    got, _, end = consume_kafka_python(broker.bootstrap, topic, len(expected))
    assert end == len(expected)
    assert [r.content() for r in got] == [r.content() for r in expected]


def frame(payload):
    return struct.pack(">i", len(payload)) + payload


GARBAGE = {
    # An HTTP request read as a Kafka frame: size 0x47455420, ~1.2 GB.
    "http_request": b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    "oversized_frame": struct.pack(">i", 0x7FFFFFF0) + b"\x00" * 64,
    "over_100_mib_frame": struct.pack(">i", 100 * 1024 * 1024 + 1) + b"\x00" * 64,
    "negative_size": struct.pack(">i", -5) + b"\x00" * 16,
    "unknown_api_key": w.request_frame(1000, 0, 7, b"\x00" * 8),
    "negative_api_key": frame(b"\xde\xad\xbe\xef" * 16),
    "unsupported_produce_version": w.request_frame(
        w.API_PRODUCE, 99, 7, b"\x00" * 32),
    "truncated_header": frame(b"\x00\x03"),
    # Metadata v4 claiming 1000 topics and carrying none.
    "truncated_body": w.request_frame(w.API_METADATA, 4, 7,
                                      struct.pack(">i", 1000)),
    # Produce v7 whose records field claims more bytes than the frame has.
    "records_length_past_frame": w.request_frame(
        w.API_PRODUCE, 7, 7,
        w.string(None) + struct.pack(">hi", -1, 1000) + w.array([
            w.string("garbage") + w.array([struct.pack(">ii", 0, 1 << 20)])])),
}


def assert_broker_serves_clients(broker, topic):
    """An existing connection and fresh clients all still work."""
    records = [Record(b"k%d" % i, b"still-alive-%d" % i, [("h", b"1")])
               for i in range(3)]
    offsets = produce_kafka_python(broker.bootstrap, topic, records)
    assert offsets == [0, 1, 2]
    got = consume_kcat(broker.bootstrap, topic)
    assert [r.content() for r in got] == [r.content() for r in records]


@pytest.mark.parametrize("kind", sorted(GARBAGE))
def test_garbage_closes_only_that_connection(broker, kind):
    bystander = w.Connection.to(broker.bootstrap)
    with bystander:
        assert bystander.api_versions(0)[0] == w.NONE
        with w.Connection.to(broker.bootstrap) as bad:
            bad.send_raw(GARBAGE[kind])
            assert bad.wait_closed(timeout=10), (
                f"broker kept the connection open after {kind}")
        assert broker.proc.poll() is None, "broker died"
        assert bystander.api_versions(0)[0] == w.NONE
        md = bystander.metadata(None, version=1)
        assert md["brokers"]
    assert_broker_serves_clients(broker, f"alive-after-{kind}")


def test_abrupt_disconnects_mid_request_leave_broker_serving(broker):
    """Clients that vanish halfway through a frame (RST) do no harm."""
    topic = "abrupt"
    seed_topic(broker.bootstrap, topic)
    batch = w.encode_record_batch([(b"k", b"v" * 5000, [])])
    whole = w.request_frame(w.API_PRODUCE, 7, 1,
                            w.produce_body(topic, 0, batch))
    for cut in (1, 4, 9, len(whole) // 2, len(whole) - 1):
        conn = w.Connection.to(broker.bootstrap)
        conn.send_raw(whole[:cut])
        conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                             struct.pack("ii", 1, 0))
        conn.close()
    with w.Connection.to(broker.bootstrap) as conn:
        p = conn.produce(topic, 0, batch)
        assert p["error"] == w.NONE and p["base_offset"] == 1, p
    assert_broker_serves_clients(broker, "alive-after-abrupt")
