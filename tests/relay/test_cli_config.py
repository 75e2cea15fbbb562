"""Command line and configuration: registry, listings, status, validation at start."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from relay_harness import RELAY_BIN, Relay, make_relay

from zk_relay.config import ConfigError, load_config

pytestmark = pytest.mark.slow


def test_config_defaults_file_env_and_flags(tmp_path: Path) -> None:
    cfg = load_config(env={})
    assert (cfg.host, cfg.port, cfg.data_dir) == ("0.0.0.0", 8080, "./data")  # noqa: S104
    assert str(cfg.db_path) == "data/relay.sqlite3"
    file = tmp_path / "relay.toml"
    file.write_text('[server]\nport = 9000\n[store]\ndata_dir = "/srv/zk"\nretention_days = 30\n'
                    '[adms]\ndelay = 20\n')
    cfg = load_config(file, env={"ZK_RELAY_PORT": "9100"}, overrides={"host": "127.0.0.1"})
    assert (cfg.port, cfg.data_dir, cfg.retention_days, cfg.delay, cfg.host) == (
        9100, "/srv/zk", 30, 20, "127.0.0.1")
    cfg = load_config(env={"ZK_RELAY_CONFIG": str(file), "ZK_RELAY_DATA_DIR": "/x"})
    assert cfg.port == 9000 and cfg.data_dir == "/x"


@pytest.mark.parametrize(("text", "env", "message"), [
    ("[server]\nport = 70000\n", {}, "port: must be between 0 and 65535"),
    ("[server]\nprot = 1\n", {}, "unknown key 'prot'"),
    ("[nope]\nx = 1\n", {}, "unknown section [nope]"),
    ("[server\n", {}, "not valid TOML"),
    ("", {"ZK_RELAY_PORT": "eighty"}, "port: must be an integer, got 'eighty' "
                                      "(from environment ZK_RELAY_PORT)"),
    ("", {"ZK_RELAY_REALTIME": "maybe"}, "realtime: must be true or false"),
    ("[adms]\ntrans_times = \"25:00\"\n", {}, "trans_times"),
])
def test_config_errors_are_clear(tmp_path: Path, text: str, env: dict[str, str],
                                 message: str) -> None:
    file = tmp_path / "relay.toml"
    file.write_text(text)
    with pytest.raises(ConfigError) as error:
        load_config(file, env=env)
    assert message in str(error.value)


def test_serve_refuses_a_bad_configuration(tmp_path: Path) -> None:
    relay = make_relay(tmp_path, ZK_RELAY_THREADS="0")
    result = subprocess.run([str(RELAY_BIN), "--data-dir", str(relay.data_dir), "serve"],
                            capture_output=True, text=True, env=relay.env, timeout=60)
    assert result.returncode == 2
    assert "configuration error: threads: must be between 1 and 512" in result.stderr
    missing = subprocess.run([str(RELAY_BIN), "--config", str(tmp_path / "none.toml"), "serve"],
                             capture_output=True, text=True, env=relay.env, timeout=60)
    assert missing.returncode == 2 and "configuration file not found" in missing.stderr


def test_cli_device_registry(tmp_path: Path) -> None:
    relay = make_relay(tmp_path)
    assert "registered ABC123 (Asia/Manila) Front" in relay.cli(
        "device", "add", "ABC123", "--tz", "Asia/Manila", "--name", "Front").stdout
    bad = relay.cli("device", "add", "XYZ", "--tz", "Mars/Base", check=False)
    assert bad.returncode == 1 and "unknown IANA time zone 'Mars/Base'" in bad.stderr
    again = relay.cli("device", "add", "ABC123", "--tz", "UTC", check=False)
    assert again.returncode == 1 and "already registered" in again.stderr
    relay.cli("device", "update", "ABC123", "--tz", "Asia/Kolkata")
    rows = [json.loads(x) for x in relay.cli("device", "list", "--json").stdout.splitlines()]
    assert [(r["serial"], r["timezone"], r["name"]) for r in rows] == [
        ("ABC123", "Asia/Kolkata", "Front")]
    table = relay.cli("device", "list").stdout
    assert table.splitlines()[0].split() == ["SERIAL", "NAME", "TIMEZONE", "ENABLED",
                                             "LAST_SEEN", "ADDRESS"]
    relay.cli("device", "remove", "ABC123")
    assert relay.cli("device", "list").stdout.strip() == "(none)"
    assert relay.cli("device", "remove", "ABC123", check=False).returncode == 1


def test_cli_events_quarantine_status(relay_factory) -> None:
    relay: Relay = relay_factory()
    relay.cli("device", "add", "CLI0001", "--tz", "Asia/Manila")
    relay.cli("device", "add", "CLI0002", "--tz", "UTC")
    relay.start()
    relay.attlog("CLI0001", b"1\t2024-08-05 08:00:00\t0\t1\t0\t0\t0\n"
                            b"2\t2024-08-06 09:00:00\t1\t1\t0\t0\t0\nbroken\n", stamp="12345")
    relay.attlog("CLI0002", b"3\t2024-08-05 10:00:00\t0\t1\n")
    rows = [json.loads(x) for x in relay.cli("events", "--json").stdout.splitlines()]
    assert [(r["serial"], r["pin"]) for r in rows] == [("CLI0001", "1"), ("CLI0001", "2"),
                                                       ("CLI0002", "3")]
    only = [json.loads(x) for x in relay.cli("events", "--serial", "CLI0001", "--since",
                                             "2024-08-06", "--json").stdout.splitlines()]
    assert [r["pin"] for r in only] == ["2"]
    until = [json.loads(x) for x in relay.cli("events", "--until", "2024-08-05",
                                              "--json").stdout.splitlines()]
    assert [r["pin"] for r in until] == ["1", "3"]
    table = relay.cli("events", "--serial", "CLI0002").stdout
    assert "2024-08-05 10:00:00" in table and "UTC" in table
    assert relay.cli("events", "--since", "yesterday", check=False).returncode == 1
    quarantine = relay.cli("quarantine").stdout
    assert "too few fields" in quarantine and "broken" in quarantine
    status = json.loads(relay.cli("status", "--json").stdout)
    assert status["store"]["events"] == 3 and status["store"]["quarantine"] == 1
    dev = {d["serial"]: d for d in status["devices"]}["CLI0001"]
    assert dev["events"] == 2 and dev["quarantined"] == 1 and dev["attlog_stamp"] == "12345"
    assert dev["last_seen"]
    text = relay.cli("status").stdout
    assert "waiting_for_ack: 3" in text and "CLI0001" in text
