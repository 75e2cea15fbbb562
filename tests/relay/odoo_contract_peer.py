"""The relay ↔ Odoo contract of issue 10, as an executable spec: a real HTTP server on loopback
playing Odoo's side (enrolment endpoint, push delivery endpoint, and a pull client).

NOT Odoo: it is what Odoo's controllers must do, reduced to the contract, so the relay's side
can be tested over real HTTP. End-to-end claims about Odoo are made by Odoo's own tests.

Odoo's side, as this peer implements it:

* ``POST /zk/relay/enrol`` ``{code, public_key, key_id, store_id, relay_token, relay_url,
  version}`` → 200 ``{relay_id, odoo_token, mode, delivery_url, devices}``; an unknown, used
  or expired code → 403 ``{error, message}``; a public key that is not 32 base64 bytes or does
  not match ``key_id`` → 400.
* ``POST <delivery_url>`` (``/zk/relay/push``) with ``Authorization: Bearer <odoo_token>``:
  wrong/revoked token → 401 and nothing is read further; the page's signature is verified with
  ``zk_rules.signing.verify_page`` *before* anything is imported (400 ``bad_signature``
  otherwise); every event's fingerprint is recomputed and must match; a page of another
  ``store_id`` is taken as a new store only when it starts at the beginning (``after`` 0),
  else 409 ``{store_id}``; events are imported by fingerprint (a known fingerprint is a
  duplicate, ignored); the cursor moves to ``next_after`` only when the page starts at or
  before it (no gap); the answer is ``{"committed_up_to": cursor}``. When the relay is set to
  pull mode, the page is not imported and the answer is ``{"committed_up_to": cursor, "mode":
  "pull"}``.
"""

from __future__ import annotations

import json
import secrets
import threading
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from zk_rules import signing
from zk_rules.fingerprint import punch_fingerprint

DELIVERY_PATH = "/zk/relay/push"
STATUS_PATH = "/zk/relay/status"  # issue 17: reconciliation and health in push mode
BIOMETRIC_PATH = "/zk/relay/biometric"  # issue 19: templates and photos in push mode
COMMANDS_PATH = "/zk/relay/commands"  # issue 19: Odoo's outbox of commands in push mode
MAX_BODY = 4 * 1024 * 1024


@dataclass
class Delivery:
    """One request the delivery endpoint received."""

    token: str | None
    action: str
    status: int | None = None
    after: int | None = None
    next_after: int | None = None
    events: int = 0
    new: int = 0
    duplicates: int = 0
    error: str | None = None


@dataclass
class RelayRecord:
    relay_id: int
    public_key: str
    key_id: str
    store_id: str
    relay_token: str
    relay_url: str | None
    version: str
    odoo_token: str
    revoked: bool = False


@dataclass
class OdooContractPeer:
    mode: str = "push"
    devices: list[dict[str, Any]] = field(default_factory=list)
    codes: dict[str, str] = field(default_factory=dict)  # code -> fresh | used | expired
    relay: RelayRecord | None = None
    relay_ids: int = 0
    store_id: str | None = None
    cursor: int = 0
    committed: dict[str, dict[str, Any]] = field(default_factory=dict)  # fingerprint -> event
    duplicates: int = 0
    deliveries: list[Delivery] = field(default_factory=list)
    enrolments: list[dict[str, Any]] = field(default_factory=list)
    plan: list[str] = field(default_factory=list)
    status_plan: list[str] = field(default_factory=list)  # ok | status:<n> for status pages
    status_pages: list[dict[str, Any]] = field(default_factory=list)  # verified, as received
    recon_days: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    health_events: dict[int, dict[str, Any]] = field(default_factory=dict)
    status_cursor: dict[str, int] = field(default_factory=lambda: {"days": 0, "events": 0})
    # issue 19, push mode: ok | off (no biometric key) | drop_after_commit | status:<n>
    bio_plan: list[str] = field(default_factory=list)
    bio_off: bool = False  # Odoo without its biometric key: every page refused
    bio_pages: list[dict[str, Any]] = field(default_factory=list)  # verified, as received
    bio_rows: dict[str, dict[int, dict[str, Any]]] = field(
        default_factory=lambda: {"templates": {}, "photos": {}})
    bio_cursor: dict[str, int] = field(default_factory=lambda: {"templates": 0, "photos": 0})
    outbox: dict[int, dict[str, Any]] = field(default_factory=dict)  # outbox id -> command
    outbox_results: dict[int, dict[str, Any]] = field(default_factory=dict)  # id -> latest
    handed_out: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lock = threading.RLock()
        peer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    self._answer(413, {"error": "too_large", "message": "page too large"})
                    return
                body = self.rfile.read(length)
                auth = self.headers.get("Authorization", "")
                token = auth[7:] if auth.startswith("Bearer ") else None
                if self.path == "/zk/relay/enrol":
                    status, payload = peer.handle_enrol(body)
                elif self.path == DELIVERY_PATH:
                    status, payload = peer.handle_delivery(token, body)
                elif self.path == STATUS_PATH:
                    status, payload = peer.handle_status(token, body)
                elif self.path == BIOMETRIC_PATH:
                    status, payload = peer.handle_biometric(token, body)
                elif self.path == COMMANDS_PATH:
                    status, payload = peer.handle_commands(token, body)
                else:
                    status, payload = 404, {"error": "not_found", "message": self.path}
                if status is None:  # the link is cut: close without answering
                    self.close_connection = True
                    return
                self._answer(status, payload)

            def _answer(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- lifecycle
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> OdooContractPeer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- what the test drives
    def new_code(self, state: str = "fresh") -> str:
        code = secrets.token_hex(4).upper()
        self.codes[code] = state
        return code

    def revoke(self) -> None:
        with self.lock:
            assert self.relay is not None
            self.relay.revoked = True

    def then(self, *actions: str) -> None:
        """Queue what the next deliveries do: ``ok``, ``drop_after_commit`` (import, then close
        the connection without answering), ``drop_before_commit``, ``status:<n>``,
        ``rotate:<new token>``, ``partial:<n>`` (commit only the first n events)."""
        with self.lock:
            self.plan.extend(actions)

    # -- enrolment
    def handle_enrol(self, body: bytes) -> tuple[int, dict[str, Any]]:
        with self.lock:
            try:
                request = json.loads(body)
            except ValueError:
                return 400, {"error": "bad_request", "message": "body is not JSON"}
            self.enrolments.append(request)
            keys = {"code", "public_key", "key_id", "store_id", "relay_token", "relay_url",
                    "version"}
            # "biometric" (issue 19): whether the relay_token may read biometric data
            if not isinstance(request, dict) or set(request) - {"biometric"} != keys \
                    or not isinstance(request.get("biometric", False), bool):
                return 400, {"error": "bad_request", "message": f"expected the keys {keys}"}
            state = self.codes.get(request["code"])
            if state is None:
                return 403, {"error": "invalid_code", "message": "unknown enrolment code"}
            if state == "used":
                return 403, {"error": "code_used", "message": "this code was already used"}
            if state == "expired":
                return 403, {"error": "code_expired", "message": "this code has expired"}
            try:
                if signing.key_id(request["public_key"]) != request["key_id"]:
                    raise ValueError("key_id does not match the public key")
            except ValueError as exc:
                return 400, {"error": "bad_key", "message": str(exc)}
            self.codes[request["code"]] = "used"
            self.relay_ids += 1
            self.relay = RelayRecord(
                self.relay_ids, request["public_key"], request["key_id"], request["store_id"],
                request["relay_token"], request["relay_url"], request["version"],
                secrets.token_urlsafe(24))
            return 200, {"relay_id": self.relay.relay_id, "odoo_token": self.relay.odoo_token,
                         "mode": self.mode, "delivery_url": self.url + DELIVERY_PATH,
                         "status_url": STATUS_PATH,  # relative: resolved against Odoo's URL
                         "biometric_url": BIOMETRIC_PATH, "commands_url": COMMANDS_PATH,
                         "devices": self.devices}

    # -- push mode, reconciliation and health (issue 17)
    def handle_status(self, token: str | None, body: bytes) -> tuple[int, dict[str, Any]]:
        """Check the token, verify the signature, keep the rows by their keys (so a page sent
        again changes nothing), answer the cursors committed."""
        with self.lock:
            relay = self.relay
            action = self.status_plan.pop(0) if self.status_plan else "ok"
            if relay is None or relay.revoked or token != relay.odoo_token:
                return 401, {"error": "unauthorized", "message": "unknown or revoked relay"}
            if action.startswith("status:"):
                return int(action[7:]), {"error": "unavailable", "message": "try later"}
            try:
                page = json.loads(body)
                signing.verify_page(page, relay.public_key)
            except (ValueError, KeyError, TypeError) as exc:
                return 400, {"error": "bad_signature", "message": str(exc)}
            self.status_pages.append(page)
            if page["after"] == self.status_cursor or all(
                    page["after"][k] <= self.status_cursor[k] for k in ("days", "events")):
                for day in page["days"]:
                    self.recon_days[day["serial"], day["day"]] = day
                for event in page["events"]:
                    self.health_events[event["id"]] = event
                self.status_cursor = {k: max(self.status_cursor[k], page["next_after"][k])
                                      for k in ("days", "events")}
            return 200, {"committed": dict(self.status_cursor)}

    # -- push mode, biometric pages and the outbox (issue 19)
    def handle_biometric(self, token: str | None, body: bytes) -> tuple[int | None, dict[str, Any]]:
        """Token, then signature, then rows kept by id only when the page starts at or before
        the kind's cursor (a page sent again keeps nothing twice); answers the cursor."""
        with self.lock:
            relay = self.relay
            action = self.bio_plan.pop(0) if self.bio_plan else "ok"
            if relay is None or relay.revoked or token != relay.odoo_token:
                return 401, {"error": "unauthorized", "message": "unknown or revoked relay"}
            if action == "off" or self.bio_off:
                return 409, {"error": "biometrics_off", "message": "Odoo has no biometric key"
                             " (zk_biometric_key in odoo.conf): templates and photos are not"
                             " accepted"}
            if action.startswith("status:"):
                return int(action[7:]), {"error": "unavailable", "message": "try later"}
            try:
                page = json.loads(body)
                signing.verify_page(page, relay.public_key)
                kind = "templates" if "templates" in page else "photos"
                rows, after = page[kind], int(page["after"])
            except (ValueError, KeyError, TypeError) as exc:
                return 400, {"error": "bad_signature", "message": str(exc)}
            self.bio_pages.append(page)
            if after <= self.bio_cursor[kind]:
                for row in rows:
                    if row["id"] > self.bio_cursor[kind]:
                        self.bio_rows[kind][row["id"]] = row
                self.bio_cursor[kind] = max(self.bio_cursor[kind], int(page["next_after"]))
            if action == "drop_after_commit":
                return None, {}
            return 200, {"committed_up_to": self.bio_cursor[kind]}

    def queue(self, serial: str, kind: str, params: dict[str, Any]) -> int:
        """Odoo queues a command for the relay's terminal: it waits in the outbox."""
        with self.lock:
            outbox_id = len(self.outbox) + 501
            self.outbox[outbox_id] = {"outbox_id": outbox_id, "serial": serial, "kind": kind,
                                      "params": dict(params)}
            return outbox_id

    def handle_commands(self, token: str | None, body: bytes) -> tuple[int, dict[str, Any]]:
        """Results first (a command the relay reports is taken: its template leaves the
        outbox), then the commands not taken yet."""
        with self.lock:
            relay = self.relay
            if relay is None or relay.revoked or token != relay.odoo_token:
                return 401, {"error": "unauthorized", "message": "unknown or revoked relay"}
            try:
                results = json.loads(body)["results"]
            except (ValueError, KeyError, TypeError) as exc:
                return 400, {"error": "bad_request", "message": str(exc)}
            for item in results:
                self.outbox_results[item["outbox_id"]] = item
                taken = self.outbox.get(item["outbox_id"])
                if taken is not None:
                    taken["taken"] = True
                    taken["params"].pop("data", None)
            waiting = [dict(c) for c in self.outbox.values() if not c.get("taken")]
            self.handed_out.extend(c["outbox_id"] for c in waiting)
            return 200, {"commands": waiting, "biometric_cursors": dict(self.bio_cursor)}

    # -- push delivery
    def handle_delivery(self, token: str | None, body: bytes
                        ) -> tuple[int | None, dict[str, Any]]:
        with self.lock:
            relay = self.relay
            action = self.plan.pop(0) if self.plan else "ok"
            record = Delivery(token, action)
            self.deliveries.append(record)
            if relay is None or relay.revoked or token != relay.odoo_token:
                record.status = 401
                return 401, {"error": "unauthorized", "message": "unknown or revoked relay"}
            if action.startswith("status:"):
                record.status = int(action[7:])
                return record.status, {"error": "unavailable", "message": "try later"}
            if action == "drop_before_commit":
                return None, {}
            try:
                page = json.loads(body)
                signing.verify_page(page, relay.public_key)  # before anything is imported
                events = page["events"]
                for e in events:
                    if punch_fingerprint(e["serial"], e["pin"], e["local_time"]) \
                            != e["fingerprint"]:
                        raise ValueError(f"event {e['id']}: fingerprint does not match")
            except (ValueError, KeyError, TypeError) as exc:
                record.status, record.error = 400, str(exc)
                return 400, {"error": "bad_signature" if isinstance(
                    exc, signing.PageSignatureError) else "bad_request", "message": str(exc)}
            after = int(page.get("after", 0))
            record.after, record.next_after = after, page["next_after"]
            if self.mode == "pull":  # switched to pull in Odoo: import nothing, say so
                record.status = 200
                return 200, {"committed_up_to": self.cursor, "mode": "pull"}
            record.events = len(events)
            if page["store_id"] != self.store_id:
                if self.store_id is not None and after != 0:
                    record.status = 409
                    return 409, {"error": "store_mismatch", "store_id": self.store_id,
                                 "message": "start again from the beginning of your store"}
                self.store_id, self.cursor = page["store_id"], 0
            if action == "status:409" or action == "conflict":
                record.status = 409
                return 409, {"error": "store_mismatch", "store_id": "another-store"}
            upto = page["next_after"]
            if action.startswith("partial:"):
                events = events[:int(action[8:])]
                upto = events[-1]["id"] if events else after
            for e in events:  # one transaction in Odoo
                if e["fingerprint"] in self.committed:
                    self.duplicates += 1
                    record.duplicates += 1
                else:
                    self.committed[e["fingerprint"]] = e
                    record.new += 1
            if after <= self.cursor:
                self.cursor = max(self.cursor, upto)
            if action == "drop_after_commit":
                return None, {}
            reply: dict[str, Any] = {"committed_up_to": self.cursor}
            if action.startswith("rotate:"):
                relay.odoo_token = action[7:]
                reply["rotate_token"] = relay.odoo_token
            record.status = 200
            return 200, reply

    # -- pull mode (what Odoo's scheduled action does)
    def pull(self, relay_base: str, limit: int = 50) -> int:
        """Pull every page after this peer's cursor, verify, import, acknowledge."""
        assert self.relay is not None
        pulled = 0
        while True:
            page = self._get(f"{relay_base}/api/v1/events?after={self.cursor}&limit={limit}")
            signing.verify_page(page, self.relay.public_key)
            with self.lock:
                if page["store_id"] != self.store_id:
                    self.store_id, self.cursor = page["store_id"], 0
                for e in page["events"]:
                    if e["fingerprint"] in self.committed:
                        self.duplicates += 1
                    else:
                        self.committed[e["fingerprint"]] = e
                pulled += len(page["events"])
                self.cursor = max(self.cursor, page["next_after"])
            self._post(f"{relay_base}/api/v1/events/ack",
                       {"store_id": page["store_id"], "up_to": self.cursor})
            if not page["has_more"]:
                return pulled

    def _get(self, url: str) -> Any:
        assert self.relay is not None
        req = urllib.request.Request(  # noqa: S310 - loopback
            url, headers={
            "Authorization": f"Bearer {self.relay.relay_token}"})
        with urllib.request.urlopen(req, timeout=30) as reply:  # noqa: S310 - loopback
            return json.loads(reply.read())

    def _post(self, url: str, payload: dict[str, Any]) -> Any:
        assert self.relay is not None
        req = urllib.request.Request(  # noqa: S310 - loopback
            url, data=json.dumps(payload).encode(), headers={
            "Authorization": f"Bearer {self.relay.relay_token}",
            "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as reply:  # noqa: S310 - loopback
            return json.loads(reply.read())
