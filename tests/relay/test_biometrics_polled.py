"""Biometric commands for polled terminals (issue 19): a real ``zk-relay serve`` polls a
``zk_sim.TcpTerminal`` with pyzk and carries out user_upsert, template_upsert, template_delete
and user_erase with pyzk's own calls; results, audit and erasure as for push terminals."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import Any

import pytest
from relay_harness import Relay

from zk_sim import TcpTerminal, TerminalUser

pytestmark = pytest.mark.slow

KEY = base64.urlsafe_b64encode(bytes(range(2, 34))).decode()
SERIAL = "POLLBIO1"


def wait_for(condition: Callable[[], Any], what: str, deadline: float = 30.0) -> Any:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def closed(relay: Relay, cid: int) -> dict[str, Any] | None:
    command = relay.api("GET", f"/api/v1/commands/{cid}").json()["command"]
    return command if command["state"] in ("done", "failed") else None


def test_issue19_polled_terminal_takes_fingerprints_and_erasure_through_pyzk(
        relay_factory: Callable[..., Relay]) -> None:
    terminal = TcpTerminal([TerminalUser(uid=1, pin="0001", name="Boss", privilege=14)],
                           password=77).start()
    try:
        relay = relay_factory(ZK_RELAY_BIOMETRIC_KEY=KEY, ZK_RELAY_POLL_INTERVAL_SECONDS="0.3")
        relay.cli("device", "list")
        relay.start()
        assert relay.api("PUT", f"/api/v1/devices/{SERIAL}", {
            "timezone": "Asia/Manila", "address": "127.0.0.1", "port": terminal.port,
            "password": 77}).status == 201
        token = relay.cli("token", "create", "bio", "--scope", "biometric").stdout.strip()

        def queue(payload: dict[str, Any], tok: str | None = None) -> int:
            reply = relay.api("POST", f"/api/v1/devices/{SERIAL}/commands", payload, token=tok)
            assert reply.status == 201, reply.text
            return int(reply.json()["command"]["id"])

        template = bytes(range(256)) * 3
        data = base64.b64encode(template).decode()
        ids = [queue({"kind": "user_upsert", "pin": "7001", "name": "Ana"}),
               queue({"kind": "template_upsert", "params": {
                   "pin": "7001", "kind": "fingerprint", "index": 4, "algorithm": "finger:10",
                   "data": data}}, token),
               queue({"kind": "template_upsert", "params": {
                   "pin": "7001", "kind": "face", "index": 0, "algorithm": "face:7",
                   "data": data}}, token),
               queue({"kind": "template_upsert", "params": {
                   "pin": "4040", "kind": "fingerprint", "index": 0, "algorithm": "finger:10",
                   "data": data}}, token)]
        results = [wait_for(lambda cid=cid: closed(relay, cid), f"command {cid}") for cid in ids]
        assert [(r["state"], r["return_code"]) for r in results] == [
            ("done", 0), ("done", 0), ("failed", -1002), ("failed", -10)]
        assert terminal.templates == {("7001", 4): template}
        assert any(u.pin == "7001" for u in terminal.users)
        assert data not in relay.log()

        erase = queue({"kind": "user_erase", "pin": "7001"}, token)
        done = wait_for(lambda: closed(relay, erase), "the erasure")
        assert (done["state"], done["return_code"]) == ("done", 0)
        assert terminal.templates == {} and all(u.pin != "7001" for u in terminal.users)
        again = queue({"kind": "user_erase", "pin": "7001"}, token)
        second = wait_for(lambda: closed(relay, again), "the second erasure")
        assert (second["state"], second["return_code"]) == ("done", -10)
        audit = relay.api("GET", "/api/v1/biometric/audit?limit=1000", token=token).json()
        actions = [(r["action"], r["pin"]) for r in audit["audit"] if r["serial"] == SERIAL]
        assert ("sent", "7001") in actions and ("erased", "7001") in actions
        assert ("failed", "4040") in actions
    finally:
        terminal.stop()
