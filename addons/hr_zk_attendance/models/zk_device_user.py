from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..lib.relay_client import RelayError


class ZkDeviceUser(models.Model):
    """Biometric user registry: a device PIN mapped to an employee, per terminal.

    PINs are strings (leading zeros matter, adms §5.1). A closed mapping (employee left)
    is archived, never deleted, so old punches still explain who they were.
    """

    _name = "zk.device.user"
    _description = "Biometric User (terminal PIN)"
    _order = "device_id, pin"
    _rec_name = "pin"

    device_id = fields.Many2one("zk.device", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="device_id.company_id", store=True)
    pin = fields.Char(string="PIN", required=True, index=True)
    employee_id = fields.Many2one("hr.employee", index=True, ondelete="restrict")
    device_name = fields.Char(string="Name on terminal", readonly=True,
                              help="The user name the terminal reported (OPERLOG USER).")
    privilege = fields.Integer(readonly=True, help="0 user, 2 enroller, 6 admin, 14 super admin")
    card = fields.Char(readonly=True)
    active = fields.Boolean(default=True)
    date_closed = fields.Datetime(readonly=True)
    sync_state = fields.Selection(
        [("unmapped", "Not matched"), ("pending", "Pending"), ("synced", "Synced"),
         ("error", "Error")],
        compute="_compute_sync_state", store=True, readonly=False, default="unmapped",
    )
    sync_message = fields.Char(readonly=True)
    command_id = fields.Integer(readonly=True, help="Relay command that carries the last change "
                                "to the terminal; followed until the terminal answers.")
    command_kind = fields.Char(readonly=True)

    @api.depends("employee_id")
    def _compute_sync_state(self):
        for line in self:
            if not line.employee_id:
                line.sync_state = "unmapped"
            elif line.sync_state == "unmapped":
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
        if "employee_id" in vals or "pin" in vals:
            self.filtered("employee_id")._reprocess_punches()
        return result

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
        return self.create(to_create)

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
                command = line.device_id.relay_id._client().queue_command(
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
        client = relay._client()
        for line in lines:
            try:
                command = client.command(line.command_id)
            except RelayError as exc:
                line.sync_message = str(exc)
                continue
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
