"""Connection-level protocol behaviour that clients depend on.

Driven over raw sockets with kafka_wire: the ApiVersions ranges and their
KIP-511 fallback, in-order answers to pipelined requests (also across core
workers), the byte bound on requests read ahead of their answers, and acks=0
getting no response.
"""

import threading
import time

import pytest

import kafka_wire as w
from kafka.structs import TopicPartition

from clients import (KCAT_HEADERS, Record, consume_kafka_python, consume_kcat,
                     kafka_python_consumer, produce_kcat)

# The ranges corelogd advertises (../shared/design/KAFKA.md section 1). The
# minimums must stay this low: librdkafka silently disables features whose
# versions fall outside the advertised range.
CONTRACT = {
    18: (0, 3),   # ApiVersions
    3: (0, 8),    # Metadata
    0: (3, 7),    # Produce
    1: (4, 11),   # Fetch
    2: (1, 5),    # ListOffsets
    19: (0, 4),   # CreateTopics
    20: (0, 3),   # DeleteTopics
    32: (0, 3),   # DescribeConfigs
}


def create_topic(bootstrap, topic):
    """Creates a topic the way a client would, by producing one record to
    partition 0 with kcat; returns that record."""
    seed = [Record(b"seed", b"seed", list(KCAT_HEADERS))]
    produce_kcat(bootstrap, topic, seed)
    return seed


@pytest.mark.mock_ok
def test_crc32c_matches_the_castagnoli_check_value():
    assert w.crc32c(b"123456789") == 0xE3069283
    assert w.crc32c(b"") == 0


@pytest.mark.mock_ok
@pytest.mark.parametrize("version", [3, 7])
def test_raw_batches_pass_the_clients_crc_checks(broker, version):
    """A RecordBatch built by kafka_wire is accepted and read back by kcat
    (check.crcs=true) and kafka-python (check_crcs): the helper the error
    tests rely on encodes correct batches."""
    topic = f"wire-batch-v{version}"
    expected = create_topic(broker.bootstrap, topic)
    rows = [(b"k%d" % i, b"v" * i, [("h", b"x%d" % i), ("null", None)])
            for i in range(5)]
    with w.Connection.to(broker.bootstrap) as conn:
        for _ in range(2):
            p = conn.produce(topic, 0, w.encode_record_batch(rows),
                             version=version)
            assert p["error"] == w.NONE, p
            assert p["base_offset"] == len(expected), p
            expected += [Record(k, v, h) for k, v, h in rows]
    got = consume_kcat(broker.bootstrap, topic, extra=["-X", "check.crcs=true"])
    assert [r.offset for r in got] == list(range(len(expected)))
    assert [r.content() for r in got] == [r.content() for r in expected]
    got, _, end = consume_kafka_python(broker.bootstrap, topic, len(expected))
    assert end == len(expected)
    assert [r.content() for r in got] == [r.content() for r in expected]


@pytest.mark.parametrize("version", [0, 1, 2, 3])
def test_api_versions_advertises_the_contract_ranges(broker, version):
    with w.Connection.to(broker.bootstrap) as conn:
        error, apis = conn.api_versions(version)
    assert error == w.NONE
    for key, (lo, hi) in CONTRACT.items():
        assert key in apis, f"api {key} not advertised: {apis}"
        got_lo, got_hi = apis[key]
        assert got_lo <= lo and got_hi >= hi, (
            f"api {key} advertised {got_lo}-{got_hi}, contract {lo}-{hi}")
    assert apis[18] == (0, 3), "ApiVersions must advertise exactly 0-3"


@pytest.mark.parametrize("version", [4, 5, 127])
def test_api_versions_above_max_gets_v0_error_35_and_keeps_connection(
        broker, version):
    """KIP-511: an unsupported ApiVersions version is answered with a v0
    header and v0 body carrying error 35 and at least ApiVersions' own range;
    the connection stays open (kafka-python#2602) and the client can step
    down on it."""
    with w.Connection.to(broker.bootstrap) as conn:
        cid = conn.send(w.API_VERSIONS, version, w.api_versions_body(3),
                        flexible=True)
        got_cid, body = conn.recv()
        assert got_cid == cid
        error, apis = w.decode_api_versions(body, 0)
        assert error == w.UNSUPPORTED_VERSION
        assert apis.get(18, (None, -1))[0] == 0 and apis[18][1] >= 3, apis

        # The same connection keeps working: step down to v3, then Metadata.
        error, apis = conn.api_versions(3)
        assert error == w.NONE and apis[18] == (0, 3)
        md = conn.metadata(None)
        assert md["brokers"], md


def test_pipelined_requests_are_answered_in_order(broker):
    """kafka-python sends ApiVersions v0 and Metadata v0 back to back; many
    more in flight must also come back in request order."""
    with w.Connection.to(broker.bootstrap) as conn:
        frames = [w.request_frame(w.API_VERSIONS, 0, 1, b""),
                  w.request_frame(w.API_METADATA, 0, 2, w.array([]))]
        cid = 3
        for i in range(60):
            if i % 3 == 0:
                frames.append(w.request_frame(
                    w.API_METADATA, 4, cid, w.metadata_body_v4(None, False)))
            elif i % 3 == 1:
                frames.append(w.request_frame(
                    w.API_VERSIONS, 3, cid, w.api_versions_body(3),
                    flexible=True))
            else:
                frames.append(w.request_frame(w.API_VERSIONS, 1, cid, b""))
            cid += 1
        conn.send_raw(b"".join(frames))
        got = [conn.recv()[0] for _ in range(cid - 1)]
    assert got == list(range(1, cid))


def test_pipelined_produces_to_partitions_on_different_cores_keep_order(
        start_broker):
    """Produce requests for several partitions (owned by different core
    workers) pipelined on one connection are answered in request order, and
    each partition's offsets are contiguous."""
    broker = start_broker("--num-partitions", "4")
    topics = [f"pipeline-{i}" for i in range(3)]
    base = {}
    for t in topics:
        base[t] = len(create_topic(broker.bootstrap, t))
    with w.Connection.to(broker.bootstrap) as conn:
        frames, expect = [], []
        for i in range(48):
            topic, partition = topics[i % 3], (i // 3) % 4
            batch = w.encode_record_batch([(b"k%d" % i, b"v%d" % i, [])])
            cid = 100 + i
            frames.append(w.request_frame(
                w.API_PRODUCE, 7, cid, w.produce_body(topic, partition, batch)))
            expect.append((cid, topic, partition))
        conn.send_raw(b"".join(frames))
        next_offset = {}
        for cid, topic, partition in expect:
            got_cid, body = conn.recv(timeout=30)
            assert got_cid == cid, "responses out of request order"
            p = w.decode_produce(body, 7)[(topic, partition)]
            assert p["error"] == w.NONE, (topic, partition, p)
            first = base[topic] if partition == 0 else 0
            want = next_offset.get((topic, partition), first)
            assert p["base_offset"] == want, (topic, partition, p)
            next_offset[(topic, partition)] = want + 1


# corelogd reads at most this many request bytes on one connection ahead of
# their answers (broker/server.cc, kMaxBytesInFlight).
READ_AHEAD_BYTES = 16 << 20


def test_requests_read_ahead_of_their_answers_are_bounded_in_bytes(broker):
    """A client that pipelines more request bytes than the read-ahead bound
    is read only as its answers go out. Proven by order: 24 fetches of 1 MiB
    each that wait their full max_wait, then a produce. Had the broker read
    everything at once, the produce would land while the first fetch still
    waits, and that fetch would return the record; with the bound, the
    produce is read only after the first fetch has answered (empty). A fetch
    read after the produce sees the record, and every answer comes back in
    request order."""
    topic = "read-ahead-bytes"
    seeded = len(create_topic(broker.bootstrap, topic))
    pad = (1 << 20) // 4  # forgotten partition ids: 1 MiB per fetch
    waves = READ_AHEAD_BYTES // (1 << 20) + 8
    frames, cid = [], 1
    for _ in range(waves):
        frames.append(w.request_frame(w.API_FETCH, 7, cid, w.fetch_body_v7(
            topic, 0, seeded, max_wait_ms=300, min_bytes=1 << 30,
            forgotten_partitions=pad)))
        cid += 1
    batch = w.encode_record_batch([(b"k", b"read after the fetches", [])])
    produce_cid = cid
    frames.append(w.request_frame(w.API_PRODUCE, 7, cid,
                                  w.produce_body(topic, 0, batch, acks=1)))
    cid += 1
    frames.append(w.request_frame(w.API_FETCH, 7, cid, w.fetch_body_v7(
        topic, 0, seeded, max_wait_ms=300, min_bytes=1 << 30)))
    with w.Connection.to(broker.bootstrap, timeout=30) as conn:
        # The broker stops reading, so the send blocks until answers flow.
        sender = threading.Thread(target=conn.send_raw,
                                  args=(b"".join(frames),))
        sender.start()
        try:
            answers = [conn.recv(timeout=30) for _ in range(cid)]
        finally:
            sender.join(timeout=30)
    assert [c for c, _ in answers] == list(range(1, cid + 1))
    first = w.decode_fetch_v7(answers[0][1])[1][(topic, 0)]
    assert first["error"] == w.NONE, first
    assert first["records"] == b"", (
        "the produce was read before the first fetch answered")
    produced = w.decode_produce(answers[produce_cid - 1][1], 7)[(topic, 0)]
    assert produced["error"] == w.NONE and produced["base_offset"] == seeded
    last = w.decode_fetch_v7(answers[-1][1])[1][(topic, 0)]
    assert last["error"] == w.NONE and last["high_watermark"] == seeded + 1
    assert b"read after the fetches" in last["records"]


def test_acks_zero_gets_no_response(broker):
    """acks=0: the broker answers nothing, so the next response on the
    connection belongs to the next request; the record is still appended."""
    topic = "acks-zero"
    seeded = len(create_topic(broker.bootstrap, topic))
    with w.Connection.to(broker.bootstrap) as conn:
        batch = w.encode_record_batch([(b"k", b"fire-and-forget", [])])
        conn.send(w.API_PRODUCE, 7, w.produce_body(topic, 0, batch, acks=0))
        cid = conn.send(w.API_VERSIONS, 0, b"")
        got_cid, _ = conn.recv()
        assert got_cid == cid, "acks=0 produce was answered"

    c = kafka_python_consumer(broker.bootstrap)
    tp = TopicPartition(topic, 0)
    try:
        deadline = time.monotonic() + 30
        end = None
        while time.monotonic() < deadline:
            end = c.end_offsets([tp])[tp]
            if end == seeded + 1:
                break
        assert end == seeded + 1, f"end offset {end} after an acks=0 produce"
    finally:
        c.close()
    got = consume_kcat(broker.bootstrap, topic)
    assert got[-1].content() == (b"k", b"fire-and-forget", [])
