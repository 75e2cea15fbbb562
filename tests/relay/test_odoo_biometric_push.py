"""Issue 19 in push mode: a relay Odoo cannot reach pushes its templates and photos to the
``biometric_url`` and takes Odoo's commands from the ``commands_url`` (a real relay process,
push-terminal simulators, and the contract peer playing Odoo's side)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from odoo_contract_peer import BIOMETRIC_PATH, COMMANDS_PATH, OdooContractPeer
from relay_harness import Relay, make_relay

from zk_rules import signing
from zk_sim.push_terminal import PushTerminal, fake_jpeg

pytestmark = pytest.mark.slow

KEY = base64.urlsafe_b64encode(bytes(range(2, 34))).decode()
FAST = {"ZK_RELAY_BIOMETRIC_KEY": KEY, "ZK_RELAY_HEALTH_INTERVAL_SECONDS": "0.2",
        "ZK_RELAY_PUSH_INTERVAL_SECONDS": "0.1", "ZK_RELAY_PUSH_BACKOFF_BASE_SECONDS": "0.05",
        "ZK_RELAY_PUSH_BACKOFF_CAP_SECONDS": "0.3"}
PIN = "7301"
DEVICES = [{"serial": s, "timezone": "Asia/Manila", "name": s, "enabled": True}
           for s in ("PBIOA", "PBIOB")]


def wait_for(condition: Callable[[], Any], what: str, deadline: float = 20.0) -> Any:
    end = time.monotonic() + deadline
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.05)


@pytest.fixture
def peer() -> Iterator[OdooContractPeer]:
    p = OdooContractPeer(mode="push", devices=DEVICES).start()
    yield p
    p.stop()


@pytest.fixture
def relay(tmp_path: Any, peer: OdooContractPeer) -> Iterator[Relay]:
    r = make_relay(tmp_path, **FAST)
    r.cli("enrol", "--odoo", peer.url, "--code", peer.new_code())
    r.start()
    yield r
    r.stop()


def sim(relay: Relay, serial: str) -> PushTerminal:
    terminal = PushTerminal(f"http://127.0.0.1:{relay.port}", serial, time_scale=0,
                            max_offline_cycles=2, capacity={"faces": 50})
    assert terminal.sync(), f"{serial} did not sync"
    return terminal


def meta(relay: Relay, key: str) -> int:
    conn = relay.db()
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return int(row[0]) if row else 0
    finally:
        conn.close()


def odoo_status(relay: Relay) -> dict[str, Any]:
    return json.loads(relay.cli("odoo", "status", "--json").stdout)["odoo"]


def test_issue19_push_relay_enrol_once_copy_and_erase_through_odoo(relay: Relay,
                                                                  peer: OdooContractPeer
                                                                  ) -> None:
    """Enrol at A → signed template page reaches Odoo's biometric_url → the relay's
    acknowledgement moves only to what Odoo committed → Odoo's outbox copies the template to
    B (queued once although handed out again) → B holds it, results reported → erase at A and
    B confirmed; a punch photo travels the same way."""
    link = odoo_status(relay)
    assert link["biometric_url"] == peer.url + BIOMETRIC_PATH
    assert link["commands_url"] == peer.url + COMMANDS_PATH
    a, b = sim(relay, "PBIOA"), sim(relay, "PBIOB")
    finger = a.enrol(PIN, "fingerprint", 3, name="Ana")
    face = a.enrol(PIN, "face", 0, size=1500)
    assert a.sync()

    wait_for(lambda: len(peer.bio_rows["templates"]) == 2, "both templates reach Odoo")
    rows = {(r["kind"], r["index"]): r for r in peer.bio_rows["templates"].values()}
    assert base64.b64decode(rows["fingerprint", 3]["data"]) == finger.data
    assert base64.b64decode(rows["face", 0]["data"]) == face.data
    page = peer.bio_pages[0]
    signing.verify_page(page, signing_key(relay))  # the pull page's signature, same key
    assert page["after"] == 0 and page["store_id"]
    newest = max(peer.bio_rows["templates"])
    wait_for(lambda: meta(relay, "templates_acked_up_to") == newest,
             "the relay acknowledges what Odoo committed")
    assert meta(relay, "bio_push_templates") == newest

    # Odoo copies Ana to B through its outbox
    user = peer.queue("PBIOB", "user_upsert", {"pin": PIN, "name": "Ana", "privilege": 0})
    copy = peer.queue("PBIOB", "template_upsert", {
        "pin": PIN, "kind": "fingerprint", "index": 3, "algorithm": "finger:10",
        "data": rows["fingerprint", 3]["data"], "valid": 1})
    wait_for(lambda: {user, copy} <= set(peer.outbox_results), "the relay takes both")
    assert "data" not in peer.outbox[copy]["params"], "the template left Odoo's outbox"
    assert b.sync()
    wait_for(lambda: all(peer.outbox_results[i]["state"] == "done" for i in (user, copy)),
             "B's results reach Odoo")
    assert {(t.kind, t.index): t.data for t in b.bio.of(PIN)} == {("fingerprint", 3):
                                                                  finger.data}
    conn = relay.db()
    try:
        queued = conn.execute("SELECT count(*) FROM commands WHERE serial = 'PBIOB'").fetchone()
    finally:
        conn.close()
    assert queued[0] == 2, "each outbox command is queued once"

    # a punch photo is pushed too
    jpeg = fake_jpeg("push-photo", 2500)
    a.punch(PIN, photo=jpeg)
    assert a.sync()
    photo = wait_for(lambda: next(iter(peer.bio_rows["photos"].values()), None),
                     "the photo reaches Odoo")
    assert base64.b64decode(photo["data"]) == jpeg and photo["pin"] == PIN

    # departure: erase everywhere, confirmed back to Odoo
    erase = [peer.queue(s, "user_erase", {"pin": PIN}) for s in ("PBIOA", "PBIOB")]
    wait_for(lambda: set(erase) <= set(peer.outbox_results), "the relay takes the erasures")
    assert a.sync() and b.sync()
    wait_for(lambda: all(peer.outbox_results[i]["state"] == "done" for i in erase),
             "the erasures are confirmed to Odoo")
    assert PIN not in a.users and PIN not in b.users and b.bio.of(PIN) == []
    conn = relay.db()
    try:
        assert conn.execute("SELECT count(*) FROM bio_templates WHERE pin = ?",
                            (PIN,)).fetchone()[0] == 0
    finally:
        conn.close()
    status = odoo_status(relay)["biometric"]
    assert status["last_error"] is None and status["outbox_open"] == 0
    assert status["outbox_commands"] == 4
    text = relay.cli("odoo", "status").stdout
    assert "4 command(s) taken from Odoo's outbox, 0 not finished" in text


def signing_key(relay: Relay) -> str:
    return json.loads(relay.cli("key", "show", "--json").stdout)["public_key"]


def test_issue19_lost_answer_resends_the_page_and_odoo_keeps_it_once(relay: Relay,
                                                                    peer: OdooContractPeer
                                                                    ) -> None:
    peer.bio_plan.extend(["drop_after_commit"])
    a = sim(relay, "PBIOA")
    a.enrol(PIN, "fingerprint", 1, name="Ana")
    assert a.sync()
    wait_for(lambda: meta(relay, "templates_acked_up_to") > 0, "the page is resent, answered")
    pages = [p for p in peer.bio_pages if "templates" in p]
    assert len(pages) >= 2 and pages[0]["after"] == pages[1]["after"] == 0
    assert len(peer.bio_rows["templates"]) == 1


def test_issue19_odoo_without_a_key_refuses_and_the_relay_says_so(relay: Relay,
                                                                 peer: OdooContractPeer
                                                                 ) -> None:
    """Odoo refuses (409 biometrics_off): nothing acknowledged, the error is logged and shown
    by `zk-relay odoo status`; once Odoo accepts, the page goes through."""
    peer.bio_off = True
    a = sim(relay, "PBIOA")
    a.enrol(PIN, "fingerprint", 2, name="Ana")
    assert a.sync()
    wait_for(lambda: odoo_status(relay)["biometric"]["last_error"], "the refusal is kept")
    error = odoo_status(relay)["biometric"]["last_error"]
    assert "biometrics_off" in error and "Odoo has no biometric key" in error
    assert "biometric push error: HTTP 409: biometrics_off" in relay.cli("odoo", "status").stdout
    assert "biometric push to Odoo failed" in relay.log()
    assert meta(relay, "templates_acked_up_to") == 0 and peer.bio_rows["templates"] == {}
    peer.bio_off = False
    wait_for(lambda: meta(relay, "templates_acked_up_to") == peer.bio_cursor["templates"] > 0,
             "accepted once Odoo has its key")
    assert odoo_status(relay)["biometric"]["last_error"] is None


def test_issue19_refused_outbox_commands_are_reported_with_their_reason(
        relay: Relay, peer: OdooContractPeer) -> None:
    sim(relay, "PBIOA")
    bad = peer.queue("PBIOA", "user_upsert", {"pin": "7 1", "name": "Ana"})
    unknown = peer.queue("NOSUCH1", "user_delete", {"pin": "1"})
    wait_for(lambda: {bad, unknown} <= set(peer.outbox_results), "both reported")
    assert peer.outbox_results[bad]["state"] == "refused"
    assert peer.outbox_results[bad]["error"] == "bad_request"
    assert "pin" in peer.outbox_results[bad]["message"]
    assert peer.outbox_results[unknown]["error"] == "not_found"
    assert peer.outbox[bad].get("taken") and peer.outbox[unknown].get("taken")


def test_issue19_outbox_rows_odoo_heard_closed_go_with_the_history(tmp_path: Any) -> None:
    from zk_relay.store import Store

    store = Store(tmp_path / "relay.sqlite3")
    try:
        store.outbox_take(1, "GONE1", "user_delete", None, None, "not_found", "not registered")
        store.outbox_take(2, "GONE1", "user_delete", None, None, "not_found", "not registered")
        assert {c["outbox_id"] for c in store.outbox_changes()} == {1, 2}
        store.outbox_reported([c for c in store.outbox_changes() if c["outbox_id"] == 1])
        assert [c["outbox_id"] for c in store.outbox_changes()] == [2], "1 is not sent again"
        assert store.outbox_take(1, "GONE1", "user_delete", None, None, "x", "y") is False
        assert store.prune_history(0, now=None) >= 1  # cutoff now: 1 was heard closed
        assert [c["outbox_id"] for c in store.outbox_changes()] == [2], "2 waits for Odoo"
    finally:
        store.close()


def test_issue19_odoo_reading_again_rewinds_the_push_cursor(relay: Relay,
                                                            peer: OdooContractPeer) -> None:
    """Odoo's "Read biometric data again" puts its cursor back to 0: the commands answer says
    so and the relay sends every template again; Odoo keeps each once."""
    a = sim(relay, "PBIOA")
    a.enrol(PIN, "fingerprint", 4, name="Ana")
    assert a.sync()
    wait_for(lambda: meta(relay, "bio_push_templates") > 0, "the template reaches Odoo")
    sent = len([p for p in peer.bio_pages if p.get("templates")])
    with peer.lock:
        peer.bio_cursor["templates"] = 0
        peer.bio_rows["templates"].clear()
    wait_for(lambda: len(peer.bio_rows["templates"]) == 1, "sent again from the beginning")
    wait_for(lambda: meta(relay, "bio_push_templates") == max(peer.bio_rows["templates"]),
             "the relay moves its cursor to Odoo's answer")
    assert len([p for p in peer.bio_pages if p.get("templates")]) == sent + 1


def test_issue19_commands_error_is_shown_then_cleared(tmp_path: Any, peer: OdooContractPeer
                                                     ) -> None:
    """Odoo unreachable for commands: the error is kept for `zk-relay odoo status`; the next
    exchange that works clears it."""
    from zk_relay.config import load_config
    from zk_relay.keys import load_or_create
    from zk_relay.odoo_biometric import OutboxFetcher
    from zk_relay.odoo_enrolment import enrol
    from zk_relay.odoo_http import HttpReply, http_post_json
    from zk_relay.store import Store

    config = load_config(env={}, overrides={"data_dir": str(tmp_path)})
    store = Store(config.db_path)
    try:
        enrol(store, config, load_or_create(tmp_path), odoo_url=peer.url, code=peer.new_code())
        clock, odoo_up = [100.0], [False]

        def post(*args: Any) -> HttpReply:
            return http_post_json(*args) if odoo_up[0] else HttpReply(
                503, b'{"error": "unavailable", "message": "try later"}')

        fetcher = OutboxFetcher(store, config, clock=lambda: clock[0], post=post)
        wait = fetcher.tick()
        assert wait > 0
        assert store.bio_push_status()["last_error"] == "commands: HTTP 503: unavailable: try" \
            " later"
        odoo_up[0] = True
        clock[0] += wait
        fetcher.tick()
        assert store.bio_push_status()["last_error"] is None
        assert fetcher.backoff.failures == 0
    finally:
        store.close()
