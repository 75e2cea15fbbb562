from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..lib.relay_client import RelayError
from .hr_employee import _notify
from .zk_day_exception import zones_differ

ROLES = [("user", "User"), ("enroller", "Enroller"), ("admin", "Administrator"),
         ("super_admin", "Super administrator"), ("other", "Other")]
ROLE_BY_PRIVILEGE = {0: "user", 2: "enroller", 6: "admin", 14: "super_admin"}


class ZkDeviceUser(models.Model):
    """Biometric user registry: a device PIN mapped to an employee, per terminal.

    PINs are strings (leading zeros matter, adms §5.1). A closed mapping (employee left)
    is archived, never deleted, so old punches still explain who they were.

    Time zones: a terminal's punches are wall-clock times in the terminal's zone, but the
    employee's days are computed in the employee's zone. When a PIN is mapped, an employee
    still on the company's default zone takes the terminal's (see
    hr.employee._zk_has_default_tz); a zone somebody chose is kept, and the line is flagged
    until the zones agree.
    """

    _name = "zk.device.user"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Biometric User (terminal PIN)"
    _order = "device_id, pin"
    _rec_name = "pin"

    device_id = fields.Many2one("zk.device", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="device_id.company_id", store=True)
    pin = fields.Char(string="PIN", required=True, index=True)
    employee_id = fields.Many2one("hr.employee", index=True, ondelete="restrict", tracking=True)
    device_name = fields.Char(string="Name on terminal", readonly=True,
                              help="The user name the terminal reported (OPERLOG USER).")
    privilege = fields.Integer(readonly=True, help="0 user, 2 enroller, 6 admin, 14 super admin")
    role = fields.Selection(ROLES, string="Role on terminal", compute="_compute_role",
                            help="What the user may do on the terminal, as it reported.")
    card = fields.Char(readonly=True)
    active = fields.Boolean(default=True)
    date_closed = fields.Datetime(readonly=True)
    sync_state = fields.Selection(
        [("unmapped", "Not matched"), ("pending", "Waiting for the terminal"),
         ("synced", "On the terminal"), ("error", "Refused by the terminal")], string="State",
        compute="_compute_sync_state", store=True, readonly=False,
    )
    sync_message = fields.Char(string="Message from the terminal", readonly=True)
    command_id = fields.Integer(readonly=True, help="Relay command that carries the last change "
                                "to the terminal; followed until the terminal answers.")
    command_kind = fields.Char(readonly=True)
    timezone = fields.Selection(related="device_id.timezone", string="Terminal's time zone")
    employee_tz = fields.Selection(related="employee_id.tz", string="Employee's time zone")
    tz_mismatch = fields.Boolean(
        string="Time zone differs", compute="_compute_tz_mismatch", store=True,
        help="The employee's time zone gives other hours than the terminal's: their punches "
             "would be read at the wrong time of day.")
    tz_warning = fields.Char(string="Time zone warning", compute="_compute_tz_warning",
                             compute_sudo=True)

    @api.depends("privilege")
    def _compute_role(self):
        for line in self:
            line.role = ROLE_BY_PRIVILEGE.get(line.privilege or 0, "other")

    @api.depends("active", "employee_id.tz", "device_id.timezone")
    def _compute_tz_mismatch(self):
        for line in self:
            line.tz_mismatch = bool(line.active and line.employee_id and zones_differ(
                line.employee_id.tz or line.employee_id._get_tz(), line.device_id.timezone))

    @api.depends("tz_mismatch", "employee_id.tz", "device_id.timezone")
    def _compute_tz_warning(self):
        for line in self:
            line.tz_warning = line.tz_mismatch and self.env._(
                "%(employee)s's time zone is %(own)s, terminal %(terminal)s's is %(zone)s: "
                "their punches would be read at the wrong hours (check-outs paired with the "
                "next morning, lateness and overtime that never happened). Use the terminal's "
                "zone for the employee, or correct the terminal's zone if it is wrong.",
                employee=line.employee_id.name, own=line.employee_tz or "-",
                terminal=line.device_id.display_name, zone=line.timezone or "-")

    @api.depends("employee_id")
    def _compute_sync_state(self):
        for line in self:
            if not line.employee_id:
                line.sync_state = "unmapped"
            elif line.sync_state in (False, "unmapped"):
                line.sync_state = "synced" if line.device_name else "pending"

    def init(self):
        # One open mapping per terminal and PIN; closed (archived) ones stay for history.
        self.env.cr.execute(
            "CREATE UNIQUE INDEX IF NOT EXISTS zk_device_user_open_pin_uniq "
            "ON zk_device_user (device_id, pin) WHERE active"
        )

    @api.constrains("pin")
    def _check_pin(self):
        for line in self:
            if not line.pin.strip() or line.pin != line.pin.strip():
                raise ValidationError(self.env._(
                    "A PIN cannot be empty or begin or end with spaces."))

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines.filtered("employee_id")._zk_apply_terminal_zone()
        lines.filtered("employee_id")._reprocess_punches()
        return lines

    def write(self, vals):
        audited = {"employee_id", "pin", "active"} & set(vals)
        before = {line.id: {f: line[f].id if f == "employee_id" else line[f] for f in audited}
                  for line in self} if audited else {}
        result = super().write(vals)
        if audited:
            after = {line.id: {f: line[f].id if f == "employee_id" else line[f]
                               for f in audited} for line in self}
            self.env["zk.audit.entry"]._log(self, "mapping_change", before=before, after=after,
                                            reason=self.env.context.get("zk_reason"))
        if vals.get("employee_id"):
            self._zk_apply_terminal_zone()
        if "employee_id" in vals or "pin" in vals:
            self.filtered("employee_id")._reprocess_punches()
        return result

    def _zk_apply_terminal_zone(self):
        """Mapped: an employee on the company's default zone takes the terminal's zone (when
        their other terminals agree with it); a zone somebody chose is kept, and flagged."""
        done = []
        for line in self.filtered(lambda ln: ln.active and ln.employee_id):
            # sudo: the employee's zone and other terminals decide; officers may not read
            # employees (only their public profile) yet they map PINs.
            employee = line.employee_id.sudo()
            zone = line.device_id.timezone
            if not zones_differ(employee.tz or employee._get_tz(), zone) \
                    or not employee._zk_has_default_tz():
                continue
            others = employee.zk_user_ids.filtered(lambda o, ln=line: o.active and o != ln)
            if any(zones_differ(zone, other.device_id.timezone) for other in others):
                continue
            body = line.employee_id._zk_adopt_terminal_zone(zone, line.device_id)
            line.message_post(body=Markup("<p>%s</p>") % body)
            done.append(body)
        if done:
            self.env.user._bus_send("simple_notification", {
                "type": "info", "title": self.env._("Time zone set from the terminal"),
                "message": "\n".join(done)})

    def action_use_terminal_zone(self):
        """One click: the employee takes this terminal's zone (the warning goes away)."""
        self.ensure_one()
        body = self.employee_id._zk_adopt_terminal_zone(self.timezone, self.device_id,
                                                        automatic=False)
        self.message_post(body=Markup("<p>%s</p>") % body)
        return _notify(self.env._("Time zone updated"), body)

    def _reprocess_punches(self):
        """Unmapped punches of a PIN are processed as soon as the PIN is mapped."""
        punches = self.env["zk.punch"]
        for line in self:
            punches |= punches.search([
                ("device_id", "=", line.device_id.id), ("pin", "=", line.pin),
                ("state", "in", ("new", "unmapped")),
            ])
        if punches:
            punches._process()

    @api.model
    def _merge_reported_users(self, users):
        """Apply OPERLOG USER rows: refresh known PINs, add unknown ones as unmatched lines.

        The last row per terminal and PIN wins (rows come in relay order).
        """
        latest = {(u["serial"], u["pin"]): u for u in users if u.get("pin")}
        devices = {d.serial: d for d in self.env["zk.device"].search(
            [("serial", "in", list({serial for serial, _pin in latest}))])}
        existing = {(line.device_id.serial, line.pin): line for line in self.search([
            ("device_id", "in", [d.id for d in devices.values()]),
            ("pin", "in", list({pin for _serial, pin in latest})),
        ])}
        to_create = []
        for key, user in latest.items():
            device = devices.get(key[0])
            if not device:
                continue  # an unknown terminal: its punches wait for review already
            vals = {"device_name": user.get("name") or False,
                    "privilege": _int_or_zero(user.get("privilege")),
                    "card": user.get("card") or False}
            line = existing.get(key)
            if line:
                if line.sync_state == "pending":
                    vals.update(sync_state="synced", sync_message=False)
                line.write(vals)
            else:
                to_create.append(dict(vals, device_id=device.id, pin=key[1]))
        return self.with_context(mail_create_nolog=True, mail_create_nosubscribe=True).create(
            to_create)

    def action_close(self):
        """Close the mapping (employee left): kept for history, no longer matched, and the
        user is removed from a relay terminal (the command is followed to its result)."""
        self.write({"active": False, "date_closed": fields.Datetime.now()})
        self.with_context(active_test=False)._queue("user_delete")
        return True

    @api.model
    def _close_for_employees(self, employees):
        lines = self.search([("employee_id", "in", employees.ids)])
        lines.action_close()
        return lines

    def action_push_to_terminal(self):
        """Create or update the employee as a user on the terminal (relay command)."""
        self._queue("user_upsert")
        return True

    def _queue(self, kind):
        """Queue a user command on each line's relay; the line is pending until the result."""
        for line in self.filtered(lambda ln: ln.device_id.connection == "relay"
                                  and ln.device_id.relay_id):
            params = {"pin": line.pin}
            if kind == "user_upsert":
                name = (line.employee_id.name or line.device_name or "")[:64]
                params.update(name=name, privilege=line.privilege or 0)
            try:
                command = line.device_id.relay_id._command_client().queue_command(
                    line.device_id.serial, kind, **params)
            except RelayError as exc:
                line.write({"sync_state": "error", "sync_message": str(exc)})
                continue
            line.write({"sync_state": "pending", "command_id": int(command["id"]),
                        "command_kind": kind, "sync_message": self.env._(
                            "Sent to the relay as command #%s; waiting for the terminal.",
                            command["id"])})
        for line in self.filtered(lambda ln: ln.device_id.connection == "direct"):
            line.write({"sync_message": self.env._(
                "Terminals polled directly are not written to; change the user on the "
                "terminal itself.")})

    @api.model
    def _follow_commands(self, relay):
        """Read the results of this relay's pending user commands (adms §4.8)."""
        lines = self.with_context(active_test=False).search([
            ("device_id.relay_id", "=", relay.id), ("sync_state", "=", "pending"),
            ("command_id", "!=", 0)])
        if not lines:
            return lines
        for line, command in relay._command_results(lines, "sync_message"):
            if command["state"] == "done":
                line.write({"sync_state": "synced", "sync_message": self.env._(
                    "Removed from the terminal.") if line.command_kind == "user_delete"
                    else self.env._("On the terminal.")})
            elif command["state"] == "failed":
                line.write({"sync_state": "error", "sync_message": self.env._(
                    "The terminal refused command #%(id)s (Return=%(code)s).",
                    id=command["id"], code=command.get("return_code"))})
        return lines


def _int_or_zero(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
