"""Consumer groups with real clients: every group consumer reads
everything, committed offsets are resumed from exactly, two kcat members
split a topic and take over from each other, and committed offsets survive
kill -9."""

import base64
import json
import os
import signal
import subprocess
import time

import confluent_kafka
import kafka
import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from clients import KCAT, run_kafkajs

DEADLINE = 60  # seconds for any wait below


def create_topic(bootstrap, topic, partitions):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(topic, partitions, 1)])
    futures[topic].result(timeout=30)


def produce_keyed(bootstrap, topic, n, partitions, start=0):
    """n records spread round-robin over the partitions; returns the values."""
    p = confluent_kafka.Producer({"bootstrap.servers": bootstrap, "acks": "all"})
    errors = []
    values = []
    for i in range(start, start + n):
        value = f"value-{i}".encode()
        values.append(value)
        p.produce(topic, key=f"key-{i}".encode(), value=value, partition=i % partitions,
                  on_delivery=lambda err, msg: err and errors.append(err))
    assert p.flush(30) == 0
    assert not errors, errors
    return values


def confluent_consumer(bootstrap, group, **extra):
    conf = {"bootstrap.servers": bootstrap, "group.id": group,
            "auto.offset.reset": "earliest", "enable.auto.commit": False,
            "session.timeout.ms": 10000}
    conf.update(extra)
    return confluent_kafka.Consumer(conf)


def poll_values(consumer, expected, deadline=DEADLINE):
    got = []
    end = time.monotonic() + deadline
    while len(got) < expected and time.monotonic() < end:
        m = consumer.poll(0.5)
        if m is None:
            continue
        assert not m.error(), m.error()
        got.append((m.partition(), m.offset(), m.value()))
    return got


def test_confluent_group_reads_everything_and_resumes_after_commit(broker):
    topic, group = "groups-confluent", "g-confluent"
    create_topic(broker.bootstrap, topic, 3)
    values = produce_keyed(broker.bootstrap, topic, 60, 3)

    c = confluent_consumer(broker.bootstrap, group)
    c.subscribe([topic])
    got = poll_values(c, 40)
    assert len(got) == 40
    c.commit(asynchronous=False)
    committed = {tp.partition: tp.offset for tp in c.committed(
        [confluent_kafka.TopicPartition(topic, p) for p in range(3)], timeout=10)}
    c.close()
    consumed = {}
    for part, off, _ in got:
        consumed[part] = max(consumed.get(part, -1), off)
    for part, last in consumed.items():
        assert committed[part] == last + 1

    more = produce_keyed(broker.bootstrap, topic, 9, 3, start=60)
    c2 = confluent_consumer(broker.bootstrap, group)
    c2.subscribe([topic])
    rest = poll_values(c2, 29)
    c2.close()
    # Exactly the records after the committed offsets: nothing again, nothing skipped.
    assert sorted(v for _, _, v in got + rest) == sorted(values + more)
    for part, off, _ in rest:
        assert off >= committed.get(part, 0)


def test_kafka_python_group_consumer_reads_everything(broker):
    topic = "groups-kafka-python"
    create_topic(broker.bootstrap, topic, 2)
    values = produce_keyed(broker.bootstrap, topic, 30, 2)
    c = kafka.KafkaConsumer(topic, bootstrap_servers=broker.bootstrap, group_id="g-kp",
                            auto_offset_reset="earliest", enable_auto_commit=True,
                            session_timeout_ms=10000, request_timeout_ms=30000)
    got = []
    end = time.monotonic() + DEADLINE
    while len(got) < len(values) and time.monotonic() < end:
        for msgs in c.poll(timeout_ms=500).values():
            got += [m.value for m in msgs]
    c.commit()
    c.close()
    assert sorted(got) == sorted(values)


def test_kafkajs_group_consumer_reads_everything(broker):
    topic = "groups-kafkajs"
    create_topic(broker.bootstrap, topic, 2)
    values = produce_keyed(broker.bootstrap, topic, 25, 2)
    rc, out = run_kafkajs("consume_group.js", broker.bootstrap, topic,
                          {"group": "g-js", "expected": len(values), "timeoutMs": 45000})
    assert rc == 0, out
    got = [base64.b64decode(r["value"]) for r in out["records"]]
    assert sorted(got) == sorted(values)


def group_members(bootstrap, group):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    groups = admin.list_groups(group, timeout=10)
    if not groups:
        return None, []
    g = groups[0]
    return g.state, g.members


def wait_for(predicate, what, deadline=DEADLINE):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.1)  # polling interval of a bounded wait, not synchronisation
    raise AssertionError(f"timed out waiting for {what}")


class KcatMember:
    """kcat -G writing '<partition> <offset> <value>' lines to a file."""

    def __init__(self, bootstrap, group, topic, path):
        self.path = path
        self.file = open(path, "wb")
        self.proc = subprocess.Popen(
            [KCAT, "-b", bootstrap, "-G", group, "-u", "-q", "-f", "%p %o %s\\n",
             "-X", "auto.offset.reset=earliest", "-X", "session.timeout.ms=10000",
             "-X", "heartbeat.interval.ms=500", topic],
            stdout=self.file, stderr=subprocess.DEVNULL)

    def lines(self):
        """The complete lines so far; kcat may be in the middle of writing the last one."""
        with open(self.path, "rb") as f:
            data = f.read()
        complete = data[:data.rfind(b"\n") + 1]
        return [tuple(l.split(b" ", 2)) for l in complete.splitlines() if l]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.file.close()


def test_two_kcat_members_split_a_topic_and_take_over(broker, tmp_path):
    topic, group, partitions = "groups-kcat", "g-kcat", 4
    create_topic(broker.bootstrap, topic, partitions)
    a = KcatMember(broker.bootstrap, group, topic, tmp_path / "a.out")
    b = KcatMember(broker.bootstrap, group, topic, tmp_path / "b.out")
    try:
        def both_stable():
            state, members = group_members(broker.bootstrap, group)
            return state == "Stable" and len(members) == 2
        wait_for(both_stable, "a stable group of two kcat members")
        values = produce_keyed(broker.bootstrap, topic, 80, partitions)
        wait_for(lambda: len(a.lines()) + len(b.lines()) >= 80, "80 records between the members")
        la, lb = a.lines(), b.lines()
        assert sorted(v for *_, v in la + lb) == sorted(values), "every record exactly once"
        pa, pb = {p for p, *_ in la}, {p for p, *_ in lb}
        assert pa and pb, "both members got partitions"
        assert not pa & pb, "no partition read by both"

        b.stop()
        wait_for(lambda: group_members(broker.bootstrap, group)[1].__len__() == 1,
                 "the group to shrink to one member")
        more = produce_keyed(broker.bootstrap, topic, 40, partitions, start=80)
        wait_for(lambda: len([l for l in a.lines() if l[2] in set(more)]) >= 40,
                 "the remaining member to read every partition")
        after = [l for l in a.lines() if l[2] in set(more)]
        assert sorted(v for *_, v in after) == sorted(more)
        assert {p for p, *_ in after} == {str(i).encode() for i in range(partitions)}
    finally:
        a.stop()
        b.stop()


def test_committed_offsets_survive_kill_9(broker):
    topic, group = "groups-kill", "g-kill"
    create_topic(broker.bootstrap, topic, 2)
    values = produce_keyed(broker.bootstrap, topic, 20, 2)
    c = confluent_consumer(broker.bootstrap, group)
    c.subscribe([topic])
    got = poll_values(c, 12)
    c.commit(asynchronous=False)
    tps = [confluent_kafka.TopicPartition(topic, p) for p in range(2)]
    before = {tp.partition: tp.offset for tp in c.committed(tps, timeout=10)}
    c.close()

    port = broker.port
    broker.kill()
    broker.start(port=port)

    c2 = confluent_consumer(broker.bootstrap, group)
    after = {tp.partition: tp.offset for tp in c2.committed(tps, timeout=30)}
    assert after == before
    c2.subscribe([topic])
    rest = poll_values(c2, len(values) - len(got))
    c2.close()
    assert sorted(v for *_, v in got + rest) == sorted(values)


def test_consumers_started_together_share_the_first_rebalance(broker):
    """An empty group's first rebalance waits for more members
    (group.initial.rebalance.delay.ms, 3 s by default), so two consumers
    that subscribe together are each first assigned half the partitions;
    without the wait the first to join takes all four."""
    topic, group, partitions = "groups-together", "g-together", 4
    create_topic(broker.bootstrap, topic, partitions)
    assignments = {0: [], 1: []}
    consumers = []
    try:
        for i in (0, 1):
            c = confluent_consumer(broker.bootstrap, group)
            c.subscribe([topic], on_assign=lambda _, parts, i=i: assignments[i].append(
                sorted(p.partition for p in parts)))
            consumers.append(c)
            # The second comes a second later, well within the wait; a
            # group that does not wait has assigned the first by then.
            second_later = time.monotonic() + 1
            while i == 0 and time.monotonic() < second_later:
                c.poll(0.1)
        end = time.monotonic() + DEADLINE
        while not all(assignments.values()) and time.monotonic() < end:
            for c in consumers:
                c.poll(0.1)
        first = [assignments[0][0], assignments[1][0]]
        assert sorted(first[0] + first[1]) == list(range(partitions)), assignments
        assert len(first[0]) == len(first[1]) == 2, assignments
    finally:
        for c in consumers:
            c.close()
