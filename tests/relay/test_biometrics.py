"""Biometric data across terminals (issue 19) with a real relay process and push-terminal
simulators: enrol at A → sealed on the relay → read by Odoo with a biometric-scoped token →
sent to B and C → present there; depart → erased from A, B, C and the relay, audited; no
template or photo byte in clear in the database files, the logs or the ordinary pages."""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from relay_harness import Relay, make_relay

from zk_sim.push_terminal import PushTerminal, fake_jpeg

pytestmark = pytest.mark.slow

KEY = base64.urlsafe_b64encode(bytes(range(1, 33))).decode()
PIN = "7001"


@pytest.fixture(scope="module")
def bio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Relay]:
    relay = make_relay(tmp_path_factory.mktemp("bio"), ZK_RELAY_BIOMETRIC_KEY=KEY)
    relay.cli("device", "list")
    relay.start()
    yield relay
    relay.stop()


def bio_token(relay: Relay) -> str:
    if "odoo-bio" not in relay.tokens:
        relay.tokens["odoo-bio"] = relay.cli("token", "create", "odoo-bio", "--scope",
                                             "biometric").stdout.strip()
    return relay.tokens["odoo-bio"]


def terminal(relay: Relay, serial: str, **kw: Any) -> PushTerminal:
    reply = relay.api("PUT", f"/api/v1/devices/{serial}", {"timezone": "Asia/Manila"})
    assert reply.status in (200, 201), reply.text
    sim = PushTerminal(f"http://127.0.0.1:{relay.port}", serial, time_scale=0,
                       max_offline_cycles=2, **kw)
    assert sim.sync(), f"{serial} did not sync"
    return sim


def command(relay: Relay, serial: str, payload: dict[str, Any], token: str | None = None
            ) -> Any:
    return relay.api("POST", f"/api/v1/devices/{serial}/commands", payload, token=token)


def state(relay: Relay, cid: int) -> dict[str, Any]:
    return relay.api("GET", f"/api/v1/commands/{cid}").json()["command"]


def all_bytes(relay: Relay) -> bytes:
    """Every byte of the relay's data folder (database, WAL, keys) and its log."""
    out = b""
    for path in sorted(Path(relay.data_dir).iterdir()):
        if path.is_file():
            out += path.read_bytes()
    return out


def sql_values(relay: Relay) -> list[bytes]:
    """Every value of every table, as bytes."""
    conn = relay.db()
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type ="
                                              " 'table'")]
        out = []
        for table in tables:
            for row in conn.execute(f"SELECT * FROM {table}"):  # noqa: S608
                for value in row:
                    if isinstance(value, bytes):
                        out.append(value)
                    elif isinstance(value, str):
                        out.append(value.encode("utf-8"))
        return out
    finally:
        conn.close()


def assert_nowhere(relay: Relay, secrets: list[bytes]) -> None:
    values = sql_values(relay)
    files = all_bytes(relay)
    log = relay.log().encode("utf-8")
    for secret in secrets:
        forms = [secret, base64.b64encode(secret), secret.hex().encode()]
        for form in forms:
            probe = form[20:84]  # a distinctive slice: a prefix could be a JPEG/ZK header
            assert not any(probe in v for v in values), "template/photo bytes found by SQL"
            assert probe not in files, "template/photo bytes found in the data folder"
            assert probe not in log, "template/photo bytes found in the log"


def test_issue19_enrol_once_sync_everywhere_erase_everywhere(bio: Relay) -> None:
    """Enrol at A; Odoo (biometric token) reads the sealed templates and queues them for B and
    C; B and C hold them; D (other algorithm) is refused 409 not_compatible; E (full) fails
    with -1001; punch photo reaches the photo page; depart: erased from A, B, C and the relay,
    with audit rows; a second erase (-10) counts as erased."""
    token = bio_token(bio)
    a = terminal(bio, "BIOA", capacity={"faces": 50})
    b = terminal(bio, "BIOB", capacity={"faces": 50})
    c = terminal(bio, "BIOC", capacity={"faces": 50})
    d = terminal(bio, "BIOD", bio_versions={"fingerprint": 12})
    e = terminal(bio, "BIOE", capacity={"fingerprints": 1})
    e.enrol("5555")  # E's only fingerprint slot is taken
    assert e.sync()

    finger0 = a.enrol(PIN, "fingerprint", 0, name="Ana")
    finger1 = a.enrol(PIN, "fingerprint", 1)
    face = a.enrol(PIN, "face", 0, size=1800)
    assert a.sync()

    # Odoo reads them with its biometric-scoped token: signed page, audited
    page = bio.api("GET", "/api/v1/biometric/templates?after=0", token=token)
    assert page.status == 200, page.text
    body = page.json()
    assert body["signature"] and body["store_id"]
    mine = [t for t in body["templates"] if t["serial"] == "BIOA" and t["pin"] == PIN]
    got = {(t["kind"], t["index"]): t for t in mine}
    assert set(got) == {("fingerprint", 0), ("fingerprint", 1), ("face", 0)}
    assert base64.b64decode(got["fingerprint", 0]["data"]) == finger0.data
    assert base64.b64decode(got["fingerprint", 1]["data"]) == finger1.data
    assert base64.b64decode(got["face", 0]["data"]) == face.data
    assert got["fingerprint", 0]["algorithm"] == "finger:10"
    assert got["face", 0]["algorithm"] == "face:7"
    assert got["face", 0]["size"] == 1800

    # the events token sees none of it
    events_token = bio.token()
    for path in ("/api/v1/biometric/templates", "/api/v1/biometric/photos",
                 "/api/v1/biometric/audit"):
        denied = bio.api("GET", path, token=events_token)
        assert denied.status == 403 and denied.json()["error"] == "forbidden"
    assert bio.api("GET", "/api/v1/events", token=token).status == 403

    # Odoo sends them to B and C: user first (events scope), templates (biometric scope)
    sent: list[int] = []
    for sim in (b, c):
        assert command(bio, sim.serial, {"kind": "user_upsert", "pin": PIN,
                                          "name": "Ana"}).status == 201
        for t in mine:
            reply = command(bio, sim.serial, {"kind": "template_upsert", "params": {
                "pin": PIN, "kind": t["kind"], "index": t["index"],
                "algorithm": t["algorithm"], "data": t["data"], "valid": t["valid"]}},
                token=token)
            assert reply.status == 201, reply.text
            queued = reply.json()["command"]
            assert "redacted" in queued["command"] and t["data"] not in reply.text
            assert queued["params"]["data"].startswith("<redacted")
            sent.append(queued["id"])
        assert sim.sync()
    for cid in sent:
        assert state(bio, cid)["state"] == "done", state(bio, cid)
    for sim in (b, c):
        held = {(t.kind, t.index): t.data for t in sim.bio.of(PIN)}
        assert held == {("fingerprint", 0): finger0.data, ("fingerprint", 1): finger1.data,
                        ("face", 0): face.data}

    # another algorithm version: refused before it reaches the terminal
    refused = command(bio, "BIOD", {"kind": "template_upsert", "params": {
        "pin": PIN, "kind": "fingerprint", "index": 0, "algorithm": "finger:10",
        "data": got["fingerprint", 0]["data"]}}, token=token)
    assert refused.status == 409 and refused.json()["error"] == "not_compatible"
    assert "version 12" in refused.json()["message"]
    # a full terminal: the command fails with the terminal's -1001
    assert command(bio, "BIOE", {"kind": "user_upsert", "pin": PIN, "name": "Ana"}).status \
        == 201
    full = command(bio, "BIOE", {"kind": "template_upsert", "params": {
        "pin": PIN, "kind": "fingerprint", "index": 0, "algorithm": "finger:10",
        "data": got["fingerprint", 0]["data"]}}, token=token).json()["command"]
    assert e.sync()
    assert state(bio, full["id"])["state"] == "failed"
    assert state(bio, full["id"])["return_code"] == -1001
    assert e.bio.of(PIN) == [] and d.bio.of(PIN) == []

    # a punch photo travels with its punch
    jpeg = fake_jpeg("ana-photo", 3000)
    a.punch(PIN, photo=jpeg)
    assert a.sync()
    photos = bio.api("GET", "/api/v1/biometric/photos?after=0", token=token).json()
    assert photos["signature"]
    photo = next(p for p in photos["photos"] if p["serial"] == "BIOA" and p["pin"] == PIN)
    assert base64.b64decode(photo["data"]) == jpeg
    assert photo["content_type"] == "image/jpeg" and photo["event_fingerprint"]
    event_fps = [e["fingerprint"] for e in bio.api("GET", "/api/v1/events?limit=5000")
                 .json()["events"]]
    assert photo["event_fingerprint"] in event_fps

    # nothing in clear: database files, SQL, log, ordinary pages
    assert_nowhere(bio, [finger0.data, finger1.data, face.data, jpeg])
    for path in ("/api/v1/users", "/api/v1/oplog", "/api/v1/quarantine", "/api/v1/commands",
                 "/api/v1/devices", "/health"):
        text = bio.api("GET", path).body
        for secret in (finger0.data, face.data, jpeg):
            assert base64.b64encode(secret)[20:84] not in text, path
    assert bio.api("GET", "/health", auth=False).json()["biometrics"] == "on"

    # departure: erase at A, B, C
    erase = {}
    for sim in (a, b, c):
        reply = command(bio, sim.serial, {"kind": "user_erase", "pin": PIN}, token=token)
        assert reply.status == 201, reply.text
        erase[sim.serial] = reply.json()["command"]["id"]
        assert sim.sync()
    for sim in (a, b, c):
        assert PIN not in sim.users and sim.bio.of(PIN) == []
        assert state(bio, erase[sim.serial])["state"] == "done"
    conn = bio.db()
    try:
        assert conn.execute("SELECT count(*) FROM bio_templates WHERE pin = ?",
                            (PIN,)).fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM photos WHERE pin = ?", (PIN,)).fetchone()[0] \
            == 0
    finally:
        conn.close()
    # erasing again where the PIN is gone: the terminal answers -10, which counts as erased
    again = command(bio, "BIOB", {"kind": "user_erase", "pin": PIN}, token=token)
    assert b.sync()
    again_state = state(bio, again.json()["command"]["id"])
    assert again_state["state"] == "done" and again_state["return_code"] == -10

    audit = bio.api("GET", "/api/v1/biometric/audit?after=0&limit=5000", token=token).json()
    rows = audit["audit"]
    erased = {r["serial"] for r in rows if r["action"] == "erased" and r["pin"] == PIN}
    assert erased == {"BIOA", "BIOB", "BIOC"}
    assert any(r["action"] == "read" and r["actor"] == "token odoo-bio" for r in rows)
    assert any(r["action"] == "sent" and r["serial"] == "BIOB" for r in rows)
    assert any(r["action"] == "failed" and r["serial"] == "BIOE" and "memory is full"
               in r["detail"] for r in rows)
    assert any(r["action"] == "stored" and r["serial"] == "BIOA" for r in rows)
    for secret in (finger0.data, face.data):
        assert base64.b64encode(secret)[20:84] not in json.dumps(rows).encode()


def test_issue19_bad_template_rows_are_refused_clearly_and_kept_redacted(bio: Relay) -> None:
    """Unknown BIODATA type, size mismatch, absurd size, not base64: quarantined with the
    template redacted, audited as dropped, nothing sealed; a template for a PIN the terminal
    does not know fails with -10; a template_upsert without valid base64 is a 400."""
    token = bio_token(bio)
    sim = terminal(bio, "BIOBAD")
    real = base64.b64encode(b"Q" * 600).decode()
    huge = base64.b64encode(b"H" * 70_000).decode()
    rows = [
        f"BIODATA Pin=801\tNo=0\tIndex=0\tValid=1\tDuress=0\tType=42\tMajorVer=1\tMinorVer=0"
        f"\tFormat=0\tTmp={real}",
        f"FP PIN=802\tFID=0\tSize=99\tValid=1\tTMP={real}",
        f"FP PIN=803\tFID=0\tSize={len(huge)}\tValid=1\tTMP={huge}",
        "FP PIN=804\tFID=0\tValid=1\tTMP=***not-base64***",
    ]
    body = ("\n".join(rows) + "\n").encode()
    reply = bio.post("/iclock/cdata?SN=BIOBAD&table=OPERLOG&Stamp=1", body)
    assert reply.acknowledged
    quarantine = bio.api("GET", "/api/v1/quarantine?limit=5000").json()["quarantine"]
    mine = {q["reason"] for q in quarantine if q["serial"] == "BIOBAD"}
    assert "BIODATA of unknown type '42'" in mine
    assert "template size 99 does not match the 800 characters sent" in mine
    assert any("larger than any real template" in r for r in mine)
    assert "template is not base64" in mine
    for q in quarantine:
        assert real not in q["raw"] and huge[:200] not in q["raw"]
    conn = bio.db()
    try:
        assert conn.execute("SELECT count(*) FROM bio_templates WHERE serial = 'BIOBAD'"
                            ).fetchone()[0] == 0
    finally:
        conn.close()
    assert_nowhere(bio, [b"Q" * 600, b"H" * 70_000])
    audit = bio.api("GET", "/api/v1/biometric/audit?limit=5000", token=token).json()["audit"]
    assert len([r for r in audit if r["serial"] == "BIOBAD" and r["action"] == "dropped"]) == 4

    # a template for a PIN the terminal does not know: -10, failed, audited
    unknown = command(bio, "BIOBAD", {"kind": "template_upsert", "params": {
        "pin": "999", "kind": "fingerprint", "index": 3, "algorithm": "finger:10",
        "data": real}}, token=token).json()["command"]
    assert sim.sync()
    after = state(bio, unknown["id"])
    assert after["state"] == "failed" and after["return_code"] == -10
    bad = command(bio, "BIOBAD", {"kind": "template_upsert", "params": {
        "pin": "999", "kind": "fingerprint", "index": 3, "algorithm": "finger:10",
        "data": "%%%"}}, token=token)
    assert bad.status == 400 and bad.json()["field"] == "data"
    wrong_kind = command(bio, "BIOBAD", {"kind": "template_upsert", "params": {
        "pin": "999", "kind": "fingerprint", "index": 3, "algorithm": "face:7",
        "data": real}}, token=token)
    assert wrong_kind.status == 400 and wrong_kind.json()["field"] == "algorithm"
    # biometric commands need the biometric scope
    denied = command(bio, "BIOBAD", {"kind": "user_erase", "pin": "1"})
    assert denied.status == 403 and denied.json()["error"] == "forbidden"


def test_issue19_without_a_key_nothing_is_kept_and_health_says_so(relay_factory: Any) -> None:
    """No key: templates and photos arriving are counted and dropped, the handshake does not
    ask for them, the biometric endpoints answer 409, /health says "off: no key"."""
    relay = relay_factory()
    relay.cli("device", "list")
    relay.start()
    health = relay.api("GET", "/health", auth=False).json()
    assert health["biometrics"] == "off: no key"
    sim = terminal(relay, "NOKEY1")
    assert "EnrollFP" not in sim.options.get("TransFlag", "")
    template = sim.enrol("42")
    assert sim.sync()
    tmp = base64.b64encode(template.data).decode()
    reply = relay.post("/iclock/cdata?SN=NOKEY1&table=OPERLOG&Stamp=1",
                       f"FP PIN=42\tFID=0\tSize={len(tmp)}\tValid=1\tTMP={tmp}\n".encode())
    assert reply.acknowledged
    jpeg = fake_jpeg("nokey", 1500)
    relay.post("/iclock/cdata?SN=NOKEY1&table=ATTPHOTO&Stamp=1",
               b"PIN=20250101080000-42.jpg\nSN=NOKEY1\nsize=1500\nCMD=uploadphoto\x00" + jpeg)
    conn = relay.db()
    try:
        assert conn.execute("SELECT count(*) FROM bio_templates").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM photos").fetchone()[0] == 0
        dropped = conn.execute("SELECT count(*) FROM bio_audit WHERE action = 'dropped'"
                               ).fetchone()[0]
        assert dropped == 2
    finally:
        conn.close()
    assert_nowhere(relay, [template.data, jpeg])
    token = relay.cli("token", "create", "bio", "--scope", "biometric").stdout.strip()
    off = relay.api("GET", "/api/v1/biometric/templates", token=token)
    assert off.status == 409 and "no biometric key" in off.json()["message"]
    refused = command(relay, "NOKEY1", {"kind": "user_erase", "pin": "42"}, token=token)
    assert refused.status == 409


def test_issue19_clear_data_of_an_older_relay_is_sealed_or_deleted(relay_factory: Any
                                                                    ) -> None:
    """Biometric rows and photos an older relay kept in clear: sealed at start with a key,
    deleted without one; either way no clear byte is left in the database."""
    for key, expect_templates in ((KEY, 1), ("", 0)):
        relay = relay_factory(**({"ZK_RELAY_BIOMETRIC_KEY": key} if key else {}))
        relay.cli("device", "add", "OLD1", "--tz", "Asia/Manila")
        secret = b"OLD-TEMPLATE-" * 40
        tmp = base64.b64encode(secret).decode()
        jpeg = fake_jpeg("old", 1200)
        conn = sqlite3.connect(relay.data_dir / "relay.sqlite3")
        with conn:
            conn.execute("INSERT INTO biodata (serial, kind, pin, raw, received_at, digest)"
                         " VALUES ('OLD1', 'FP', '9', ?, '2025-01-01', 'd1')",
                         (f"FP PIN=9\tFID=2\tSize={len(tmp)}\tValid=1\tTMP={tmp}".encode(),))
            conn.execute("INSERT INTO photos (serial, filename, pin, local_time, size, header,"
                         " data, received_at) VALUES ('OLD1', 'x-9.jpg', '9', NULL, 1, '', ?,"
                         " '2025-01-01')", (jpeg,))
        conn.close()
        relay.start()
        db = relay.db()
        try:
            assert db.execute("SELECT count(*) FROM bio_templates").fetchone()[0] \
                == expect_templates
            assert db.execute("SELECT count(*) FROM biodata").fetchone()[0] == 0
            assert db.execute("SELECT count(*) FROM photos WHERE sealed = 0").fetchone()[0] == 0
        finally:
            db.close()
        relay.stop()  # checkpoint the WAL, so the old clear pages are rewritten
        values = sql_values(relay)
        assert not any(base64.b64encode(secret)[10:60] in v for v in values)
        assert not any(jpeg[20:80] in v for v in values)


def test_issue19_enrolment_gives_odoo_the_biometric_scope_only_with_a_key(
        relay_factory: Any) -> None:
    """With a key the token handed to Odoo has both scopes and the enrolment says
    ``biometric: true``; without one it has the events scope and says false."""
    from odoo_contract_peer import OdooContractPeer

    for key, expected in ((KEY, True), ("", False)):
        peer = OdooContractPeer(mode="pull").start()
        try:
            relay = relay_factory(**({"ZK_RELAY_BIOMETRIC_KEY": key} if key else {}))
            code = peer.new_code()
            relay.cli("enrol", "--odoo", peer.url, "--code", code)
            assert peer.enrolments[-1]["biometric"] is expected
            tokens = relay.cli("token", "list").stdout
            assert ("biometric,events" in tokens) is expected
            relay.start()
            assert peer.relay is not None
            token = peer.relay.relay_token
            status = relay.api("GET", "/api/v1/biometric/audit", token=token).status
            assert status == (200 if expected else 403)
            assert relay.api("GET", "/api/v1/events", token=token).status == 200
            relay.stop()
        finally:
            peer.stop()


def test_issue19_key_is_checked_at_start_and_never_printed(relay_factory: Any) -> None:
    relay = relay_factory(ZK_RELAY_BIOMETRIC_KEY=KEY)
    shown = relay.cli("config").stdout
    assert KEY not in shown and "biometric_key = '<set, not shown>'" in shown
    bad = relay_factory(ZK_RELAY_BIOMETRIC_KEY="dG9vLXNob3J0")  # 9 bytes
    result = bad.cli("serve", "--port", "0", check=False)
    assert result.returncode == 2
    assert "biometric_key: must decode to 32 bytes" in result.stderr
