"""adms-protocol §8: unknown serials are bounded, over real HTTP.

300 made-up serials from one allowed address used to make 300 pending rows. Now the pending
list is capped (``pending_max``: the least recently seen serial is dropped and counted) and
knocks of unknown serials are limited per source address (``knocks_per_minute``: the rest are
refused without being stored, and counted). Every refusal is still ``403 UNKNOWN DEVICE``,
never OK; registered terminals from the same address are not limited.
"""

from __future__ import annotations

import json

import pytest
from relay_harness import Relay

from zk_relay.adms_guards import KnockLimiter

pytestmark = pytest.mark.slow


def test_s8_pending_capped_and_knocks_rate_limited(relay_factory) -> None:
    relay: Relay = relay_factory(ZK_RELAY_PENDING_MAX="5", ZK_RELAY_KNOCKS_PER_MINUTE="8")
    relay.add_device("KNOWN01")
    relay.start()
    replies = [relay.handshake(f"FAKE{i:04d}") for i in range(300)]
    assert all(r.status == 403 and r.text == "UNKNOWN DEVICE" for r in replies)
    pending = [json.loads(line) for line in relay.cli("pending", "--json").stdout.splitlines()]
    # 8 knocks recorded in this minute, the list kept at 5: the 5 most recent serials
    assert [p["serial"] for p in pending] == [f"FAKE{i:04d}" for i in range(3, 8)]

    health = relay.api("GET", "/health", auth=False).json()
    assert health["pending"] == 5 and health["pending_dropped"] == 3
    assert health["knocks_refused"] == 292
    metrics = relay.api("GET", "/metrics", auth=False).text
    assert 'zk_relay_adms_refused_total{reason="knock_rate"} 292.0' in metrics
    assert "zk_relay_pending_dropped_total 3.0" in metrics
    status = json.loads(relay.cli("status", "--json").stdout)["store"]
    assert status["pending"] == 5 and status["pending_dropped"] == 3

    # a registered terminal from the same address is served as always
    assert relay.attlog("KNOWN01", b"1\t2024-08-05 08:00:00\t0\t1\n").acknowledged
    # approving a pending serial still works
    relay.add_device("FAKE0007")
    assert relay.handshake("FAKE0007").status == 200


def test_s8_knock_window_is_per_address_and_per_minute() -> None:
    now = [0.0]
    limiter = KnockLimiter(3, clock=lambda: now[0])
    assert [limiter.allow("10.0.0.1") for _ in range(5)] == [True, True, True, False, False]
    assert limiter.allow("10.0.0.2")  # another address has its own window
    now[0] = 59.9
    assert not limiter.allow("10.0.0.1")
    now[0] = 60.0
    assert limiter.allow("10.0.0.1")
    assert limiter.refused == 3


def test_config_values_validated(relay_factory) -> None:
    relay = relay_factory(ZK_RELAY_PENDING_MAX="0")
    result = relay.cli("config", check=False)
    assert result.returncode != 0 and "pending_max" in result.stderr
