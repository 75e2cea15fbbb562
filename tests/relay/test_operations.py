"""Security and operations (issue 5) over real HTTP against a running relay: the ADMS address
allowlist (§8), health with per-device backlog, Prometheus metrics, structured JSON logs."""

from __future__ import annotations

import json

import pytest
from prometheus_client.parser import text_string_to_metric_families
from relay_harness import Relay

from zk_relay.config import DEFAULT_ADMS_ALLOW, load_config

pytestmark = pytest.mark.slow


def punches(n: int, start: int = 0) -> bytes:
    return b"".join(f"{i}\t2024-08-05 08:{i // 60:02d}:{i % 60:02d}\t0\t1\t0\t0\t0\n".encode()
                    for i in range(start, start + n))


def metrics(relay: Relay) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    reply = relay.api("GET", "/metrics", auth=False)
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("text/plain")
    out: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(reply.text):
        for sample in family.samples:
            out.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return out


def log_events(relay: Relay) -> list[dict]:
    events = []
    for line in relay.log().splitlines():
        if line.startswith("{"):
            events.append(json.loads(line))
        else:  # the only non-JSON line is the start-up banner on stdout
            assert line.startswith("zk-relay ") and "listening on" in line, line
    return events


# ----------------------------------------------------------------------------- allowlist (§8)


def test_issue5_s8_default_allowlist_is_private_and_loopback() -> None:
    config = load_config(env={})
    assert config.adms_allow == DEFAULT_ADMS_ALLOW
    for cidr in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "::1/128",
                 "fc00::/7"):
        assert cidr in config.adms_allow


def test_issue5_s8_address_outside_allowlist_refused_never_ok_and_logged(relay_factory
                                                                         ) -> None:
    relay = relay_factory(ZK_RELAY_ADMS_ALLOW="10.0.0.0/8, 192.168.1.0/24")
    relay.cli("device", "add", "ALLOW01", "--tz", "Asia/Manila")
    relay.start()
    replies = [relay.handshake("ALLOW01"), relay.attlog("ALLOW01", punches(3)),
               relay.get("/iclock/getrequest?SN=ALLOW01"),
               relay.post("/iclock/devicecmd?SN=ALLOW01", b"ID=1&Return=0&CMD=INFO"),
               relay.get("/iclock/ping?SN=ALLOW01"), relay.handshake("NOTKNOWN1")]
    for reply in replies:
        assert reply.status == 403
        assert b"OK" not in reply.body and not reply.acknowledged
        assert reply.headers["content-type"].startswith("text/plain")
    assert relay.events("ALLOW01") == []
    conn = relay.db()
    assert conn.execute("SELECT count(*) FROM pending").fetchone()[0] == 0
    conn.close()
    refusals = [e for e in log_events(relay) if "adms_allow" in e["msg"]]
    assert len(refusals) == len(replies)
    assert all(e["addr"] == "127.0.0.1" and e["level"] == "warning" for e in refusals)
    assert {e.get("serial") for e in refusals} == {"ALLOW01", "NOTKNOWN1"}
    # the pull API is not an ADMS endpoint: the token protects it, wherever Odoo runs
    assert relay.api("GET", "/api/v1/events").status == 200
    assert metrics(relay)["zk_relay_adms_refused_total"][(("reason", "address"),)] == 6


def test_issue5_s8_allowlist_admits_the_listed_network(relay_factory) -> None:
    relay = relay_factory(ZK_RELAY_ADMS_ALLOW="10.0.0.0/8 127.0.0.1/32")
    relay.cli("device", "add", "ALLOW02", "--tz", "Asia/Manila")
    relay.start()
    assert relay.attlog("ALLOW02", punches(2)).text == "OK: 2"


def test_issue5_s8_bad_allowlist_stops_the_relay_with_a_message(relay_factory) -> None:
    relay = relay_factory(ZK_RELAY_ADMS_ALLOW="10.0.0.0/8,not-a-net")
    result = relay.cli("serve", "--port", "0", check=False)
    assert result.returncode == 2
    assert "adms_allow" in result.stderr and "not-a-net" in result.stderr


# ----------------------------------------------------------------------------- health


def test_issue5_health_per_device_backlog(relay: Relay) -> None:
    relay.add_device("OPS0001")
    relay.add_device("OPS0002")
    assert relay.attlog("OPS0001", punches(4)).text == "OK: 4"
    assert relay.attlog("OPS0002", punches(6)).text == "OK: 6"
    health = relay.api("GET", "/health", auth=False).json()
    by_serial = {d["serial"]: d for d in health["devices"]}
    assert by_serial["OPS0001"]["events_waiting_for_ack"] == 4
    assert by_serial["OPS0002"]["events_waiting_for_ack"] == 6
    assert by_serial["OPS0001"]["mode"] == "push"
    assert health["events_waiting_for_ack"] == sum(
        d["events_waiting_for_ack"] for d in health["devices"])
    assert "clock_synchronised" in health
    assert health["clock_synchronised"] in (True, False, None)
    # acknowledge everything up to OPS0001's last event: only OPS0002's remain
    page = relay.api("GET", "/api/v1/events?limit=5000").json()
    last_1 = max(e["id"] for e in page["events"] if e["serial"] == "OPS0001")
    relay.api("POST", "/api/v1/events/ack", {"store_id": page["store_id"], "up_to": last_1})
    health = relay.api("GET", "/health", auth=False).json()
    by_serial = {d["serial"]: d for d in health["devices"]}
    assert by_serial["OPS0001"]["events_waiting_for_ack"] == 0
    assert by_serial["OPS0002"]["events_waiting_for_ack"] == 6


# ----------------------------------------------------------------------------- metrics


def test_issue5_metrics_prometheus_text_format(relay: Relay) -> None:
    relay.add_device("MET0001")
    assert relay.attlog("MET0001", punches(5)).text == "OK: 5"
    assert relay.attlog("MET0001", punches(5)).text == "OK: 5"  # 5 duplicates
    assert relay.attlog("MET0001", b"7\tnot a time\t0\t1\n").acknowledged  # quarantined
    relay.get("/iclock/getrequest?SN=MET0001")
    m = metrics(relay)
    serial = (("serial", "MET0001"),)
    assert m["zk_relay_events_stored_total"][serial] == 5
    assert m["zk_relay_events_duplicate_total"][serial] == 5
    assert m["zk_relay_quarantined_total"][serial] == 1
    assert m["zk_relay_device_events_waiting_for_ack"][serial] == 5
    assert m["zk_relay_events_waiting_for_ack"][()] >= 5
    assert m["zk_relay_http_requests_total"][(("route", "iclock_cdata"), ("status", "200"))] >= 3
    assert m["zk_relay_http_requests_total"][(("route", "iclock_getrequest"),
                                              ("status", "200"))] >= 1
    assert m["zk_relay_commit_batch_size_count"][()] >= 3
    assert m["zk_relay_commit_batch_size_sum"][()] >= 3
    assert m["zk_relay_commit_seconds_count"][()] >= 3
    assert m["zk_relay_commit_seconds_bucket"][(("le", "+Inf"),)] == \
        m["zk_relay_commit_seconds_count"][()]
    assert m["zk_relay_http_request_duration_seconds_count"][(("route", "iclock_cdata"),)] >= 3
    assert m["zk_relay_commands"][(("state", "queued"),)] >= 0
    # no serials or ids leak into the request-route label (bounded cardinality)
    routes = {dict(k)["route"] for k in m["zk_relay_http_requests_total"]}
    assert all("MET0001" not in r for r in routes)


def test_issue5_metrics_need_no_token_and_ignore_bad_one(relay: Relay) -> None:
    assert relay.api("GET", "/metrics", auth=False).status == 200
    assert relay.api("GET", "/metrics", token="wrong").status == 200


# ----------------------------------------------------------------------------- logs


def test_issue5_json_logs_one_event_per_line_with_serial_and_request_id(relay: Relay) -> None:
    relay.add_device("LOG0001")
    reply = relay.attlog("LOG0001", punches(2))
    rid = reply.headers["x-request-id"]
    assert len(rid) >= 8
    relay.attlog("LOG0001", b"x\tbad time\n")  # a warning (quarantine) inside a request
    mine = relay.api("GET", "/api/v1/devices", headers=["X-Request-Id: odoo-pull-42"])
    assert mine.headers["x-request-id"] == "odoo-pull-42"
    hostile = relay.api("GET", "/api/v1/devices", headers=["X-Request-Id: a b\"c"])
    assert hostile.headers["x-request-id"] != 'a b"c'
    events = log_events(relay)
    assert events, "no JSON log lines"
    for event in events:
        assert {"ts", "level", "logger", "msg"} <= set(event)
    access = [e for e in events if e.get("request_id") == rid]
    assert access and all(e["serial"] == "LOG0001" for e in access)
    line = next(e for e in access if e["logger"] == "zk_relay.access")
    assert line["status"] == 200 and line["method"] == "POST"
    assert line["path"] == "/iclock/cdata" and "table=ATTLOG" in line["query"]
    assert isinstance(line["duration_ms"], float)
    warned = [e for e in events if e["level"] == "warning" and e.get("serial") == "LOG0001"
              and "quarantined" in e["msg"]]
    assert warned and warned[0]["request_id"] != rid
    assert any(e.get("request_id") == "odoo-pull-42" for e in events)
