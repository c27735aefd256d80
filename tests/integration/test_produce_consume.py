"""Records produced by each real client come back exactly.

Each of kcat, confluent-kafka, kafka-python and KafkaJS produces keyed records
with headers and acks=all; kcat and kafka-python's assigned consumer then
read back the same keys, values, headers, order and offsets 0..n-1 - also
after a clean broker restart on the same data directory.
"""

import pytest

from clients import (PRODUCERS, Record, consume_kafka_python, consume_kcat,
                     produce, sample_records)


def short(x, n=80):
    r = repr(x)
    return r if len(r) <= n else r[:n] + f"...({len(r)} chars)"


def assert_same_records(reader, got, expected, first_offset=0):
    offsets = [r.offset for r in got]
    want = list(range(first_offset, first_offset + len(expected)))
    assert offsets == want, f"{reader}: offsets {offsets}, expected {want}"
    for i, (g, e) in enumerate(zip(got, expected)):
        assert g.content() == e.content(), (
            f"{reader}: record at offset {g.offset} differs:\n"
            f"  got      key={short(g.key)} value={short(g.value)} "
            f"headers={short(g.headers, 200)}\n"
            f"  expected key={short(e.key)} value={short(e.value)} "
            f"headers={short(e.headers, 200)}")


def assert_read_back(bootstrap, topic, expected):
    """kcat and kafka-python both read exactly `expected` from partition 0."""
    assert_same_records("kcat", consume_kcat(bootstrap, topic), expected)
    got, begin, end = consume_kafka_python(bootstrap, topic, len(expected))
    assert (begin, end) == (0, len(expected)), (
        f"kafka-python: beginning/end offsets {begin}/{end}, expected "
        f"0/{len(expected)}")
    assert_same_records("kafka-python", got, expected)


def produce_and_check_offsets(client, bootstrap, topic, records, first=0):
    offsets = produce(client, bootstrap, topic, records)
    if offsets is not None:  # kcat reports no offsets
        assert offsets == list(range(first, first + len(records))), (
            f"{client} was acknowledged with offsets {offsets}")


@pytest.mark.mock_ok
@pytest.mark.parametrize("client", PRODUCERS)
def test_records_read_back_exactly(broker, client):
    topic = f"roundtrip-{client}"
    records = sample_records(client)
    produce_and_check_offsets(client, broker.bootstrap, topic, records)
    assert_read_back(broker.bootstrap, topic, records)


@pytest.mark.mock_ok
def test_all_clients_share_one_topic(broker):
    """The four clients append in turn to one partition; offsets stay
    contiguous across clients and every record is read back in order."""
    topic = "roundtrip-shared"
    expected = []
    for client in PRODUCERS:
        records = sample_records(client, n=6)
        produce_and_check_offsets(client, broker.bootstrap, topic, records,
                                  first=len(expected))
        expected += records
    assert_read_back(broker.bootstrap, topic, expected)


@pytest.mark.parametrize("client", PRODUCERS)
def test_records_survive_restart(broker, client):
    """Acknowledged records are read back exactly after a clean restart, and
    the log continues at the old end offset."""
    topic = f"restart-{client}"
    before = sample_records(client)
    produce_and_check_offsets(client, broker.bootstrap, topic, before)
    assert_read_back(broker.bootstrap, topic, before)

    broker.restart()
    assert_read_back(broker.bootstrap, topic, before)

    after = [Record(r.key + b"-after-restart", r.value, r.headers)
             for r in sample_records(client, n=5)]
    produce_and_check_offsets(client, broker.bootstrap, topic, after,
                              first=len(before))
    assert_read_back(broker.bootstrap, topic, before + after)


def test_all_topics_survive_restart(broker):
    """Several topics written by different clients all survive a restart,
    and a second restart with no writes in between changes nothing."""
    written = {}
    for client in PRODUCERS:
        topic = f"restart-all-{client}"
        written[topic] = sample_records(client, n=8)
        produce_and_check_offsets(client, broker.bootstrap, topic,
                                  written[topic])
    for _ in range(2):
        broker.restart()
        for topic, records in written.items():
            assert_read_back(broker.bootstrap, topic, records)
