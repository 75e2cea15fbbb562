import logging

from odoo import api, fields, models

from odoo.addons.hr_zk_attendance.lib.relay_client import RelayError
from odoo.addons.hr_zk_attendance.models.zk_time_tools import _naive_utc

from zk_rules.signing import PageSignatureError, verify_page

from ..lib import fleet_client
from .zk_device_day import DAY_REASONS, DAY_STATES
from .zk_device_event import EVENT_KINDS

_logger = logging.getLogger(__name__)

STATUS_PATH = "/zk/relay/status"
KNOWN_STATES = {key for key, _label in DAY_STATES}
KNOWN_REASONS = {key for key, _label in DAY_REASONS}
KNOWN_KINDS = {key for key, _label in EVENT_KINDS}
MEMORY_KINDS = ("users", "fingerprints", "faces", "attlogs")


class StatusRefused(Exception):
    """A status page that cannot be trusted: nothing of it is kept."""


def _int(value):
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


def _when(text):
    try:
        return _naive_utc(text) if isinstance(text, str) else None
    except ValueError:
        return None


class ZkRelayStatus(models.Model):
    """Reconciliation days, terminal health and terminal events from a relay: pulled with
    the events (pull mode, or push relays with an address) or pushed to /zk/relay/status.
    One import path for both, keyed so a page read twice changes nothing."""

    _inherit = "zk.relay"  # pylint: disable=consider-merging-classes-inherited

    # ------------------------------------------------------------------ pull
    def _pull_side_channels(self, client):
        more = super()._pull_side_channels(client)
        return self._pull_fleet(client) or more

    def _pull_fleet(self, client):
        """One page of reconciliation rows and of events, and the health rows. True when
        the relay has more rows waiting."""
        self.ensure_one()
        try:
            days = fleet_client.reconciliation(client, self.recon_cursor, self.page_size)
            events = fleet_client.health_events(client, self.health_event_cursor,
                                                self.page_size)
            health = fleet_client.health_terminals(client)
        except RelayError as exc:
            # An older relay without these pages, or a hiccup: the punches still flow.
            _logger.warning("zk relay %s: health and reconciliation not read: %s",
                            self.name, exc)
            return False
        try:
            for page in (days, events, health):
                self._verify_status(page)
        except StatusRefused as exc:
            _logger.warning("zk relay %s: health page refused: %s", self.name, exc)
            self._set_error(str(exc))
            return False
        if not self._same_store(days):
            return False
        self._import_days(days.get("days") or [])
        self._import_events(events.get("events") or [])
        self._import_health(health)
        self.write({"recon_cursor": max(self.recon_cursor, _int(days.get("next_after"))),
                    "health_event_cursor": max(self.health_event_cursor,
                                               _int(events.get("next_after")))})
        return bool(days.get("has_more") or events.get("has_more"))

    # ------------------------------------------------------------------ push
    def _receive_status(self, payload):
        """A status page the relay pushed (token already checked by the controller).

        Returns (HTTP status, JSON body): `200 {"committed": {"days", "events"}}`, the
        cursors Odoo keeps, from which the relay sends next (relay/README.md).
        """
        self.ensure_one()
        try:
            self._verify_status(payload)
            after = payload.get("after")
            next_after = payload.get("next_after")
            if not isinstance(after, dict) or not isinstance(next_after, dict):
                raise StatusRefused("the page has no 'after' and 'next_after' cursors")
        except StatusRefused as exc:
            return 400, {"error": "bad_signature", "message": str(exc)}
        if not self._same_store(payload):
            return 409, {"error": "store_mismatch", "store_id": self.store_id,
                         "message": "Odoo knows another store for this relay"}
        # Rows after a cursor Odoo has not reached would leave a hole: keep nothing and
        # answer where Odoo stands, so the relay sends from there.
        if _int(after.get("days")) <= self.recon_cursor \
                and _int(after.get("events")) <= self.health_event_cursor:
            self._import_days(payload.get("days") or [])
            self._import_events(payload.get("events") or [])
            self.write({
                "recon_cursor": max(self.recon_cursor, _int(next_after.get("days"))),
                "health_event_cursor": max(self.health_event_cursor,
                                           _int(next_after.get("events"))),
            })
        self._import_health(payload)
        return 200, {"committed": {"days": self.recon_cursor,
                                   "events": self.health_event_cursor}}

    # ------------------------------------------------------------------ shared
    def _verify_status(self, payload):
        if not isinstance(payload, dict):
            raise StatusRefused(self.env._("The relay's status page is not a JSON object."))
        if not self.public_key:
            raise StatusRefused(self.env._(
                "No public key is registered for relay %s: enrol it, or paste the public_key "
                "that `zk-relay key show` prints on the relay.", self.name))
        try:
            verify_page(payload, self.public_key)
        except PageSignatureError as exc:
            raise StatusRefused(self.env._(
                "A health or reconciliation page of relay %(relay)s does not carry its "
                "signature (%(why)s): nothing of it was kept.", relay=self.name,
                why=str(exc))) from None

    def _same_store(self, page):
        """Rows of another store (a rebuilt relay) wait until the events page moved Odoo to
        it; before the first event page any store is taken."""
        store = page.get("store_id")
        return not self.store_id or not store or store == self.store_id

    def _devices_by_serial(self, serials):
        devices = self.env["zk.device"].with_context(active_test=False).search(
            [("serial", "in", list(serials))])
        mine = devices.filtered(lambda d: d.relay_id == self)
        found = {d.serial: d for d in devices}
        found.update({d.serial: d for d in mine})  # the relay's own terminal first
        return found

    def _import_days(self, rows):
        rows = [r for r in rows if isinstance(r, dict) and r.get("serial") and r.get("day")]
        if not rows:
            return self.env["zk.device.day"]
        devices = self._devices_by_serial({r["serial"] for r in rows})
        Day = self.env["zk.device.day"]
        existing = {(d.device_id.id, str(d.day)): d for d in Day.search([
            ("device_id", "in", [d.id for d in devices.values()]),
            ("day", "in", list({r["day"] for r in rows}))])}
        touched = Day
        for row in rows:
            device = devices.get(row["serial"])
            if not device:
                continue  # a terminal Odoo does not know (yet): its rows come again later
            state = row.get("state") if row.get("state") in KNOWN_STATES else "not_checked"
            reason = row.get("reason")
            values = {
                "relay_id": self.id,
                "state": state,
                "reason": (reason if reason in KNOWN_REASONS else "other") if reason else False,
                "at_terminal": _int(row.get("at_terminal")),
                "at_terminal_known": row.get("at_terminal") is not None,
                "on_relay": _int(row.get("on_relay")),
                "gaps_filled": _int(row.get("gaps_filled")),
                "checked_at": _when(row.get("checked_at")),
                "attempts": _int(row.get("attempts")),
                "checking": bool(row.get("checking")),
                "revision": _int(row.get("revision")),
            }
            record = existing.get((device.id, row["day"]))
            if record and record.revision > values["revision"]:
                continue  # an older version of a row Odoo already has
            if record:
                record.write(values)
            else:
                record = Day.create({**values, "device_id": device.id, "day": row["day"]})
                existing[(device.id, row["day"])] = record
            touched |= record
        touched._refresh_imported()
        return touched

    def _import_events(self, rows):
        rows = [r for r in rows if isinstance(r, dict) and isinstance(r.get("id"), int)
                and r.get("kind") in KNOWN_KINDS]
        if not rows:
            return self.env["zk.device.event"]
        Event = self.env["zk.device.event"]
        known = set(Event.search([("relay_id", "=", self.id),
                                  ("relay_event_id", "in", [r["id"] for r in rows])])
                    .mapped("relay_event_id"))
        devices = self._devices_by_serial({r.get("serial") for r in rows if r.get("serial")})
        values = []
        for row in rows:
            if row["id"] in known:
                continue
            known.add(row["id"])
            device = devices.get(row.get("serial"))
            values.append({
                "relay_id": self.id, "relay_event_id": row["id"], "kind": row["kind"],
                "device_id": device.id if device else False,
                "company_id": (device.company_id if device else self.company_id).id,
                "detail": str(row.get("detail") or "")[:500] or False,
                "terminal_time": str(row.get("local_time") or "")[:32] or False,
                "received_at": _when(row.get("received_at")) or fields.Datetime.now(),
            })
        return Event.create(values)

    def _import_health(self, page):
        relay_row = page.get("relay")
        when = _when(page.get("generated_at")) or fields.Datetime.now()
        if isinstance(relay_row, dict):
            self.write({
                "delivery_lag_seconds": _int(relay_row.get("delivery_lag_seconds")),
                "unacked_events": _int(relay_row.get("unacked_events")),
                "relay_pages_refused": _int(relay_row.get("pages_refused")),
                "last_page_refused": str(relay_row.get("last_page_refused") or "")[:200]
                or False,
                "health_at": when,
            })
        rows = [r for r in page.get("terminals") or [] if isinstance(r, dict) and r.get("serial")]
        devices = self._devices_by_serial({r["serial"] for r in rows})
        for row in rows:
            device = devices.get(row["serial"])
            if device:
                device.write(self._health_values(row, when))

    @api.model
    def _health_values(self, row, when):
        memory = row.get("memory") if isinstance(row.get("memory"), dict) else {}
        fill = {kind: memory.get(kind) if isinstance(memory.get(kind), dict) else {}
                for kind in MEMORY_KINDS}
        percents = [f["percent"] for f in fill.values()
                    if isinstance(f.get("percent"), (int, float))]
        punches = row.get("punches") if isinstance(row.get("punches"), dict) else {}
        drift = row.get("clock_drift_seconds")
        return {
            "health_at": _when(row.get("computed_at")) or when,
            "clock_drift_known": isinstance(drift, (int, float)),
            "clock_drift_seconds": round(drift) if isinstance(drift, (int, float)) else 0,
            "face_count": _int(fill["faces"].get("held")),
            "user_capacity": _int(fill["users"].get("capacity")),
            "fingerprint_capacity": _int(fill["fingerprints"].get("capacity")),
            "face_capacity": _int(fill["faces"].get("capacity")),
            "attlog_capacity": _int(fill["attlogs"].get("capacity")),
            "memory_known": bool(percents),
            "memory_percent": min(100, round(max(percents))) if percents else 0,
            "punches_today": _int(punches.get("today")),
            "punches_usual_by_now": round(punches.get("usual_by_now") or 0),
            "punches_last_hour": _int(punches.get("last_hour")),
            "punches_usual_last_hour": round(punches.get("usual_last_hour") or 0),
        }

    # ------------------------------------------------------------------ enrolment
    @api.model
    def _enrol(self, request):
        status, body = super()._enrol(request)
        if status == 200:
            body["status_url"] = STATUS_PATH
        return status, body
