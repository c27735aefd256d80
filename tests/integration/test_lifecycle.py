"""Process lifecycle: start, stop, restart.

- once the ready line is out, SIGTERM always ends in a clean exit 0, however
  soon it comes;
- SIGTERM while a client is producing: exit 0, and every acknowledged record
  is there after the restart, at its acknowledged offset;
- bad flags: a message on stderr and exit code 2, never a ready line.
"""

import subprocess
import threading

import pytest

import kafka_wire as w
from clients import Record, consume_kafka_python, produce_kafka_python
from conftest import broker_binary


# SIGTERM straight after the ready line must still be a clean stop: the
# signal may arrive before the broker waits for it.
def test_sigterm_right_after_ready_exits_cleanly(start_broker):
    broker = start_broker()
    for attempt in range(10):
        code = broker.stop()
        assert code == 0, (f"attempt {attempt}: SIGTERM right after the ready "
                           f"line gave exit code {code}\n{broker.log_tail(5)}")
        broker.start(port=broker.port)


def test_sigterm_under_load_keeps_every_acknowledged_record(broker):
    topic = "under-load"
    produce_kafka_python(broker.bootstrap, topic, [Record(b"k", b"seed", [])])
    acked = {}  # offset -> value
    enough = threading.Event()
    failure = []

    def producer():
        try:
            with w.Connection.to(broker.bootstrap) as conn:
                for i in range(100000):
                    value = b"rec-%d" % i
                    batch = w.encode_record_batch([(b"k", value, [])])
                    p = conn.produce(topic, 0, batch)
                    if p["error"] != w.NONE:
                        return  # refused while shutting down: not acked
                    acked[p["base_offset"]] = value
                    if len(acked) >= 50:
                        enough.set()
        except (w.ConnectionClosed, TimeoutError, OSError):
            return  # the broker went away; whatever was acked must survive
        except Exception as e:  # anything else is a test failure
            failure.append(e)
        finally:
            enough.set()

    t = threading.Thread(target=producer, daemon=True)
    t.start()
    assert enough.wait(timeout=60)
    assert not failure, failure
    assert len(acked) >= 50, f"only {len(acked)} records acknowledged"
    code = broker.stop()
    t.join(timeout=30)
    assert not t.is_alive(), "producer thread still running after shutdown"
    assert code == 0, f"exit code {code} on SIGTERM under load"
    assert not failure, failure

    broker.start(port=broker.port)
    last = max(acked)
    got, _, end = consume_kafka_python(broker.bootstrap, topic, last + 1)
    assert end >= last + 1, f"end offset {end}, last acknowledged {last}"
    by_offset = {r.offset: r.value for r in got}
    missing = [o for o, v in sorted(acked.items()) if by_offset.get(o) != v]
    assert not missing, f"acknowledged offsets lost or changed: {missing[:10]}"


@pytest.mark.parametrize("args", [
    ["--no-such-flag"],
    ["--num-partitions", "many"],
    ["--listen", "not-an-address"],
    ["--cores", "0"],
])
def test_bad_flags_exit_with_code_2(tmp_path, args):
    res = subprocess.run(
        [broker_binary(), "--data-dir", str(tmp_path / "data"),
         "--metrics-listen", "127.0.0.1:0", *args],
        capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
    assert res.returncode == 2, (res.returncode, res.stderr[-500:])
    assert res.stderr.strip(), "no message on stderr"
    assert b"corelogd ready" not in res.stdout
