"""Starts and stops the broker under test.

By default the broker is corelogd, taken from $CORELOGD (ctest sets it).
With CORELOG_TEST_BROKER=mock it is tests/tools/mock_broker ($MOCK_BROKER),
librdkafka's in-memory mock cluster: that checks the clients and these scripts
on a machine, and only tests marked `mock_ok` run (the others are skipped,
saying so). The mock keeps nothing across restarts.

A broker prints exactly one line on stdout when it accepts Kafka clients:
    corelogd ready kafka=127.0.0.1:PORT metrics=127.0.0.1:PORT
The fixture waits for that line with a deadline, never with sleeps, and kills
every process it started at teardown, whatever happened.
"""

import os
import re
import selectors
import signal
import subprocess
import threading
import time
import urllib.request

import pytest

MODE = os.environ.get("CORELOG_TEST_BROKER", "corelogd")
READY_TIMEOUT = 30.0  # seconds from exec to the ready line
STOP_TIMEOUT = 30.0  # seconds from SIGTERM to exit
READY_RE = re.compile(
    r"^corelogd ready kafka=(?P<host>[^\s:]+):(?P<port>\d+) "
    r"metrics=(?P<metrics>\S+)$")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "mock_ok: the librdkafka mock broker can satisfy this test")


def pytest_collection_modifyitems(config, items):
    if MODE != "mock":
        return
    skip = pytest.mark.skip(
        reason="needs corelogd; CORELOG_TEST_BROKER=mock runs only tests "
               "marked mock_ok")
    for item in items:
        if "mock_ok" not in item.keywords:
            item.add_marker(skip)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def broker_binary():
    var = "MOCK_BROKER" if MODE == "mock" else "CORELOGD"
    path = os.environ.get(var)
    if not path or not os.access(path, os.X_OK):
        pytest.fail(f"${var} must name the broker binary (got {path!r}); "
                    "run through ctest or set it by hand")
    return path


class Broker:
    """One broker process with its own data directory.

    start() blocks until the ready line (or fails the test); stop() sends
    SIGTERM and returns the exit code; restart() stops cleanly and starts
    again on the same data directory and the same Kafka port."""

    def __init__(self, binary, workdir, args):
        self.binary = binary
        self.workdir = workdir
        self.data_dir = workdir / "data"
        self.data_dir.mkdir(exist_ok=True)
        self.args = list(args)
        self.proc = None
        self.runs = 0
        self.host = self.port = self.metrics = None
        self.log_paths = []
        self._stdout_thread = None

    @property
    def bootstrap(self):
        return f"{self.host}:{self.port}"

    @property
    def is_mock(self):
        return MODE == "mock"

    def scrape(self):
        """The broker's /metrics page, as text."""
        url = f"http://{self.metrics}/metrics"
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.read().decode()

    def command(self, port):
        return [self.binary, "--listen", f"127.0.0.1:{port}",
                "--metrics-listen", "127.0.0.1:0",
                "--data-dir", str(self.data_dir), *self.args]

    def start(self, port=0):
        assert self.proc is None, "broker already running"
        self.runs += 1
        log_path = self.workdir / f"broker-{self.runs}.stderr"
        self.log_paths.append(log_path)
        with open(log_path, "wb") as log:
            self.proc = subprocess.Popen(
                self.command(port), stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=log, start_new_session=True)
        line = self._read_ready_line()
        m = READY_RE.match(line)
        if not m:
            self.kill()
            pytest.fail(f"broker's first stdout line is not the ready line: "
                        f"{line!r}")
        self.host, self.port = m["host"], int(m["port"])
        self.metrics = m["metrics"]
        assert self.host == "127.0.0.1", line
        if port:
            assert self.port == port, f"asked for port {port}: {line!r}"
        # Keep draining stdout so a chatty broker can never block on it.
        out = self.proc.stdout
        self._stdout_thread = threading.Thread(
            target=lambda: [None for _ in out], daemon=True)
        self._stdout_thread.start()
        return self

    def _read_ready_line(self):
        deadline = time.monotonic() + READY_TIMEOUT
        buf = b""
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            while b"\n" not in buf:
                left = deadline - time.monotonic()
                if left <= 0:
                    self.kill()
                    pytest.fail(f"no ready line within {READY_TIMEOUT} s; "
                                f"stderr:\n{self.log_tail()}")
                if not sel.select(left):
                    continue
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk:
                    code = self.proc.wait(timeout=STOP_TIMEOUT)
                    self.proc = None
                    pytest.fail(f"broker exited with {code} before the ready "
                                f"line; stderr:\n{self.log_tail()}")
                buf += chunk
        line, _, rest = buf.partition(b"\n")
        if rest.strip():
            self.kill()
            pytest.fail(f"unexpected stdout after the ready line: {rest!r}")
        return line.decode(errors="replace")

    def stop(self):
        """SIGTERM, then wait; returns the exit code (None if not running).

        A broker that does not exit in time is killed and the test fails."""
        if self.proc is None:
            return None
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"broker did not exit within {STOP_TIMEOUT} s of "
                        "SIGTERM")
        self._finish()
        return code

    def kill(self):
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=STOP_TIMEOUT)
        self._finish()

    def _finish(self):
        # The process has exited, so the drain thread reaches EOF.
        if self._stdout_thread is not None:
            self._stdout_thread.join(timeout=STOP_TIMEOUT)
        self.proc.stdout.close()
        self.proc = None
        self._stdout_thread = None

    def restart(self):
        """Clean stop (exit code 0 required), then start on the same data
        directory and port."""
        if self.is_mock:
            pytest.skip("the mock broker keeps no data across restarts")
        port = self.port
        code = self.stop()
        assert code == 0, (f"broker exited with {code} on SIGTERM; stderr:\n"
                           f"{self.log_tail()}")
        return self.start(port=port)

    def log_tail(self, lines=60):
        out = []
        for path in self.log_paths:
            try:
                text = path.read_text(errors="replace").splitlines()
            except FileNotFoundError:
                continue
            out.append(f"--- {path.name} (last {lines} lines)")
            out += text[-lines:]
        return "\n".join(out)


@pytest.fixture
def start_broker(tmp_path, request):
    """Returns start(*extra_args) -> a started Broker; every broker started
    through it is stopped (then killed if needed) at teardown."""
    binary = broker_binary()
    brokers = []

    def start(*args, cores=2):
        workdir = tmp_path / f"broker{len(brokers)}"
        workdir.mkdir()
        # Two cores at least, so connections and partitions spread across
        # core workers and cross-core forwarding is exercised.
        b = Broker(binary, workdir, [*args, "--cores", str(cores)])
        brokers.append(b)
        return b.start()

    yield start

    failed = getattr(request.node, "rep_call", None)
    for b in brokers:
        try:
            b.stop()
        except BaseException:
            b.kill()
        finally:
            b.kill()
        if failed is not None and failed.failed:
            print(b.log_tail())


@pytest.fixture
def broker(start_broker):
    return start_broker()
