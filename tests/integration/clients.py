"""The four real clients behind one small interface.

Producers: kcat, confluent-kafka (librdkafka), kafka-python, KafkaJS.
Readers: kcat (-J) and kafka-python's partition-assigned consumer.
Every call is bounded: subprocesses get a timeout (and are killed when it
expires), in-process clients poll against a deadline.
"""

import base64
import dataclasses
import json
import os
import pathlib
import subprocess
import time

# Client modules from Debian's packages; pytest runs under /usr/bin/python3.
import confluent_kafka
import kafka
from kafka.structs import TopicPartition

JS_DIR = pathlib.Path(__file__).resolve().parent.parent / "clients" / "js"
KCAT = os.environ.get("KCAT", "kcat")
NODE = os.environ.get("NODE", "node")
CLIENT_TIMEOUT = 60  # seconds, for any single client run


@dataclasses.dataclass
class Record:
    key: bytes
    value: bytes
    headers: list  # [(str, bytes)]
    offset: int = None

    def content(self):
        """What must survive the round trip (the offset is checked apart)."""
        return (self.key, self.value, [(k, v) for k, v in self.headers])


PRODUCERS = ["kcat", "confluent-kafka", "kafka-python", "kafkajs"]


def sample_records(client, n=20):
    """Keyed records with headers; one empty value, one large value, a
    repeated header name (kept adjacent, see produce.js) and non-ASCII text.

    kcat sets the same headers on every record it produces, so its records
    carry a fixed header set."""
    records = []
    for i in range(n):
        key = f"{client}-key-{i:03d}".encode()
        if i == 1:
            value = b""
        elif i == n - 1:
            value = (f"{client} large value " + "0123456789" * 30000).encode()
        else:
            value = f"{client} value {i} \u00fcn\u00efc\u00f8d\u00e9 \u2713 {'x' * (97 * i)}".encode()
        if client == "kcat":
            headers = KCAT_HEADERS
        else:
            headers = [("seq", str(i).encode()), ("seq", b"again"),
                       ("client", client.encode())]
        records.append(Record(key, value, list(headers)))
    return records


KCAT_HEADERS = [("client", b"kcat"), ("trace", b"t-1"), ("trace", b"t-2")]


# ---- producers: each returns the offsets it was told, or None ----

def produce(client, bootstrap, topic, records, partition=0, chunk=7):
    fn = {"kcat": produce_kcat, "confluent-kafka": produce_confluent,
          "kafka-python": produce_kafka_python,
          "kafkajs": produce_kafkajs}[client]
    return fn(bootstrap, topic, records, partition, chunk)


def produce_kcat(bootstrap, topic, records, partition=0, chunk=None):
    """kcat -P with acks=all; kcat reports no offsets, so returns None."""
    assert all(r.headers == KCAT_HEADERS for r in records)
    lines = []
    for r in records:
        assert b"\t" not in r.key and b"\n" not in r.key + r.value
        lines.append(r.key + b"\t" + r.value + b"\n")
    cmd = [KCAT, "-P", "-b", bootstrap, "-t", topic, "-p", str(partition),
           "-K", "\t", "-X", "acks=all", "-X", "linger.ms=5"]
    for k, v in KCAT_HEADERS:
        cmd += ["-H", f"{k}={v.decode()}"]
    res = subprocess.run(cmd, input=b"".join(lines), capture_output=True,
                         timeout=CLIENT_TIMEOUT)
    assert res.returncode == 0, (
        f"kcat -P exited {res.returncode}: {res.stderr.decode(errors='replace')}")
    assert b"failed" not in res.stderr.lower(), res.stderr.decode(errors="replace")
    return None


def produce_confluent(bootstrap, topic, records, partition=0, chunk=7,
                      extra_config=None):
    """confluent-kafka Producer, acks=all; flushes every `chunk` records."""
    conf = {"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5,
            "message.timeout.ms": 30000}
    conf.update(extra_config or {})
    p = confluent_kafka.Producer(conf)
    reports = []

    def on_delivery(err, msg):
        reports.append((err, msg.offset()))

    for i, r in enumerate(records):
        p.produce(topic, key=r.key, value=r.value, headers=r.headers,
                  partition=partition, on_delivery=on_delivery)
        if (i + 1) % chunk == 0:
            assert p.flush(CLIENT_TIMEOUT) == 0, "confluent-kafka flush timed out"
    assert p.flush(CLIENT_TIMEOUT) == 0, "confluent-kafka flush timed out"
    errors = [err for err, _ in reports if err is not None]
    assert not errors, f"confluent-kafka delivery errors: {errors}"
    return [off for _, off in reports]


def produce_kafka_python(bootstrap, topic, records, partition=0, chunk=7):
    """kafka-python KafkaProducer, acks=all; flushes every `chunk` records."""
    p = kafka.KafkaProducer(bootstrap_servers=bootstrap, acks="all",
                            linger_ms=5, request_timeout_ms=30000,
                            max_block_ms=30000, max_request_size=2 << 20)
    try:
        futures = []
        for i, r in enumerate(records):
            futures.append(p.send(topic, key=r.key, value=r.value,
                                  headers=r.headers, partition=partition))
            if (i + 1) % chunk == 0:
                p.flush(CLIENT_TIMEOUT)
        return [f.get(timeout=CLIENT_TIMEOUT).offset for f in futures]
    finally:
        p.close(timeout=10)


def _b64(b):
    return None if b is None else base64.b64encode(b).decode()


def run_kafkajs(script, bootstrap, topic, payload):
    res = subprocess.run([NODE, str(JS_DIR / script), bootstrap, topic],
                         input=json.dumps(payload).encode(),
                         capture_output=True, timeout=CLIENT_TIMEOUT,
                         cwd=JS_DIR)
    out = res.stdout.decode().strip().splitlines()
    assert out, f"{script} printed nothing; stderr: {res.stderr.decode()}"
    return res.returncode, json.loads(out[-1])


def produce_kafkajs(bootstrap, topic, records, partition=0, chunk=7):
    """KafkaJS producer.send(acks=-1), `chunk` records per send()."""
    payload = {"acks": -1, "chunk": chunk, "records": [
        {"partition": partition, "key": _b64(r.key), "value": _b64(r.value),
         "headers": [[k, _b64(v)] for k, v in r.headers]} for r in records]}
    rc, out = run_kafkajs("produce.js", bootstrap, topic, payload)
    assert rc == 0 and "results" in out, f"KafkaJS produce failed: {out}"
    offsets = []
    sent = 0
    for meta in out["results"]:
        assert meta["errorCode"] == 0, meta
        n = min(chunk, len(records) - sent)
        base = int(meta["baseOffset"])
        offsets += list(range(base, base + n))
        sent += n
    assert sent == len(records), out
    return offsets


# ---- readers ----

def consume_kcat(bootstrap, topic, partition=0, extra=()):
    """kcat -C -o beginning -e -J: every record up to the partition end."""
    cmd = [KCAT, "-C", "-b", bootstrap, "-t", topic, "-p", str(partition),
           "-o", "beginning", "-e", "-J", "-q", *extra]
    res = subprocess.run(cmd, capture_output=True, timeout=CLIENT_TIMEOUT)
    assert res.returncode == 0, (
        f"kcat -C exited {res.returncode}: {res.stderr.decode(errors='replace')}")
    records = []
    for line in res.stdout.decode().splitlines():
        m = json.loads(line)
        assert m["topic"] == topic and m["partition"] == partition, m
        h = m.get("headers") or []
        headers = [(h[i], None if h[i + 1] is None else h[i + 1].encode())
                   for i in range(0, len(h), 2)]
        key = None if m["key"] is None else m["key"].encode()
        value = None if m["payload"] is None else m["payload"].encode()
        records.append(Record(key, value, headers, m["offset"]))
    return records


def kafka_python_consumer(bootstrap, **kw):
    return kafka.KafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                               enable_auto_commit=False,
                               auto_offset_reset="earliest",
                               request_timeout_ms=30000, **kw)


def consume_kafka_python(bootstrap, topic, expected_count, partition=0,
                         timeout=CLIENT_TIMEOUT):
    """kafka-python with assign() + seek_to_beginning(): reads until
    expected_count records arrived or the deadline passed, and also returns
    the partition's beginning and end offsets."""
    c = kafka_python_consumer(bootstrap)
    try:
        tp = TopicPartition(topic, partition)
        c.assign([tp])
        c.seek_to_beginning(tp)
        records = []
        deadline = time.monotonic() + timeout
        while len(records) < expected_count and time.monotonic() < deadline:
            for msgs in c.poll(timeout_ms=500).values():
                for m in msgs:
                    records.append(Record(m.key, m.value,
                                          [(k, v) for k, v in m.headers],
                                          m.offset))
        begin = c.beginning_offsets([tp])[tp]
        end = c.end_offsets([tp])[tp]
        return records, begin, end
    finally:
        c.close()
