"""The processes behind the metrics integration test (conftest.py exposes
the fixture).

One module-scoped `stack`: corelogd ($CORELOGD, ephemeral ports, a temporary
data directory), Debian's real Prometheus in the foreground scraping the
broker's metrics port every second (temporary storage, loopback), and a kcat
workload (produce with acks=all, consume, one out-of-range fetch so an error
is counted, a consumer group commit). Every wait is bounded polling on an observable condition, never a
fixed sleep, and every process started here is stopped at teardown, whatever
happened. A kafka-python consumer group commits an offset short of the end,
so the consumer-lag series has a known value.
"""

import json
import os
import re
import selectors
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT = 30.0   # exec to ready line / Prometheus ready
STOP_TIMEOUT = 15.0    # SIGTERM to exit, then SIGKILL
POLL_TIMEOUT = 60.0    # a condition on Prometheus data to become true
CLIENT_TIMEOUT = 60.0
READY_RE = re.compile(r"^corelogd ready kafka=(?P<kafka>\S+) metrics=(?P<metrics>\S+)$")
TOPIC = "metrics-it"
RECORDS = 500
GROUP = "metrics-it-group"
GROUP_LAG = 100  # the group commits RECORDS - GROUP_LAG


def tool(name):
    path = shutil.which(name)
    if not path:
        pytest.fail(f"{name} not found: run scripts/install-deps.sh")
    return path


class Process:
    """A child in its own session, so stop() reaches anything it spawned."""

    def __init__(self, name, cmd, workdir, stdout=subprocess.DEVNULL):
        self.name = name
        self.log_path = workdir / f"{name}.log"
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=stdout,
                                         stderr=log, start_new_session=True)

    def alive(self):
        return self.proc.poll() is None

    def log_tail(self, lines=30):
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self):
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(STOP_TIMEOUT)
        if self.proc.stdout:
            self.proc.stdout.close()
        return self.proc.returncode


def wait_for(what, condition, timeout=POLL_TIMEOUT, interval=0.2, proc=None):
    """Polls `condition` until it returns something truthy; fails the test at
    the deadline (or as soon as `proc` has exited) saying what was awaited."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = condition()
        if last:
            return last
        if proc is not None and not proc.alive():
            pytest.fail(f"{proc.name} exited ({proc.proc.returncode}) while waiting for "
                        f"{what}:\n{proc.log_tail()}")
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")


def read_ready_line(broker):
    sel = selectors.DefaultSelector()
    sel.register(broker.proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + START_TIMEOUT
    line = b""
    while not line.endswith(b"\n") and time.monotonic() < deadline:
        if not sel.select(timeout=max(0.0, deadline - time.monotonic())):
            break
        chunk = os.read(broker.proc.stdout.fileno(), 1)
        if not chunk:
            break
        line += chunk
    sel.close()
    m = READY_RE.match(line.decode(errors="replace").strip())
    if not m:
        pytest.fail(f"no ready line from corelogd (got {line!r}):\n{broker.log_tail()}")
    return m["kafka"], m["metrics"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, data=None, timeout=10):
    """(status, body) of one request; HTTP errors are answers, not exceptions."""
    req = urllib.request.Request(url, method=method, data=data)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None, b""


class Prometheus:
    def __init__(self, workdir, target):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = workdir / "prometheus.yml"
        config.write_text(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
            "scrape_configs:\n  - job_name: corelog\n    scrape_interval: 1s\n"
            "    scrape_timeout: 1s\n"
            f"    static_configs:\n      - targets: ['{target}']\n")
        self.process = Process("prometheus", [
            tool("prometheus"), f"--config.file={config}",
            f"--storage.tsdb.path={workdir / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--storage.tsdb.retention.time=1h"], workdir)

    def query(self, expr):
        """The instant-query result list; fails the test on a PromQL error."""
        url = f"{self.url}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        status, body = http("GET", url)
        if status is None:
            pytest.fail(f"Prometheus unreachable for {expr!r}:\n{self.process.log_tail()}")
        reply = json.loads(body)
        if reply.get("status") != "success":
            pytest.fail(f"PromQL error for {expr!r}: {reply.get('error')}")
        return reply["data"]["result"]

    def value(self, expr):
        """The single scalar value of `expr`, or None when it has no result."""
        result = self.query(expr)
        return float(result[0]["value"][1]) if result else None

    def wait_ready(self):
        wait_for("Prometheus /-/ready",
                 lambda: http("GET", f"{self.url}/-/ready")[0] == 200,
                 timeout=START_TIMEOUT, proc=self.process)
        wait_for("Prometheus to scrape corelogd (up == 1)",
                 lambda: self.query('up{job="corelog"} == 1'), proc=self.process)


def kcat(args, stdin=None):
    res = subprocess.run([tool("kcat"), *args], input=stdin, capture_output=True,
                         timeout=CLIENT_TIMEOUT)
    return res


class Stack:
    """What the tests see: addresses, the Prometheus client, and the values
    read before the workload ran."""

    def __init__(self, kafka, metrics, prometheus, before):
        self.kafka = kafka
        self.metrics = metrics
        self.prometheus = prometheus
        self.before = before

    def scrape(self):
        status, body = http("GET", f"http://{self.metrics}/metrics")
        assert status == 200, f"GET /metrics answered {status}"
        return body.decode()


def run_workload(bootstrap):
    payload = b"".join(b"key-%d\tvalue-%d-%s\n" % (i, i, b"x" * 100) for i in range(RECORDS))
    res = kcat(["-P", "-b", bootstrap, "-t", TOPIC, "-p", "0", "-K", "\t",
                "-X", "acks=all", "-X", "linger.ms=5"], payload)
    assert res.returncode == 0, f"kcat -P: {res.stderr.decode(errors='replace')}"
    res = kcat(["-C", "-b", bootstrap, "-t", TOPIC, "-p", "0", "-o", "beginning", "-e", "-q"])
    assert res.returncode == 0, f"kcat -C: {res.stderr.decode(errors='replace')}"
    assert len(res.stdout.splitlines()) == RECORDS
    # A fetch far past the end: the broker answers OFFSET_OUT_OF_RANGE (an
    # error the dashboard's error panel must show); kcat then resets to the
    # end and exits there.
    kcat(["-C", "-b", bootstrap, "-t", TOPIC, "-p", "0", "-o", str(10 ** 9), "-e", "-q"])
    commit_group_offset(bootstrap)


def commit_group_offset(bootstrap):
    """kafka-python in group GROUP: reads the partition, commits short of the end."""
    import kafka
    from kafka.structs import OffsetAndMetadata, TopicPartition
    consumer = kafka.KafkaConsumer(bootstrap_servers=bootstrap, group_id=GROUP,
                                   enable_auto_commit=False, auto_offset_reset="earliest",
                                   request_timeout_ms=30000)
    try:
        tp = TopicPartition(TOPIC, 0)
        consumer.assign([tp])
        seen = wait_for("kafka-python to read records", lambda: consumer.poll(
            timeout_ms=500).get(tp), timeout=CLIENT_TIMEOUT, interval=0)
        assert seen, "no records"
        consumer.commit({tp: OffsetAndMetadata(RECORDS - GROUP_LAG, None)})
        assert consumer.committed(tp) == RECORDS - GROUP_LAG
    finally:
        consumer.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    binary = os.environ.get("CORELOGD")
    if not binary or not os.access(binary, os.X_OK):
        pytest.fail(f"$CORELOGD must name the corelogd binary (got {binary!r}); run via ctest")
    workdir = tmp_path_factory.mktemp("metrics-it")
    started = []
    try:
        broker = Process("corelogd", [binary, "--listen", "127.0.0.1:0",
                                      "--metrics-listen", "127.0.0.1:0",
                                      "--data-dir", str(workdir / "data")],
                         workdir, stdout=subprocess.PIPE)
        started.append(broker)
        kafka, metrics = read_ready_line(broker)
        prometheus = Prometheus(workdir, metrics)
        started.append(prometheus.process)
        prometheus.wait_ready()
        before = prometheus.value("sum(corelog_wal_written_bytes_total)") or 0.0
        run_workload(kafka)
        yield Stack(kafka, metrics, prometheus, {"written": before})
        assert broker.alive(), f"corelogd died during the test:\n{broker.log_tail()}"
    finally:
        for p in reversed(started):
            p.stop()
