"""Metadata as clients see it, and topic auto-creation.

- kcat -L lists exactly our broker at its advertised host:port, and a
  controller that is that broker (never -1);
- a Metadata request or a produce auto-creates a topic with --num-partitions
  partitions, led by our broker;
- with auto.create.topics.enable=false nothing is created: Metadata and
  Produce get UNKNOWN_TOPIC_OR_PARTITION, librdkafka's delivery report fails
  with it and kcat -C reports an unknown topic.
"""

import json
import subprocess
import time

import confluent_kafka
import pytest

import kafka_wire as w
from clients import (CLIENT_TIMEOUT, KCAT, Record, consume_kcat,
                     produce_kafka_python)


def kcat_list(bootstrap, topic=None):
    cmd = [KCAT, "-L", "-J", "-b", bootstrap]
    if topic:
        cmd += ["-t", topic]
    res = subprocess.run(cmd, capture_output=True, timeout=CLIENT_TIMEOUT)
    assert res.returncode == 0, res.stderr.decode(errors="replace")
    return json.loads(res.stdout)


def wait_for_topic(bootstrap, topic, partitions, timeout=30):
    """Polls Metadata (v4, auto-create off) until the topic is ready with
    `partitions` partitions; LEADER_NOT_AVAILABLE is allowed meanwhile."""
    deadline = time.monotonic() + timeout
    with w.Connection.to(bootstrap) as conn:
        while True:
            md = conn.metadata([topic], allow_auto_topic_creation=False)
            t = md["topics"].get(topic)
            ready = (t is not None and t["error"] == w.NONE
                     and len(t["partitions"]) == partitions
                     and all(p["error"] == w.NONE for p in t["partitions"]))
            if ready or time.monotonic() > deadline:
                return md, t


def test_kcat_lists_broker_with_advertised_address_and_controller(broker):
    md = kcat_list(broker.bootstrap)
    assert len(md["brokers"]) == 1, md
    b = md["brokers"][0]
    assert b["name"] == broker.bootstrap, md
    assert md["controllerid"] == b["id"], (
        f"controller {md['controllerid']} is not the broker {b['id']}")

    with w.Connection.to(broker.bootstrap) as conn:
        raw = conn.metadata(None)
        again = conn.metadata(None)
    assert [(x["node_id"], x["host"], x["port"]) for x in raw["brokers"]] == [
        (b["id"], broker.host, broker.port)]
    assert raw["controller_id"] == b["id"]
    assert raw["cluster_id"], "cluster_id must be set"
    assert again["cluster_id"] == raw["cluster_id"], "cluster_id changed"


@pytest.mark.parametrize("version", range(9))
def test_every_metadata_version_describes_the_same_cluster(broker, version):
    """Metadata v0..v8 (librdkafka asks v4, kafka-python v0 then v1,
    KafkaJS v6) all decode exactly and agree with v4."""
    topic = "md-versions"
    produce_kafka_python(broker.bootstrap, topic, [Record(b"k", b"v", [])])
    with w.Connection.to(broker.bootstrap) as conn:
        ref = conn.metadata([topic], version=4)
        md = conn.metadata([topic], version=version)
        everything = conn.metadata(None if version else [], version=version)
    node = ref["brokers"][0]["node_id"]
    assert [(b["node_id"], b["host"], b["port"]) for b in md["brokers"]] == [
        (node, broker.host, broker.port)]
    if version >= 1:
        assert md["controller_id"] == node
    if version >= 2:
        assert md["cluster_id"] == ref["cluster_id"]
    t = md["topics"][topic]
    assert t["error"] == w.NONE and not t["is_internal"]
    assert [(p["index"], p["leader"], p["replicas"], p["isr"])
            for p in t["partitions"]] == [(0, node, [node], [node])]
    if version >= 5:
        assert t["partitions"][0]["offline"] == []
    if version >= 7:
        assert t["partitions"][0]["leader_epoch"] in (-1, 0)
    assert topic in everything["topics"], "all-topics request missed it"


def test_cluster_id_and_topics_are_stable_across_restart(broker):
    produce_kafka_python(broker.bootstrap, "stable",
                         [Record(b"k", b"v", [])])
    with w.Connection.to(broker.bootstrap) as conn:
        before = conn.metadata(None)
    broker.restart()
    with w.Connection.to(broker.bootstrap) as conn:
        after = conn.metadata(None)
    assert after["cluster_id"] == before["cluster_id"]
    assert "stable" in after["topics"], after["topics"].keys()
    assert len(after["topics"]["stable"]["partitions"]) == 1


def test_metadata_request_auto_creates_topic_with_num_partitions(start_broker):
    broker = start_broker("--num-partitions", "3")
    topic = "auto-by-metadata"
    # librdkafka asks with allow_auto_topic_creation=true (Metadata v4).
    p = confluent_kafka.Producer({"bootstrap.servers": broker.bootstrap})
    p.list_topics(topic=topic, timeout=10)
    md, t = wait_for_topic(broker.bootstrap, topic, 3)
    assert t is not None and t["error"] == w.NONE, md
    node = md["brokers"][0]["node_id"]
    assert sorted(x["index"] for x in t["partitions"]) == [0, 1, 2]
    for x in t["partitions"]:
        assert (x["leader"], x["replicas"], x["isr"]) == (node, [node], [node])
    listed = kcat_list(broker.bootstrap)
    assert [len(x["partitions"]) for x in listed["topics"]
            if x["topic"] == topic] == [3]


def test_metadata_without_allow_auto_create_does_not_create(broker):
    topic = "not-auto-created"
    with w.Connection.to(broker.bootstrap) as conn:
        md = conn.metadata([topic], allow_auto_topic_creation=False)
        assert md["topics"][topic]["error"] == w.UNKNOWN_TOPIC_OR_PARTITION
        assert topic not in conn.metadata(None)["topics"]


def test_produce_auto_creates_topic(start_broker):
    broker = start_broker("--num-partitions", "2")
    topic = "auto-by-produce"
    # kafka-python asks with Metadata v1 (no flag) and then produces.
    assert produce_kafka_python(broker.bootstrap, topic,
                                [Record(b"k", b"v", [])], partition=1) == [0]
    md, t = wait_for_topic(broker.bootstrap, topic, 2)
    assert t is not None and t["error"] == w.NONE, md
    assert [r.content() for r in consume_kcat(broker.bootstrap, topic, 1)] == [
        (b"k", b"v", [])]


def test_auto_create_off_gets_unknown_topic_or_partition(start_broker):
    broker = start_broker("--override", "auto.create.topics.enable=false")
    topic = "missing"
    with w.Connection.to(broker.bootstrap) as conn:
        md = conn.metadata([topic], allow_auto_topic_creation=True)
        assert md["topics"][topic]["error"] == w.UNKNOWN_TOPIC_OR_PARTITION, md
        batch = w.encode_record_batch([(b"k", b"v", [])])
        for version in (3, 7):
            p = conn.produce(topic, 0, batch, version=version)
            assert p["error"] == w.UNKNOWN_TOPIC_OR_PARTITION, (version, p)

    # librdkafka fails the message once metadata keeps saying "unknown".
    reports = []
    p = confluent_kafka.Producer({
        "bootstrap.servers": broker.bootstrap, "acks": "all",
        "topic.metadata.propagation.max.ms": 1000,
        "message.timeout.ms": 10000})
    p.produce(topic, key=b"k", value=b"v",
              on_delivery=lambda err, msg: reports.append(err))
    assert p.flush(30) == 0
    assert len(reports) == 1 and reports[0] is not None, reports
    assert reports[0].code() in (
        confluent_kafka.KafkaError.UNKNOWN_TOPIC_OR_PART,
        confluent_kafka.KafkaError._UNKNOWN_TOPIC), reports[0]

    # kcat as a consumer reports the unknown topic and fails.
    res = subprocess.run(
        [KCAT, "-C", "-b", broker.bootstrap, "-t", topic, "-p", "0",
         "-o", "beginning", "-e"], capture_output=True, timeout=CLIENT_TIMEOUT)
    assert res.returncode != 0
    assert b"unknown topic" in res.stderr.lower(), res.stderr

    with w.Connection.to(broker.bootstrap) as conn:
        assert topic not in conn.metadata(None)["topics"]
