"""Push mode, in process: the relay's :class:`Deliverer` against the contract peer over real
HTTP on loopback, with an injected clock and random source (the backoff schedule is computed,
never slept)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from odoo_contract_peer import DELIVERY_PATH, OdooContractPeer

from zk_relay import adms
from zk_relay.config import Config, load_config
from zk_relay.keys import RelayKey, load_or_create
from zk_relay.odoo_delivery import Deliverer
from zk_relay.odoo_enrolment import enrol
from zk_relay.store import Store, link_status
from zk_rules import signing
from zk_rules.backoff import backoff_ceiling

SERIAL = "PUSH0001"


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


class CeilingJitter:
    """uniform(a, b) -> b: every delay is its ceiling; records the bounds asked for."""

    def __init__(self) -> None:
        self.bounds: list[tuple[float, float]] = []

    def uniform(self, a: float, b: float) -> float:
        self.bounds.append((a, b))
        return b


@pytest.fixture
def peer() -> Iterator[OdooContractPeer]:
    p = OdooContractPeer(mode="push", devices=[{"serial": SERIAL, "timezone": "Asia/Manila",
                                                "name": "Door", "enabled": True}]).start()
    yield p
    p.stop()


class Rig:
    def __init__(self, tmp: Path, peer: OdooContractPeer, **overrides: object) -> None:
        self.config: Config = load_config(env={}, overrides={
            "data_dir": str(tmp), "push_page_size": 5, "push_backoff_base_seconds": 1,
            "push_backoff_cap_seconds": 8, "push_interval_seconds": 2, **overrides})
        self.store = Store(self.config.db_path)
        self.key: RelayKey = load_or_create(tmp)
        self.peer = peer
        self.clock = Clock()
        self.jitter = CeilingJitter()
        self.deliverer = Deliverer(self.store, self.config, self.key, clock=self.clock,
                                   rng=self.jitter)  # type: ignore[arg-type]
        self.punched = 0

    def enrol(self) -> None:
        enrol(self.store, self.config, self.key, odoo_url=self.peer.url,
              code=self.peer.new_code())

    def punch(self, n: int) -> None:
        punches = []
        for i in range(self.punched, self.punched + n):
            local = f"2024-08-05 {8 + i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}"
            pin = str(100 + i % 7)
            punches.append(adms.Punch(pin, local, 0, 1, "", f"{pin}\t{local}",
                                      adms.fingerprint(SERIAL, pin, local)))
        self.punched += n
        self.store.store_punches(SERIAL, "Asia/Manila", None, "ATTLOG", punches, [], None,
                                 stamp_column=None)

    def drain(self, limit: int = 100) -> None:
        """Tick (advancing the clock past every wait) until everything is committed."""
        for _ in range(limit):
            wait = self.deliverer.tick()
            link = self.store.odoo_link()
            assert link is not None
            if link["push_cursor"] == self.store.last_event_id() and not self.peer.plan:
                return
            self.clock.t += wait
        raise AssertionError("not drained")

    def attempt(self) -> float:
        """Advance the clock to the next attempt and make it (one request to the peer)."""
        sent = len(self.peer.deliveries)
        for _ in range(10):
            wait = self.deliverer.tick()
            if len(self.peer.deliveries) > sent:
                return wait
            self.clock.t += wait
        raise AssertionError("no attempt made")

    def stored_fingerprints(self) -> set[str]:
        return {e["fingerprint"] for e in self.store.events_page(0, 100_000)[0]}

    def link(self) -> dict:
        link = self.store.odoo_link()
        assert link is not None
        return link


@pytest.fixture
def rig(tmp_path: Path, peer: OdooContractPeer) -> Iterator[Rig]:
    r = Rig(tmp_path, peer)
    r.enrol()
    yield r
    r.store.close()


def test_all_events_delivered_once_in_signed_pages(rig: Rig) -> None:
    rig.punch(23)
    rig.drain()
    assert set(rig.peer.committed) == rig.stored_fingerprints()
    assert rig.peer.duplicates == 0
    assert [d.status for d in rig.peer.deliveries] == [200] * 5  # 5+5+5+5+3
    assert [d.after for d in rig.peer.deliveries] == [0, 5, 10, 15, 20]
    assert all(d.token == rig.peer.relay.odoo_token for d in rig.peer.deliveries)
    assert rig.store.acked_up_to() == 23  # retention acknowledgement follows the commit
    status = link_status(rig.store)
    assert status["unacked_events"] == 0 and status["odoo"]["pushed_events"] == 23
    # caught up: nothing is sent until there is something new
    for _ in range(3):
        rig.clock.t += rig.deliverer.tick()
    assert len(rig.peer.deliveries) == 5


def test_server_errors_back_off_with_full_jitter_per_destination(rig: Rig) -> None:
    rig.punch(3)
    rig.peer.then("status:503", "status:500", "status:429", "drop_before_commit",
                  "status:502", "status:503")
    waits = []
    for failures in range(1, 7):
        wait = rig.deliverer.tick()
        assert len(rig.peer.deliveries) == failures
        waits.append(wait)
        link = rig.link()
        assert link["failures"] == failures and link["push_cursor"] == 0
        assert link["next_attempt_at"] and link["last_error"]
        # not due yet: no request, the remaining wait is returned
        rig.clock.t += wait / 2
        assert rig.deliverer.tick() == pytest.approx(wait / 2)
        assert len(rig.peer.deliveries) == failures
        rig.clock.t += wait / 2
    # delay n = uniform(0, min(cap, base * 2**n)): base 1, cap 8
    assert rig.jitter.bounds == [(0.0, backoff_ceiling(n, 1, 8)) for n in range(1, 7)]
    assert waits == [2, 4, 8, 8, 8, 8]
    dest = link_status(rig.store)["destinations"][0]
    assert dest["consecutive_failures"] == 6 and dest["next_attempt_at"]
    rig.deliverer.tick()  # the 7th attempt succeeds
    assert rig.link()["failures"] == 0 and rig.link()["push_cursor"] == 3
    assert link_status(rig.store)["destinations"][0]["next_attempt_at"] is None
    assert set(rig.peer.committed) == rig.stored_fingerprints()


def test_connection_error_is_reported_and_retried(rig: Rig) -> None:
    rig.punch(2)
    rig.peer.then("drop_before_commit")
    rig.deliverer.tick()
    assert "connection closed before an answer" in rig.link()["last_error"]
    rig.drain()
    assert set(rig.peer.committed) == rig.stored_fingerprints()


def test_link_cut_after_commit_is_resent_and_deduplicated(rig: Rig) -> None:
    rig.punch(12)
    rig.peer.then("ok", "drop_after_commit", "drop_after_commit")
    rig.drain()
    assert set(rig.peer.committed) == rig.stored_fingerprints()
    assert len(rig.peer.committed) == 12
    assert rig.peer.duplicates == 10  # the second page, sent three times
    assert [d.after for d in rig.peer.deliveries] == [0, 5, 5, 5, 10]


def test_unauthorised_marks_the_link_revoked_and_stops_pushing(rig: Rig) -> None:
    rig.punch(4)
    rig.drain()
    rig.peer.revoke()
    rig.punch(4)
    rig.attempt()
    link = rig.link()
    assert link["state"] == "revoked" and "HTTP 401" in link["state_reason"]
    sent = len(rig.peer.deliveries)
    for _ in range(20):  # however long we wait, no more pushes
        rig.clock.t += 10_000
        rig.deliverer.tick()
    assert len(rig.peer.deliveries) == sent
    assert link_status(rig.store)["odoo"]["state"] == "revoked"
    assert link_status(rig.store)["unacked_events"] == 4
    # a new enrolment (new code) brings the link back
    rig.enrol()
    assert rig.link()["state"] == "active"
    rig.drain()
    assert set(rig.peer.committed) == rig.stored_fingerprints()


def test_forbidden_is_a_revocation_too(rig: Rig) -> None:
    rig.punch(1)
    rig.peer.then("status:403")
    rig.deliverer.tick()
    assert rig.link()["state"] == "revoked"


def test_rotated_token_is_used_from_the_next_request(rig: Rig) -> None:
    rig.punch(7)
    rig.peer.then("rotate:rotated-token-1")
    rig.deliverer.tick()
    assert rig.link()["odoo_token"] == "rotated-token-1"
    rig.deliverer.tick()
    tokens = [d.token for d in rig.peer.deliveries]
    assert tokens[1] == "rotated-token-1" != tokens[0]
    assert [d.status for d in rig.peer.deliveries] == [200, 200]
    assert set(rig.peer.committed) == rig.stored_fingerprints()


def test_cursor_moves_only_to_what_odoo_committed(rig: Rig) -> None:
    rig.punch(5)
    rig.peer.then("partial:2")
    rig.deliverer.tick()
    assert rig.link()["push_cursor"] == 2 and rig.store.acked_up_to() == 2
    rig.deliverer.tick()
    assert rig.peer.deliveries[-1].after == 2
    assert rig.link()["push_cursor"] == 5


def test_a_200_that_commits_nothing_backs_off(rig: Rig) -> None:
    rig.punch(3)
    rig.peer.then("partial:0")
    wait = rig.deliverer.tick()
    assert wait == 2 and rig.link()["failures"] == 1
    assert "committed nothing" in rig.link()["last_error"]
    rig.drain()
    assert rig.link()["push_cursor"] == 3


def test_odoo_behind_the_relay_makes_it_send_again(rig: Rig) -> None:
    """Odoo owns the cursor: restored from a backup, it answers its own cursor and the relay
    goes back there (duplicates are ignored by fingerprint)."""
    rig.punch(10)
    rig.drain()
    with rig.peer.lock:  # Odoo restored from an old backup: it knows nothing
        rig.peer.committed.clear()
        rig.peer.cursor = 0
    rig.punch(3)
    rig.drain()
    assert set(rig.peer.committed) == rig.stored_fingerprints()
    assert rig.store.acked_up_to() == 13  # never moved backwards


def test_store_mismatch_restarts_from_the_beginning_of_this_store(rig: Rig) -> None:
    rig.punch(6)
    rig.drain()
    with rig.peer.lock:  # Odoo knows the relay under an older store
        rig.peer.store_id = "an-older-store"
        rig.peer.committed.clear()
    rig.punch(2)
    rig.attempt()
    assert rig.peer.deliveries[-1].status == 409
    assert rig.link()["push_cursor"] == 0 and rig.link()["failures"] == 0
    rig.drain()
    assert rig.peer.store_id == rig.store.store_id
    assert set(rig.peer.committed) == rig.stored_fingerprints()


def test_page_too_large_is_split(rig: Rig) -> None:
    rig.punch(5)
    rig.peer.then("status:413")
    assert rig.deliverer.tick() == 0
    rig.deliverer.tick()
    assert rig.peer.deliveries[-1].events == 2
    rig.drain()
    assert set(rig.peer.committed) == rig.stored_fingerprints()


def test_pull_mode_and_no_link_push_nothing(tmp_path: Path, peer: OdooContractPeer) -> None:
    rig = Rig(tmp_path, peer)
    rig.punch(3)
    rig.deliverer.tick()  # not enrolled
    peer.mode = "pull"
    rig.enrol()
    rig.deliverer.tick()
    assert peer.deliveries == []
    rig.store.close()


def test_the_peer_refuses_forged_and_unauthenticated_pages(rig: Rig) -> None:
    """The contract's other half: a page not signed by the registered key is not imported."""
    rig.punch(2)
    page = rig.deliverer.build_page(0, 10)
    assert page is not None
    forged = signing.sign_page(page, signing.generate_private_key())
    altered = json.loads(json.dumps(page))
    altered["events"][0]["pin"] = "999"

    def post(body: dict, token: str | None) -> tuple[int, dict]:
        req = urllib.request.Request(  # noqa: S310 - loopback
            rig.peer.url + DELIVERY_PATH, json.dumps(body).encode(),
                                     {"Content-Type": "application/json",
                                      **({"Authorization": f"Bearer {token}"} if token else {})})
        try:
            with urllib.request.urlopen(req, timeout=10) as reply:  # noqa: S310 - loopback
                return reply.status, json.loads(reply.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    token = rig.peer.relay.odoo_token
    unsigned = {k: v for k, v in page.items() if k != "signature"}
    for body, reason in ((forged, "key id"), (altered, "altered"), (unsigned, "not signed")):
        status, reply = post(body, token)
        assert status == 400 and reply["error"] == "bad_signature", reply
        assert reason in reply["message"]
    assert post(page, None)[0] == 401
    assert post(page, "wrong")[0] == 401
    assert rig.peer.committed == {}
    assert post(page, token) == (200, {"committed_up_to": 2})


def test_push_configuration_is_validated() -> None:
    from zk_relay.config import ConfigError

    cfg = load_config(env={"ZK_RELAY_PUSH_PAGE_SIZE": "50"})
    assert (cfg.push_page_size, cfg.push_backoff_base_seconds, cfg.push_backoff_cap_seconds) \
        == (50, 5.0, 600.0)
    for env, message in (({"ZK_RELAY_PUSH_PAGE_SIZE": "0"}, "push_page_size"),
                         ({"ZK_RELAY_PUSH_BACKOFF_BASE_SECONDS": "60",
                           "ZK_RELAY_PUSH_BACKOFF_CAP_SECONDS": "10"}, "push_backoff_cap")):
        with pytest.raises(ConfigError) as error:
            load_config(env=env)
        assert message in str(error.value)


def test_reenrolment_revokes_the_previous_token_and_odoo_moves_the_new_cursor(
        rig: Rig) -> None:
    rig.punch(5)
    rig.drain()
    assert [t["name"] for t in rig.store.tokens()] == ["odoo-1"]
    rig.enrol()  # the peer makes a new relay record: the cursor starts again at 0
    assert [t["name"] for t in rig.store.tokens()] == ["odoo-2"]
    assert rig.link()["push_cursor"] == 0
    rig.punch(20)
    rig.drain()
    # one page is sent again (its events are duplicates, ignored); Odoo's answer
    # (committed_up_to, its own cursor) then moves the relay past what Odoo already has
    assert rig.peer.duplicates == 5
    assert [d.after for d in rig.peer.deliveries] == [0, 0, 5, 10, 15, 20]
    assert rig.link()["push_cursor"] == 25
    assert set(rig.peer.committed) == rig.stored_fingerprints()


def test_switched_to_pull_in_odoo_stops_push_without_a_failure(rig: Rig) -> None:
    """Odoo answers {"committed_up_to": its cursor, "mode": "pull"} and imports nothing: the
    relay stops pushing at once (no backoff, no retry), even though nothing of the page was
    committed."""
    rig.punch(3)
    rig.drain()
    rig.punch(2)
    rig.peer.mode = "pull"
    assert rig.attempt() == rig.config.push_interval_seconds
    link = rig.link()
    assert (link["mode"], link["failures"], link["push_cursor"]) == ("pull", 0, 3)
    sent = len(rig.peer.deliveries)
    rig.clock.t += 100
    rig.deliverer.tick()
    assert len(rig.peer.deliveries) == sent  # nothing pushed in pull mode


def test_a_page_odoo_refuses_is_counted_in_the_relay_health(rig: Rig) -> None:
    """Issue 17: pages refused (400/422: Odoo read the page and refused it) are counted for
    /health, the metrics and the health API; other failures are not refusals."""
    from zk_relay.terminal_health import relay_health

    rig.punch(3)
    rig.peer.then("status:503", "status:400")
    rig.attempt()
    assert rig.store.pages_refused() == (0, None)
    rig.attempt()
    refused, last = rig.store.pages_refused()
    assert refused == 1 and last["detail"].startswith("HTTP 400")
    health = relay_health(rig.store)
    assert health["pages_refused"] == 1 and health["unacked_events"] == 3
