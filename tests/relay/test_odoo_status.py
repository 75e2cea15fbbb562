"""Push mode, second channel (issue 17): a relay Odoo cannot reach sends its reconciliation
days, health events and terminal health to the ``status_url`` Odoo gave at enrolment, signed,
with Odoo owning the cursors (tests against the contract peer, the spec of Odoo's side)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from odoo_contract_peer import STATUS_PATH, OdooContractPeer

from zk_relay.config import load_config
from zk_relay.keys import load_or_create
from zk_relay.odoo_enrolment import enrol
from zk_relay.odoo_status import StatusPusher
from zk_relay.store import Store

SERIAL = "STATUS01"


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def peer() -> Iterator[OdooContractPeer]:
    p = OdooContractPeer(mode="push", devices=[{"serial": SERIAL, "timezone": "Asia/Manila",
                                                "name": "Door", "enabled": True}]).start()
    yield p
    p.stop()


@pytest.fixture
def rig(tmp_path: Path, peer: OdooContractPeer) -> Iterator[tuple[Store, StatusPusher, Clock]]:
    config = load_config(env={}, overrides={"data_dir": str(tmp_path), "push_page_size": 2,
                                            "health_interval_seconds": 60,
                                            "push_backoff_base_seconds": 1,
                                            "push_backoff_cap_seconds": 8})
    store = Store(config.db_path)
    key = load_or_create(tmp_path)
    enrol(store, config, key, odoo_url=peer.url, code=peer.new_code())
    clock = Clock()
    yield store, StatusPusher(store, config, key, clock=clock), clock
    store.close()


def test_days_events_and_health_reach_odoo_once_in_signed_pages(rig, peer):
    store, pusher, clock = rig
    link = store.odoo_link()
    assert link["status_url"] == peer.url + STATUS_PATH  # relative in the answer: resolved
    store.ensure_days(SERIAL, ["2025-03-03", "2025-03-04", "2025-03-05"])
    store.add_health_event(SERIAL, "log_cleared", "operation log: code 23 by operator 0")
    store.save_health({SERIAL: {"serial": SERIAL, "clock_drift_seconds": 4.0}})

    assert pusher.tick() == 0.0  # more rows wait: the next page at once
    assert pusher.tick() == 60
    assert len(peer.status_pages) == 2  # page size 2: three days in two pages
    assert set(peer.recon_days) == {(SERIAL, d) for d in ("2025-03-03", "2025-03-04",
                                                          "2025-03-05")}
    assert [e["kind"] for e in peer.health_events.values()] == ["log_cleared"]
    assert peer.status_pages[-1]["terminals"][0]["clock_drift_seconds"] == 4.0
    assert "pages_refused" in peer.status_pages[-1]["relay"]
    assert pusher.cursors() == (peer.status_cursor["days"], peer.status_cursor["events"])

    clock.t += 60  # nothing new: health still goes, no row twice
    pusher.tick()
    assert peer.status_pages[-1]["days"] == [] and peer.status_pages[-1]["events"] == []


def test_failures_back_off_and_keep_the_cursors(rig, peer):
    store, pusher, clock = rig
    store.ensure_days(SERIAL, ["2025-03-03"])
    peer.status_plan.extend(["status:503", "status:500"])
    assert 0 < pusher.tick() <= 2 and pusher.cursors() == (0, 0)
    clock.t += 2
    assert 0 < pusher.tick() <= 4 and pusher.cursors() == (0, 0)
    clock.t += 4
    pusher.tick()
    assert pusher.cursors()[0] > 0 and (SERIAL, "2025-03-03") in peer.recon_days
    assert pusher.failures == 0


def test_nothing_is_sent_in_pull_mode_or_without_a_status_url(rig, peer):
    store, pusher, _ = rig
    store.set_link_mode(store.odoo_link()["enrolled_at"], "pull")
    store.ensure_days(SERIAL, ["2025-03-03"])
    pusher.tick()
    assert peer.status_pages == []
