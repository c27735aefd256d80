"""Crash recovery of corelogd: kill -9 at random moments never loses an
acknowledged record.

A confluent-kafka (librdkafka) producer with acks=all writes numbered values
to a four-partition topic; its delivery reports say which records were
acknowledged and at which offset. The broker is killed with SIGKILL at a
random moment (often in the middle of a checkpoint, which runs every 100 ms
here), restarted on the same data directory, and the producer carries on.
After the cycles every partition is read to its end: each acknowledged
record is at its acknowledged offset, offsets are dense and unique, and the
acknowledged records of a partition appear in the order they were sent.

Also: the WAL holds the records (the store only indexes them), so after
sustained ingest it shrinks with retention, a kill -9 restart replays only
the tail no checkpoint covers and is fast; changing --cores between runs keeps
every record; a corrupt WAL entry with valid entries after it stops the
start with the file and byte named, unless the salvage policy is chosen.
The random seed is printed; CRASH_SEED=<n> repeats a run, CRASH_CYCLES=<n>
sets the number of kills (scripts/stress-crash.sh runs many).
"""

import os
import pathlib
import random
import re
import subprocess
import time

import confluent_kafka
import pytest

import kafka_wire as w
from clients import consume_kcat

PARTITIONS = 4


def seed():
    s = int(os.environ.get("CRASH_SEED", random.randrange(1 << 30)))
    print(f"crash test seed: CRASH_SEED={s}")
    return s


def dir_bytes(path, pattern="*"):
    return sum(f.stat().st_size for f in pathlib.Path(path).rglob(pattern)
               if f.is_file())


def checkpoint_lag(broker):
    """WAL bytes a restart would replay, summed over the cores."""
    return sum(float(v) for v in re.findall(
        r"^corelog_checkpoint_lag_bytes\{[^}]*\} (\S+)$", broker.scrape(), re.M))


def create_topic(broker, topic, partitions=PARTITIONS, configs=None):
    from kafka.admin import KafkaAdminClient, NewTopic
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap,
                             request_timeout_ms=30000)
    try:
        admin.create_topics([NewTopic(topic, partitions, 1,
                                      topic_configs=configs or {})],
                            timeout_ms=10000)
    finally:
        admin.close()


class AckLog:
    """Delivery reports: (partition, offset) of every acknowledged value."""

    def __init__(self):
        self.acked = {}  # value -> (partition, offset)
        self.failed = 0

    def report(self, err, msg):
        if err is not None:
            self.failed += 1
            return
        self.acked[msg.value().decode()] = (msg.partition(), msg.offset())


def new_producer(broker):
    return confluent_kafka.Producer({
        "bootstrap.servers": broker.bootstrap, "acks": "all",
        "linger.ms": 2, "max.in.flight.requests.per.connection": 1,
        "message.timeout.ms": 60000, "retry.backoff.ms": 50,
        "reconnect.backoff.ms": 20, "reconnect.backoff.max.ms": 200,
        "queue.buffering.max.messages": 200000, "log_level": 2})


def produce_for(producer, topic, acks, seconds, cycle, counter):
    """Produces numbered values round-robin over the partitions for
    `seconds`; returns the next sequence number."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for _ in range(100):
            value = f"c{cycle:02d}-{counter:08d}"
            try:
                producer.produce(topic, value=value.encode(),
                                 partition=counter % PARTITIONS,
                                 on_delivery=acks.report)
            except BufferError:
                producer.poll(0.05)
                continue
            counter += 1
        producer.poll(0)
        time.sleep(0.002)
    return counter


def read_all(broker, topic):
    """{partition: [(offset, value)]} read by kcat up to each partition end."""
    out = {}
    for p in range(PARTITIONS):
        out[p] = [(r.offset, r.value.decode())
                  for r in consume_kcat(broker.bootstrap, topic, partition=p)]
    return out


def check_log(contents, acks):
    """Every acknowledged value sits at its offset; offsets are dense from 0
    and unique; acknowledged values of a partition keep their send order."""
    for p, records in contents.items():
        offsets = [o for o, _ in records]
        assert offsets == list(range(len(records))), (
            f"partition {p}: offsets not dense and unique: {offsets[:20]}...")
    by_offset = {p: dict(records) for p, records in contents.items()}
    missing = [(v, po) for v, po in acks.acked.items()
               if by_offset[po[0]].get(po[1]) != v]
    assert not missing, (f"{len(missing)} acknowledged records missing or "
                         f"wrong, e.g. {missing[:5]}")
    for p in range(PARTITIONS):
        acked = sorted((v, o) for v, (pp, o) in acks.acked.items() if pp == p)
        offs = [o for _, o in acked]
        assert offs == sorted(offs), f"partition {p}: acknowledged order broken"
    values = [v for records in contents.values() for _, v in records]
    return len(values) - len(set(values))  # unacknowledged retries kept twice


def test_acked_records_survive_kill_9_cycles(start_broker):
    rng = random.Random(seed())
    broker = start_broker("--checkpoint-interval-ms", "100")
    topic = "crash"
    create_topic(broker, topic)
    acks = AckLog()
    producer = new_producer(broker)
    counter = 0
    restarts = []
    for cycle in range(int(os.environ.get("CRASH_CYCLES", 6))):
        counter = produce_for(producer, topic, acks, rng.uniform(0.2, 1.5),
                              cycle, counter)
        port = broker.port
        broker.kill()
        t0 = time.monotonic()
        broker.start(port=port)
        restarts.append(time.monotonic() - t0)
    assert producer.flush(120) == 0, "producer could not deliver its queue"
    contents = read_all(broker, topic)
    dups = check_log(contents, acks)
    total = sum(len(r) for r in contents.values())
    print(f"sent {counter}, acknowledged {len(acks.acked)}, failed "
          f"{acks.failed}, stored {total} ({dups} unacknowledged retries "
          f"stored twice); restarts took "
          f"{', '.join(f'{t:.2f}' for t in restarts)} s")
    assert len(acks.acked) > 1000, "too little was acknowledged to mean much"


def test_wal_shrinks_with_retention_and_restart_replays_only_the_tail(
        start_broker):
    # 16 MiB segments: the WAL is reclaimed segment by segment, so the
    # settled size below is what the topic retains plus a few of them.
    broker = start_broker("--checkpoint-interval-ms", "500", "--override",
                          "log.retention.check.interval.ms=100",
                          "--wal-segment-bytes", str(16 << 20))
    topic = "ingest"
    # 8 MiB kept per partition: retention moves the log starts, and the
    # next checkpoints delete the WAL segments no stored batch lies in.
    create_topic(broker, topic, configs={"retention.bytes": str(8 << 20)})
    wal_dir = broker.data_dir / "wal"
    producer = confluent_kafka.Producer({
        "bootstrap.servers": broker.bootstrap, "acks": "all",
        "linger.ms": 20, "batch.size": 1 << 20, "message.timeout.ms": 120000,
        "queue.buffering.max.kbytes": 256 * 1024, "log_level": 2})
    value = os.urandom(10 * 1024)
    total = 300 * 1024 * 1024
    n = total // len(value)
    failures = []
    acked = [0]
    peak = 0

    def report(err, _):
        if err:
            failures.append(err)
        else:
            acked[0] += 1

    def produce(count):
        nonlocal peak
        for i in range(count):
            while True:
                try:
                    producer.produce(topic, value=value,
                                     partition=i % PARTITIONS,
                                     on_delivery=report)
                    break
                except BufferError:
                    producer.poll(0.05)
            if i % 2000 == 0:
                producer.poll(0)
                peak = max(peak, dir_bytes(wal_dir))

    t0 = time.monotonic()
    produce(n)
    assert producer.flush(300) == 0
    ingest = time.monotonic() - t0
    assert not failures, failures[:3]
    # A few retention checks and checkpoints later the WAL's segments hold
    # what the topic retains plus segment granularity and the unchecked
    # tail. Reclaimed segments beside them wait as spares (at most 4 per
    # core by default), and new segments are written over them.
    mib = 1 << 20
    deadline = time.monotonic() + 30
    settled = dir_bytes(wal_dir, "*.wal")
    while settled >= 80 * mib and time.monotonic() < deadline:
        time.sleep(0.1)
        settled = dir_bytes(wal_dir, "*.wal")
    spares = list(wal_dir.rglob("*.wal.spare"))
    print(f"ingested {total // mib} MiB in {ingest:.1f} s; WAL peak "
          f"{peak / mib:.1f} MiB, after retention {settled / mib:.1f} MiB "
          f"in segments, {len(spares)} spares")
    assert settled < 80 * mib, f"WAL holds {settled / mib:.1f} MiB"
    assert len(spares) <= 4 * 2, spares
    assert all(f.stat().st_size <= 16 * mib for f in spares)
    # Segments that roll from now on are written over those spares.
    produce(n // 5)
    assert producer.flush(300) == 0
    reused = sum(float(v) for v in re.findall(
        r'^corelog_wal_segment_rolls_total\{[^}]*file="spare"[^}]*\} (\S+)$',
        broker.scrape(), re.M))
    assert reused > 0, "no segment was written over a spare"
    # A checkpoint covers every record acknowledged so far.
    deadline = time.monotonic() + 30
    while checkpoint_lag(broker) > mib and time.monotonic() < deadline:
        time.sleep(0.05)
    assert checkpoint_lag(broker) <= mib

    # Killed in the middle of more ingest: the restart replays the tail.
    tail = n // 3
    produce(tail)
    producer.poll(0.5)
    port = broker.port
    broker.kill()
    t0 = time.monotonic()
    broker.start(port=port)
    with w.Connection.to(broker.bootstrap) as conn:
        md = conn.metadata([topic], allow_auto_topic_creation=False)
    took = time.monotonic() - t0
    assert md["topics"][topic]["error"] == w.NONE
    # Spares are deleted when the WAL opens: they hold nothing to replay.
    assert not list(wal_dir.rglob("*.wal.spare"))
    log = broker.log_paths[-1].read_text()
    replay = [line.split(" INFO ")[-1] for line in log.splitlines()
              if "recovery replayed" in line]
    print(f"kill -9 during ingest, restart to Metadata: {took:.2f} s; {replay}")
    assert took < 5.0
    # Replay starts at the last checkpoint: at most the records sent since
    # (plus their framing), not the retained records in the older segments.
    replayed = int(replay[-1].split("WAL entries (")[1].split(" bytes")[0])
    assert replayed < tail * len(value) + 8 * mib, replay
    assert producer.flush(300) == 0
    c = confluent_kafka.Consumer({"bootstrap.servers": broker.bootstrap,
                                  "group.id": "unused"})
    try:
        stored = sum(c.get_watermark_offsets(
            confluent_kafka.TopicPartition(topic, p), timeout=10)[1]
            for p in range(PARTITIONS))
    finally:
        c.close()
    # Retries of records whose answer the kill swallowed may be stored twice.
    assert stored >= acked[0] >= n


@pytest.mark.parametrize("new_cores", [3, 1])
def test_changing_cores_keeps_every_record(start_broker, new_cores):
    broker = start_broker("--checkpoint-interval-ms", "200")
    topic = "relayout"
    create_topic(broker, topic)
    acks = AckLog()
    producer = new_producer(broker)
    counter = produce_for(producer, topic, acks, 1.0, 0, 0)
    assert producer.flush(60) == 0
    port = broker.port
    broker.kill()
    broker.args[broker.args.index("--cores") + 1] = str(new_cores)
    broker.start(port=port)
    producer = new_producer(broker)
    counter = produce_for(producer, topic, acks, 0.5, 1, counter)
    assert producer.flush(60) == 0
    # Back to two cores, this time after a clean stop.
    broker.args[broker.args.index("--cores") + 1] = "2"
    broker.restart()
    contents = read_all(broker, topic)
    assert check_log(contents, acks) == 0
    assert sum(len(r) for r in contents.values()) == counter == len(acks.acked)
    assert sorted(os.listdir(broker.data_dir / "wal")) == ["core-0", "core-1"]


def test_corrupt_wal_entry_stops_the_start_unless_salvaging(start_broker):
    broker = start_broker("--checkpoint-interval-ms", "60000")
    topic = "corrupt"
    create_topic(broker, topic, partitions=1)
    producer = new_producer(broker)
    acks = AckLog()
    for i in range(20):
        producer.produce(topic, value=f"v{i}".encode(), partition=0,
                         on_delivery=acks.report)
        producer.flush(30)
    assert len(acks.acked) == 20
    port = broker.port
    broker.kill()
    # The segment holding the entries; after kill -9 every newest segment
    # is zero-padded to a 4 KiB block (O_DIRECT), so sizes alone tie.
    segment = max((broker.data_dir / "wal").rglob("*.wal"),
                  key=lambda f: len(f.read_bytes().rstrip(b"\0")))
    # Inside the first entry's body: its checksum fails, later entries verify.
    with open(segment, "r+b") as f:
        f.seek(56 + 28 + 20)
        byte = f.read(1)
        f.seek(56 + 28 + 20)
        f.write(bytes([byte[0] ^ 0xFF]))
    res = subprocess.run(broker.command(port), capture_output=True,
                         timeout=60)
    err = res.stderr.decode(errors="replace")
    assert res.returncode != 0, err
    # The damaged entry starts right after the 56-byte segment header.
    assert str(segment) in err and "at byte 56" in err, err
    assert b"corelogd ready" not in res.stdout

    broker.args += ["--override", "wal.recovery.policy=salvage"]
    broker.start(port=port)
    values = [r.value for r in consume_kcat(broker.bootstrap, topic)]
    assert values == [f"v{i}".encode() for i in range(1, 20)]
