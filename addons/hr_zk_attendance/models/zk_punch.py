import logging
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from odoo import api, fields, models
from odoo.tools import SQL

from zk_rules import admission
from zk_rules.fingerprint import punch_fingerprint

from .zk_time_tools import _naive_utc

_logger = logging.getLogger(__name__)

LOCAL_FORMAT = "%Y-%m-%d %H:%M:%S"

# Attendance state keys (adms-protocol.md 5.1) and verify modes (5.2, PUSH appendix 7).
STATUS_NAMES = {
    0: "Check-in", 1: "Check-out", 2: "Break out", 3: "Break in", 4: "Overtime in",
    5: "Overtime out", 255: "No state key",
}
VERIFY_NAMES = {
    0: "Any", 1: "Fingerprint", 2: "User ID", 3: "Password", 4: "Card",
    5: "Fingerprint or password", 6: "Fingerprint or card", 7: "Card or password",
    8: "User ID and fingerprint", 9: "Fingerprint and password", 10: "Card and fingerprint",
    11: "Card and password", 12: "Fingerprint, password and card",
    13: "User ID, fingerprint and password", 14: "User ID or card, and fingerprint",
    15: "Face", 16: "Face and fingerprint", 17: "Face and password", 18: "Face and card",
    19: "Face, fingerprint and card", 20: "Face, fingerprint and password",
    21: "Finger vein", 22: "Finger vein and password", 23: "Finger vein and card",
    24: "Finger vein, password and card", 25: "Palm", 26: "Palm and card",
    27: "Palm and face", 28: "Palm and fingerprint", 29: "Palm, fingerprint and face",
    200: "Other",
}

STATES = [
    ("new", "New"),
    ("unmapped", "Unknown PIN"),
    ("review", "To review"),
    ("done", "Processed"),
    ("superseded", "Replaced by an adjustment"),
]


class ZkPunch(models.Model):
    """Punch log: one row per terminal event, as the terminal sent it.

    The fingerprint (serial, PIN, local time) is unique in the database, so any re-run, resend
    or second path (relay and direct poll, two relays) stores a punch once.
    """

    _name = "zk.punch"
    _description = "Terminal Punch"
    _order = "timestamp_utc desc, id desc"
    _rec_names_search = ["pin", "employee_id", "serial", "local_time"]

    fingerprint = fields.Char(required=True, readonly=True, index=False,
                              help="SHA-256 of serial, PIN and local time: the punch's "
                              "identity, stored once whatever path brought it.")
    device_id = fields.Many2one("zk.device", string="Terminal", readonly=True, index=True,
                                ondelete="restrict")
    relay_id = fields.Many2one("zk.relay", readonly=True, index=True, ondelete="restrict")
    relay_event_id = fields.Integer(readonly=True, string="Relay event id")
    page_id = fields.Many2one("zk.relay.page", readonly=True, index="btree_not_null",
                              ondelete="restrict", string="Signed page",
                              help="The signed page of the relay this punch came in.")
    source = fields.Selection([("relay", "Relay"), ("direct", "Direct poll"),
                               ("adjustment", "Approved adjustment")], readonly=True,
                              required=True, default="relay")
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    serial = fields.Char(required=True, readonly=True)
    pin = fields.Char(string="PIN", required=True, readonly=True, index=True)
    local_time = fields.Char(string="Terminal time", required=True, readonly=True,
                             help="The terminal's wall-clock time, exactly as it sent it, in "
                             "the terminal's time zone.")
    timezone = fields.Char(string="Terminal zone", required=True, readonly=True,
                           help="IANA zone of the terminal.")
    timestamp_utc = fields.Datetime(string="Time (your zone)", readonly=True,
                                    help="The punch's instant, shown in your own time zone "
                                    "(derived from the terminal time and zone).")
    utc_text = fields.Char(string="Instant (UTC)", compute="_compute_utc_text",
                           help="The punch's instant in UTC, for support.")
    status = fields.Integer(string="Status code", readonly=True,
                            help="Attendance state key as the terminal sent it: 0 in, 1 out, "
                            "2 break out, 3 break in, 4 overtime in, 5 overtime out, 255 none.")
    status_label = fields.Char(string="Status", compute="_compute_labels",
                               help="The key the person pressed, with the terminal's code.")
    verify = fields.Integer(string="Verify code", readonly=True)
    verify_label = fields.Char(string="Verified by", compute="_compute_labels",
                               help="How the terminal recognised the person, with its code.")
    workcode = fields.Char(readonly=True)
    received_at = fields.Datetime(readonly=True)
    employee_id = fields.Many2one("hr.employee", readonly=True, index=True)
    state = fields.Selection(STATES, default="new", required=True, readonly=True, index=True)
    state_reason = fields.Char(string="Reason", readonly=True)
    attendance_id = fields.Many2one("hr.attendance", readonly=True, ondelete="set null",
                                    index="btree_not_null")
    pairing_pending = fields.Boolean(readonly=True, index=True,
                                     help="Processed, waiting to be paired into attendances.")
    record_pending = fields.Boolean(readonly=True, index=True,
                                    help="Its day's record is to be computed again.")

    @api.depends("status", "verify")
    def _compute_labels(self):
        for punch in self:
            punch.status_label = _code_label(punch.status, STATUS_NAMES, self.env._("Status"))
            punch.verify_label = _code_label(punch.verify, VERIFY_NAMES, self.env._("Mode"))

    @api.depends("timestamp_utc")
    def _compute_utc_text(self):
        for punch in self:
            punch.utc_text = (punch.timestamp_utc.strftime("%Y-%m-%d %H:%M:%S UTC")
                              if punch.timestamp_utc else False)

    @api.depends("employee_id", "pin", "local_time", "device_id", "serial")
    def _compute_display_name(self):
        for punch in self:
            who = punch.employee_id.name or self.env._("PIN %s", punch.pin)
            where = punch.device_id.display_name or punch.serial
            punch.display_name = f"{who}, {(punch.local_time or '')[:16]}, {where}"

    def init(self):
        # The database, not Python, guarantees a punch is stored once (architecture.md).
        self.env.cr.execute(
            "CREATE UNIQUE INDEX IF NOT EXISTS zk_punch_fingerprint_uniq "
            "ON zk_punch (fingerprint)"
        )

    # ------------------------------------------------------------------ import
    @api.model
    def _import_relay_events(self, relay, events, page_record=None):
        """Store one relay page (verified by the caller). Returns (created, duplicates)."""
        devices = self._devices_by_serial({e["serial"] for e in events})
        rows = []
        for event in events:
            device = devices.get(event["serial"])
            fingerprint = punch_fingerprint(event["serial"], event["pin"], event["local_time"])
            if event.get("fingerprint") and event["fingerprint"] != fingerprint:
                _logger.warning("zk relay %s: event %s fingerprint differs from ours",
                                relay.name, event.get("id"))
            rows.append({
                "fingerprint": fingerprint,
                "device_id": device.id if device else None,
                "relay_id": relay.id,
                "relay_event_id": int(event["id"]),
                "page_id": page_record.id if page_record else None,
                "source": "relay",
                "company_id": (device.company_id if device else relay.company_id).id,
                "serial": event["serial"],
                "pin": event["pin"],
                "local_time": event["local_time"],
                "timezone": event.get("timezone") or (device.timezone if device else "UTC"),
                "status": event.get("status"),
                "verify": event.get("verify"),
                "workcode": event.get("workcode") or None,
                "received_at": _naive_utc(event.get("received_at")),
            })
        created = self._insert_rows(rows)
        created._process()
        return len(created), len(rows) - len(created)

    @api.model
    def _import_polled(self, device, records):
        """Store records read directly from a terminal (pyzk). Returns (created, duplicates)."""
        rows = [{
            "fingerprint": punch_fingerprint(device.serial, r["pin"], r["local_time"]),
            "device_id": device.id, "relay_id": None, "relay_event_id": None,
            "page_id": None, "source": "direct", "company_id": device.company_id.id,
            "serial": device.serial,
            "pin": r["pin"], "local_time": r["local_time"], "timezone": device.timezone,
            "status": r.get("status"), "verify": r.get("verify"), "workcode": None,
            "received_at": fields.Datetime.now(),
        } for r in records]
        created = self._insert_rows(rows)
        created._process()
        return len(created), len(rows) - len(created)

    def _devices_by_serial(self, serials):
        devices = self.env["zk.device"].with_context(active_test=False).search(
            [("serial", "in", list(serials))])
        return {d.serial: d for d in devices}

    @api.model
    def _insert_rows(self, rows):
        """Insert punches; a fingerprint already stored is skipped by the unique index.

        Plain SQL with ON CONFLICT DO NOTHING: concurrent pulls (two cron workers, two relays
        delivering the same punch) cannot both insert it, and a page is one statement.
        """
        if not rows:
            return self.browse()
        now = fields.Datetime.now()
        columns = ["fingerprint", "device_id", "relay_id", "relay_event_id", "page_id", "source",
                   "company_id", "serial", "pin", "local_time", "timezone", "timestamp_utc",
                   "status", "verify", "workcode", "received_at", "state",
                   "create_uid", "create_date", "write_uid", "write_date"]
        values = []
        for row in rows:
            row = dict({"page_id": None}, **row,
                       timestamp_utc=_provisional_utc(row["local_time"], row["timezone"]),
                       state="new", create_uid=self.env.uid, create_date=now,
                       write_uid=self.env.uid, write_date=now)
            values.append(SQL("(%s)", SQL(", ").join(SQL("%s", row[c]) for c in columns)))
        self.env.flush_all()
        query = SQL(
            "INSERT INTO zk_punch (%s) VALUES %s ON CONFLICT (fingerprint) DO NOTHING "
            "RETURNING id",
            SQL(", ").join(SQL.identifier(c) for c in columns),
            SQL(", ").join(values),
        )
        self.env.cr.execute(query)
        ids = [row[0] for row in self.env.cr.fetchall()]
        return self.browse(sorted(ids))

    # ------------------------------------------------------------------ processing
    def _process(self):
        """Map punches to employees, keep the doubtful for review, rebuild attendances."""
        if not self:
            return
        params = self.env["ir.config_parameter"].sudo()  # sudo: read site settings only
        policy = admission.AdmissionPolicy.from_settings(
            params.get_param("hr_zk_attendance.status_codes", admission.DEFAULT_STATUS_CODES),
            params.get_param("hr_zk_attendance.future_hours", admission.DEFAULT_FUTURE_HOURS),
            params.get_param("hr_zk_attendance.past_days", admission.DEFAULT_PAST_DAYS))
        now = fields.Datetime.now()
        mapping = self._employee_mapping()
        rows = []
        for punch in self:
            employee = mapping.get((punch.device_id.id, punch.pin))
            state, reason = admission.admit(
                terminal_known=bool(punch.device_id),
                terminal_active=punch.device_id.state == "active",
                status=punch.status,
                timestamp_utc=punch.timestamp_utc or None, pin_mapped=bool(employee),
                now=now, policy=policy)
            rows.append((punch.id, state, reason and punch._admission_text(reason), employee))
        self._write_outcomes(rows)
        if any(row[1] == "done" for row in rows):
            self.env.ref("hr_zk_attendance.ir_cron_zk_compute_daily")._trigger()

    def _admission_text(self, reason):
        """The words a person reads for a reason code of zk_rules.admission."""
        self.ensure_one()
        if reason == admission.TERMINAL_UNKNOWN:
            return self.env._(
                "Terminal %s is not in Odoo yet: press Refresh terminals on its relay, "
                "approve the terminal, and its punches are processed.", self.serial)
        if reason == admission.TERMINAL_PENDING:
            return self.env._("Terminal %s is waiting for approval.", self.serial)
        if reason == admission.STATUS_UNMAPPED:
            return self.env._("Status code %s is not mapped for this site.", self.status)
        if reason == admission.DATED_FUTURE:
            return self.env._("Dated in the future: is the terminal clock right?")
        if reason == admission.DATED_PAST:
            return self.env._("Dated long ago: is the terminal clock right?")
        return self.env._(
            "PIN %(pin)s is not mapped to an employee on %(terminal)s: map it under "
            "Biometric users, then Re-process.",
            pin=self.pin, terminal=self.device_id.display_name)

    def _write_outcomes(self, rows):
        """Store (id, state, reason, employee) for a whole page in one statement.

        A page touches hundreds of employees; grouped ORM writes would be one UPDATE per
        employee. zk.punch has no write hooks or dependent stored fields to bypass.
        """
        self.env.flush_all()
        self.env.cr.execute(SQL(
            "UPDATE zk_punch SET state = v.state, state_reason = v.reason, "
            "employee_id = v.employee, pairing_pending = (v.state = 'done'), "
            "record_pending = (v.state = 'done'), "
            "write_uid = %s, write_date = %s "
            "FROM (VALUES %s) AS v(id, state, reason, employee) WHERE zk_punch.id = v.id",
            self.env.uid, fields.Datetime.now(),
            SQL(", ").join(SQL("(%s, %s, %s::varchar, %s::int)", pid, state, reason,
                               employee.id if employee else None)
                           for pid, state, reason, employee in rows)))
        self.invalidate_model(["state", "state_reason", "employee_id", "pairing_pending",
                               "record_pending", "write_uid", "write_date"])

    def _employee_mapping(self):
        lines = self.env["zk.device.user"].search([
            ("device_id", "in", self.device_id.ids), ("pin", "in", list(set(self.mapped("pin")))),
            ("employee_id", "!=", False),
        ])
        return {(line.device_id.id, line.pin): line.employee_id for line in lines}

    def _link_device(self, device):
        """Punches stored before their terminal existed in Odoo now belong to it."""
        self.write({"device_id": device.id, "company_id": device.company_id.id})

    def action_reprocess(self):
        """One-click re-processing of punches kept for review or with an unknown PIN."""
        todo = self.filtered(lambda p: p.state != "done")
        todo._process()
        return True


def _code_label(code, names, unknown):
    """'Check-in (0)': the name a person reads, the raw code beside it for support; a code
    no terminal documents reads 'Status 7'. One place for these names: the punch log and the
    day's punches behind every decision (zk_day_view) use it."""
    if code is None or code is False:
        return False
    name = names.get(code)
    return f"{name} ({code})" if name else f"{unknown} {code}"


def _provisional_utc(local_time, zone):
    """UTC instant of a device-local time; fold=0 in DST gaps and repeats (E0.3).

    The ambiguous autumn hour is resolved again per employee when attendances are built.
    """
    try:
        tz = ZoneInfo(zone)
        local = datetime.strptime(local_time, LOCAL_FORMAT)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return local.replace(tzinfo=tz, fold=0).astimezone(UTC).replace(tzinfo=None)
