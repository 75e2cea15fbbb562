import logging
import random
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from odoo.addons.base.models.res_partner import _tz_get

from zk_rules.backoff import backoff_delay

from ..lib.direct_poll import TerminalError, read_terminal
from ..lib.relay_client import RelayError

_logger = logging.getLogger(__name__)

# Health thresholds: a pushing terminal polls getrequest every few seconds (adms §3).
SEEN_OK_MINUTES = 15
SEEN_LATE_HOURS = 24
# Direct polling retries: full-jitter exponential backoff from 30 s up to 1 h.
POLL_BACKOFF_BASE = 30
POLL_BACKOFF_CAP = 3600
IMPORT_CHUNK = 1000


class ZkDevice(models.Model):
    """A ZKTeco terminal: reached through a relay (ADMS push) or polled directly (pyzk)."""

    _name = "zk.device"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "ZKTeco Terminal"
    _order = "name, serial"
    _rec_names_search = ["name", "serial"]

    serial = fields.Char(required=True, copy=False, tracking=True,
                         help="Serial number (SN) of the terminal.")
    name = fields.Char(tracking=True, help="A name people recognise, e.g. 'Main entrance'.")
    timezone = fields.Selection(
        _tz_get, required=True, default=lambda s: s.env.user.tz or "UTC", tracking=True,
        help="IANA zone of the terminal's clock; its punches are local times in this zone.",
    )
    active = fields.Boolean(default=True, tracking=True)
    state = fields.Selection(
        [("discovered", "Waiting for approval"), ("active", "Active")], default="active",
        required=True, tracking=True,
        help="Waiting for approval: the relay knows this serial (it knocked, or it was added "
        "on the relay) and Odoo does not import its punches until it is approved.",
    )
    company_id = fields.Many2one("res.company", required=True, default=lambda s: s.env.company)
    work_location_id = fields.Many2one("hr.work.location", string="Branch / work location")
    connection = fields.Selection(
        [("relay", "Through a relay (ADMS push)"), ("direct", "Polled directly (pyzk)")],
        default="relay", required=True, tracking=True,
    )
    relay_id = fields.Many2one("zk.relay", ondelete="restrict", index=True, tracking=True)
    address = fields.Char(help="IP address or host name, for terminals polled directly.")
    port = fields.Integer(default=4370)
    poll_password = fields.Integer(
        string="Comm key", groups="hr_attendance.group_hr_attendance_manager",
        help="Communication password set on the terminal (0 = none).")
    poll_interval = fields.Integer(string="Poll every (minutes)", default=5)
    last_poll_at = fields.Datetime(readonly=True)
    next_poll_at = fields.Datetime(readonly=True)
    poll_failures = fields.Integer(readonly=True, help="Consecutive failed polls.")
    last_poll_error = fields.Char(readonly=True)
    last_seen = fields.Datetime(readonly=True)
    firmware = fields.Char(readonly=True)
    user_count = fields.Integer(readonly=True, string="Users")
    fingerprint_count = fields.Integer(readonly=True, string="Fingerprints")
    attlog_count = fields.Integer(readonly=True, string="Attendance records")
    relay_sync_error = fields.Char(readonly=True, tracking=True,
                                   help="Why the terminal could not be registered on its relay.")
    health = fields.Selection(
        [("pending", "Waiting for approval"), ("unknown", "Never seen"), ("ok", "Online"),
         ("late", "Not seen recently"), ("down", "Offline")],
        compute="_compute_health",
    )
    punch_count = fields.Integer(compute="_compute_punch_count")
    user_ids = fields.One2many("zk.device.user", "device_id", string="Biometric users")

    _sql_constraints = [
        ("serial_unique", "UNIQUE(serial)", "A terminal with this serial number already exists."),
    ]

    @api.constrains("connection", "relay_id", "address")
    def _check_connection(self):
        for device in self:
            if device.connection == "relay" and not device.relay_id:
                raise ValidationError(self.env._("Terminal %s: choose the relay it pushes to.",
                                        device.serial))
            if device.connection == "direct" and not device.address:
                raise ValidationError(self.env._("Terminal %s: give the address to poll it at.",
                                        device.serial))

    @api.depends("last_seen", "state")
    def _compute_health(self):
        now = fields.Datetime.now()
        for device in self:
            if device.state == "discovered":
                device.health = "pending"
            elif not device.last_seen:
                device.health = "unknown"
            elif now - device.last_seen <= timedelta(minutes=SEEN_OK_MINUTES):
                device.health = "ok"
            elif now - device.last_seen <= timedelta(hours=SEEN_LATE_HOURS):
                device.health = "late"
            else:
                device.health = "down"

    def _compute_punch_count(self):
        counts = dict(self.env["zk.punch"]._read_group(
            [("device_id", "in", self.ids)], ["device_id"], ["__count"]))
        for device in self:
            device.punch_count = counts.get(device, 0)

    @api.depends("name", "serial")
    def _compute_display_name(self):
        for device in self:
            device.display_name = (f"{device.name} ({device.serial})" if device.name
                                   else device.serial)

    # ------------------------------------------------------------------ relay registration
    @api.model_create_multi
    def create(self, vals_list):
        devices = super().create(vals_list)
        devices.filtered(lambda d: d.state == "active")._register_on_relay()
        return devices

    def write(self, vals):
        result = super().write(vals)
        if self.env.context.get("zk_from_relay"):
            return result  # facts reported by the relay itself: nothing to send back
        if {"timezone", "name", "active", "state", "relay_id", "connection"} & set(vals):
            self.filtered(lambda d: d.state == "active")._register_on_relay()
        return result

    def _register_on_relay(self):
        """Register (or update, or disable) each relay terminal on its relay's API.

        A relay that cannot be reached does not block the edit: the error is kept on the
        terminal and "Register on relay" retries.
        """
        for device in self.filtered(lambda d: d.connection == "relay" and d.relay_id):
            try:
                client = device.relay_id._client()
                if device.active:
                    client.put_device(device.serial, device.timezone, device.name or None, True)
                else:
                    client.delete_device(device.serial)
            except RelayError as exc:
                error = str(exc)
            else:
                error = False
            if device.relay_sync_error != error:
                device.with_context(zk_from_relay=True).write({"relay_sync_error": error})

    def action_register_on_relay(self):
        self._register_on_relay()
        failed = self.filtered("relay_sync_error")
        if failed:
            raise ValidationError("\n".join(f"{d.serial}: {d.relay_sync_error}" for d in failed))
        return True

    def action_approve(self):
        """Approve discovered serials: they become active terminals registered on the relay.

        Punches the relay already delivered for them (kept for review, or stored before the
        terminal existed in Odoo) are linked to the terminal and processed again.
        """
        todo = self.filtered(lambda d: d.state == "discovered")
        todo.write({"state": "active"})
        for device in todo:
            device.message_post(body=self.env._("Terminal approved: its punches are imported."),
                                subtype_xmlid="mail.mt_note")
        todo._adopt_punches()
        return True

    def _adopt_punches(self):
        """Link the punches stored under these serials and process those still waiting."""
        Punch = self.env["zk.punch"]
        for device in self:
            waiting = Punch.search([("serial", "=", device.serial), ("state", "!=", "done"),
                                    "|", ("device_id", "=", False),
                                    ("device_id", "=", device.id)])
            orphans = waiting.filtered(lambda p: not p.device_id)
            if orphans:
                orphans._link_device(device)
            waiting._process()

    # ------------------------------------------------------------------ direct polling
    @api.model
    def _cron_poll_direct(self):
        """Scheduled action: poll the directly reachable terminals that are due."""
        now = fields.Datetime.now()
        due = self.search([("connection", "=", "direct"), ("state", "=", "active"),
                           "|", ("next_poll_at", "=", False), ("next_poll_at", "<=", now)])
        for device in due:
            device._poll_once(now)
        return len(due)

    def action_poll_now(self):
        for device in self.filtered(lambda d: d.connection == "direct"):
            device._poll_once(fields.Datetime.now())
        failed = self.filtered("last_poll_error")
        if failed:
            raise ValidationError("\n".join(f"{d.serial}: {d.last_poll_error}" for d in failed))
        return True

    def _poll_once(self, now, uniform=random.uniform):
        """Read the terminal with pyzk; on failure back off with full jitter (capped)."""
        self.ensure_one()
        # sudo: the comm key is visible to administrators only; the poll needs it.
        password = self.sudo().poll_password or 0
        try:
            data = read_terminal(self.address, self.port or 4370, password)
            if data.get("serial") and data["serial"] != self.serial:
                raise TerminalError(self.env._(
                    "The terminal at %(address)s reports serial %(found)s, not %(serial)s.",
                    address=self.address, found=data["serial"], serial=self.serial))
        except TerminalError as exc:
            failures = self.poll_failures + 1
            delay = backoff_delay(failures, POLL_BACKOFF_BASE, POLL_BACKOFF_CAP, uniform)
            _logger.warning("zk terminal %s: poll failed (%s), next try in %.0f s",
                            self.serial, exc, delay)
            self.write({"last_poll_at": now, "poll_failures": failures,
                        "last_poll_error": str(exc),
                        "next_poll_at": now + timedelta(seconds=delay)})
            return False
        records = data.get("records", [])
        Punch = self.env["zk.punch"]
        for start in range(0, len(records), IMPORT_CHUNK):
            Punch._import_polled(self, records[start:start + IMPORT_CHUNK])
        self.env["zk.device.user"]._merge_reported_users(
            [dict(user, serial=self.serial) for user in data.get("users", [])])
        self.with_context(zk_from_relay=True).write({
            "last_poll_at": now, "last_seen": now, "poll_failures": 0, "last_poll_error": False,
            "next_poll_at": now + timedelta(minutes=max(self.poll_interval, 1)),
            "firmware": data.get("firmware") or self.firmware,
            "user_count": len(data.get("users", [])), "attlog_count": len(records),
        })
        return True

    def action_view_punches(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "hr_zk_attendance.zk_punch_action")
        action["domain"] = [("device_id", "=", self.id)]
        return action

    @api.model
    def _merge_relay_listing(self, relay, listing):
        """Apply a relay's /devices answer: refresh known terminals, add the others.

        A terminal the relay knows and Odoo does not (registered on the relay with
        `zk-relay device add`, or an unknown serial that knocked) is created waiting for
        approval, with the zone and name the relay has: Odoo imports a terminal's punches
        only once a person approved it. Returns {"new": [serials], "updated": count,
        "unknown_to_relay": [serials of this relay's active terminals the relay lacks]}.
        """
        registered = listing.get("devices", [])
        knocking = listing.get("pending", [])
        known = {d.serial: d for d in self.with_context(active_test=False).search(
            [("serial", "in", [d["serial"] for d in registered]
              + [p["serial"] for p in knocking])])}
        default_tz = relay.company_id.partner_id.tz or self.env.user.tz or "UTC"
        zones = {zone for zone, _label in _tz_get(self)}
        summary = {"new": [], "updated": 0, "unknown_to_relay": []}
        for entry in registered:
            device = known.get(entry["serial"])
            if not device:
                device = self.create({
                    "serial": entry["serial"], "state": "discovered", "relay_id": relay.id,
                    "name": entry.get("name") or False, "company_id": relay.company_id.id,
                    "timezone": entry.get("timezone") if entry.get("timezone") in zones
                    else default_tz,
                    "last_seen": _parse_instant(entry.get("last_seen")),
                })
                known[device.serial] = device
                summary["new"].append(device.serial)
                continue
            summary["updated"] += 1
            info = entry.get("info") or {}
            vals = {
                "last_seen": _parse_instant(entry.get("last_seen")),
                "firmware": info.get("firmware") or device.firmware,
                "user_count": _int(info.get("users"), device.user_count),
                "fingerprint_count": _int(info.get("fingerprints"), device.fingerprint_count),
                "attlog_count": _int(info.get("attlogs"), device.attlog_count),
            }
            device.with_context(zk_from_relay=True).write(vals)
        for entry in knocking:
            if entry["serial"] in known:
                continue
            device = self.create({
                "serial": entry["serial"],
                "state": "discovered",
                "relay_id": relay.id,
                "company_id": relay.company_id.id,
                "timezone": default_tz,
                "last_seen": _parse_instant(entry.get("last_seen")),
            })
            known[device.serial] = device
            summary["new"].append(device.serial)
        on_relay = {d["serial"] for d in registered}
        summary["unknown_to_relay"] = sorted(
            relay.device_ids.filtered(
                lambda d: d.state == "active" and d.connection == "relay"
                and d.serial not in on_relay).mapped("serial"))
        return summary


def _int(value, default):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _parse_instant(text):
    """Relay instants are ISO-8601 UTC; Odoo stores naive UTC."""
    if not text:
        return False
    value = fields.Datetime.to_datetime(text.replace("T", " ")[:19])
    return value
