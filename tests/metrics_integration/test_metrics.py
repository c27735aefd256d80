"""Metrics end to end: corelogd under a kcat workload, scraped by Debian's
real Prometheus every second.

Guarantees checked: the health endpoints answer as documented; /metrics
passes `promtool check metrics` and has every metric of issue 5; the WAL,
checkpoint and Kafka series exist in Prometheus and move with the workload;
every PromQL expression of the Grafana dashboard (Grafana variables
substituted) returns a finite number; the dashboard's layout and the compose stack's
configuration are consistent and lint clean.
"""

import json
import math
import re
import shutil
import subprocess

import pytest
import yaml

from metrics_stack import (GROUP, GROUP_LAG, POLL_TIMEOUT, RECORDS, REPO, TOPIC, http, tool,
                           wait_for)

DASHBOARD = REPO / "configs/grafana/dashboards/corelog.json"
DATASOURCES = REPO / "configs/grafana/provisioning/datasources/prometheus.yml"
ROWS = ["Sync lag", "Checkpoint lag", "Kafka traffic and errors", "Consumer lag"]
# What Grafana would put in for its built-in variables at a 15-minute range;
# the rate window covers the whole workload however slow the machine is.
BUILTINS = {"__rate_interval": "1m", "__interval": "5s", "__interval_ms": "5000",
            "__range": "15m", "__range_s": "900", "__range_ms": "900000"}
ISSUE_METRICS = {
    "corelog_wal_written_bytes_total": "counter",
    "corelog_wal_synced_bytes_total": "counter",
    "corelog_wal_sync_lag_bytes": "gauge",
    "corelog_wal_fsync_duration_seconds": "histogram",
    "corelog_wal_group_commit_bytes": "histogram",
    "corelog_wal_segments": "gauge",
    "corelog_wal_disk_bytes": "gauge",
    "corelog_checkpoint_epoch": "gauge",
    "corelog_checkpoint_duration_seconds": "histogram",
    "corelog_checkpoint_last_success_timestamp_seconds": "gauge",
    "corelog_checkpoint_lag_bytes": "gauge",
    "corelog_checkpoint_failures_total": "counter",
    "corelog_kafka_requests_total": "counter",
    "corelog_kafka_request_errors_total": "counter",
    "corelog_kafka_request_duration_seconds": "histogram",
    "corelog_produced_records_total": "counter",
    "corelog_produced_bytes_total": "counter",
    "corelog_fetched_records_total": "counter",
    "corelog_fetched_bytes_total": "counter",
    "corelog_connections": "gauge",
    "corelog_partition_high_watermark": "gauge",
    "corelog_consumer_group_lag": "gauge",
    "process_cpu_seconds_total": "counter",
    "process_resident_memory_bytes": "gauge",
}
CONSUMER_LAG = "corelog_consumer_group_lag"


def dashboard():
    return json.loads(DASHBOARD.read_text())


def all_panels(d):
    for p in d["panels"]:
        yield p
        yield from p.get("panels", [])


def substitute(expr, d):
    values = dict(BUILTINS)
    for var in d.get("templating", {}).get("list", []):
        values[var["name"]] = var.get("allValue") or ".*"

    def one(m):
        name = m.group(1) or m.group(2) or m.group(3)
        assert name in values, f"unknown Grafana variable ${name} in {expr!r}"
        return values[name]

    out = re.sub(r"\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)", one, expr)
    assert "$" not in out, out
    return out


def dashboard_queries():
    """(panel title, PromQL) of every target, variables substituted."""
    d = dashboard()
    return [(p["title"], substitute(t["expr"], d))
            for p in all_panels(d) for t in p.get("targets", []) if t.get("expr")]


def variable_queries():
    """label_values(metric, label) of the template variables, as PromQL."""
    out = []
    for var in dashboard().get("templating", {}).get("list", []):
        q = var.get("query")
        q = q.get("query") if isinstance(q, dict) else q
        m = re.fullmatch(r"label_values\((\w+),\s*(\w+)\)", q or "")
        assert m, f"variable {var['name']}: unsupported query {q!r}"
        out.append((f"${var['name']}", f"count by ({m[2]}) ({m[1]})"))
    return out


def parse_types(text):
    return dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))


# ---- endpoints ----

def test_health_and_readiness_endpoints(stack):
    base = f"http://{stack.metrics}"
    assert http("GET", f"{base}/healthz")[0] == 200
    assert http("GET", f"{base}/readyz")[0] == 200
    assert http("GET", f"{base}/no-such-path")[0] == 404
    assert http("POST", f"{base}/metrics", data=b"x")[0] == 405


def test_scrape_passes_promtool_lint(stack):
    res = subprocess.run([tool("promtool"), "check", "metrics"], input=stack.scrape().encode(),
                         capture_output=True, timeout=30)
    assert res.returncode == 0, res.stdout.decode() + res.stderr.decode()
    assert not res.stdout.strip(), f"lint problems:\n{res.stdout.decode()}"


def test_scrape_has_every_issue_metric_with_its_type(stack):
    types = parse_types(stack.scrape())
    missing = {n: t for n, t in ISSUE_METRICS.items() if types.get(n) != t}
    assert not missing, f"absent or mistyped: {missing}"


# ---- series in Prometheus move with the workload ----

def test_wal_series_move(stack):
    p = stack.prometheus
    wait_for("WAL written bytes to grow in Prometheus",
             lambda: (p.value("sum(corelog_wal_written_bytes_total)") or 0)
             > stack.before["written"] + RECORDS * 100)
    wait_for("WAL synced bytes to catch up with written bytes",
             lambda: p.query("sum(corelog_wal_synced_bytes_total) > 0 and "
                             "sum(corelog_wal_synced_bytes_total) >= "
                             "sum(corelog_wal_written_bytes_total)"))
    wait_for("fsyncs to be observed",
             lambda: (p.value("sum(corelog_wal_fsync_duration_seconds_count)") or 0) > 0)
    wait_for("group-commit writes to be observed",
             lambda: (p.value("sum(corelog_wal_write_duration_seconds_count)") or 0) > 0)
    wait_for("group commits to be observed",
             lambda: (p.value("sum(corelog_wal_group_commit_bytes_sum)") or 0) > 0)
    assert p.query("corelog_wal_sync_lag_bytes"), "no sync lag series"
    assert p.query("corelog_wal_segments"), "no segment gauge"


def test_checkpoint_series_exist_and_move(stack):
    p = stack.prometheus
    for name in ("corelog_checkpoint_epoch", "corelog_checkpoint_lag_bytes",
                 "corelog_checkpoint_failures_total",
                 "corelog_checkpoint_last_success_timestamp_seconds",
                 "corelog_checkpoint_duration_seconds_count"):
        assert p.query(name), f"no {name} series"
    # The checkpoint thread cuts an epoch every second (checkpoint.interval.ms).
    wait_for("the checkpoint epoch to advance",
             lambda: p.query("changes(corelog_checkpoint_epoch[5m]) > 0"))
    wait_for("checkpoint durations to be observed",
             lambda: (p.value("corelog_checkpoint_duration_seconds_count") or 0) > 0)
    wait_for("a recent successful checkpoint",
             lambda: p.query("time() - corelog_checkpoint_last_success_timestamp_seconds < 30"))
    # The lag itself may read 0 at every scrape: a checkpoint a second covers
    # a short workload between two scrapes. It must stay a sane byte count.
    assert p.query("corelog_checkpoint_lag_bytes >= 0"), "no checkpoint lag series"
    assert p.value("sum(corelog_checkpoint_failures_total)") == 0


def test_kafka_series_move(stack):
    p = stack.prometheus
    for api in ("Produce", "Fetch", "Metadata"):
        wait_for(f"{api} requests to be counted",
                 lambda api=api: (p.value(f'sum(corelog_kafka_requests_total{{api="{api}"}})')
                                  or 0) > 0)
    wait_for(f"{RECORDS} produced records on {TOPIC}",
             lambda: (p.value(f'corelog_produced_records_total{{topic="{TOPIC}"}}') or 0)
             >= RECORDS)
    wait_for(f"{RECORDS} fetched records on {TOPIC}",
             lambda: (p.value(f'corelog_fetched_records_total{{topic="{TOPIC}"}}') or 0)
             >= RECORDS)
    wait_for("the out-of-range fetch to count as an error",
             lambda: p.query("corelog_kafka_request_errors_total"))
    wait_for("the partition high watermark to reach the records produced",
             lambda: (p.value(f'sum(corelog_partition_high_watermark{{topic="{TOPIC}"}})')
                      or 0) >= RECORDS)


# ---- the dashboard ----

def test_consumer_group_lag_is_high_watermark_minus_commit(stack):
    series = f'{CONSUMER_LAG}{{group="{GROUP}",topic="{TOPIC}",partition="0"}}'
    wait_for(f"{series} == {GROUP_LAG}",
             lambda: stack.prometheus.value(series) == GROUP_LAG)


def test_every_dashboard_query_returns_data(stack):
    p = stack.prometheus
    queries = dashboard_queries() + variable_queries()
    assert len(queries) >= 20, queries
    for title, expr in queries:
        p.query(expr)  # valid PromQL, or fail at once
    pending = list(queries)

    def has_number(expr):
        # NaN (a quantile of no observations, 0/0) is not data on a graph.
        return any(math.isfinite(float(r["value"][1])) for r in p.query(expr))

    def all_have_data():
        pending[:] = [(t, q) for t, q in pending if not has_number(q)]
        return not pending

    wait_for(f"every dashboard query to return a number (still without: {pending})",
             all_have_data, timeout=POLL_TIMEOUT, interval=0.5)


def test_dashboard_rows_and_datasource():
    d = dashboard()
    rows = [p["title"] for p in d["panels"] if p["type"] == "row"]
    assert rows == ROWS
    uid = yaml.safe_load(DATASOURCES.read_text())["datasources"][0]["uid"]
    for p in all_panels(d):
        if p["type"] == "row":
            continue
        assert p["datasource"]["uid"] == uid, p["title"]
        assert p["targets"], p["title"]
    ids = [p["id"] for p in all_panels(d)]
    assert len(ids) == len(set(ids)), "duplicate panel ids"


# ---- the compose stack ----

def test_docker_compose_config_is_valid():
    docker_compose = shutil.which("docker-compose")
    if not docker_compose:
        pytest.fail("docker-compose not found: run scripts/install-deps.sh")
    res = subprocess.run([docker_compose, "config", "-q"], cwd=REPO, capture_output=True,
                         timeout=60)
    assert res.returncode == 0, res.stderr.decode()
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    for service in compose["services"].values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (REPO / source).exists(), f"{source} is mounted but missing"


def test_prometheus_config_is_valid():
    res = subprocess.run([tool("promtool"), "check", "config",
                          str(REPO / "configs/prometheus.yml")],
                         capture_output=True, timeout=30)
    assert res.returncode == 0, res.stdout.decode() + res.stderr.decode()
    config = yaml.safe_load((REPO / "configs/prometheus.yml").read_text())
    targets = [t for job in config["scrape_configs"] for sc in job["static_configs"]
               for t in sc["targets"]]
    assert "corelog:9644" in targets
    jobs = [job["job_name"] for job in config["scrape_configs"]]
    assert "corelog" in jobs, "the dashboard selects job=\"corelog\""
