import base64
import logging

from odoo import api, fields, models

from odoo.addons.hr_zk_attendance.lib.relay_client import RelayError

from zk_rules.biometric_sync import command_outcome, compatible, item_label

_logger = logging.getLogger(__name__)

ITEMS = [("user", "User record"), ("card", "Card"), ("password", "Password"),
         ("fingerprint", "Fingerprint"), ("face", "Face"), ("palm", "Palm"),
         ("finger_vein", "Finger vein"), ("visible_face", "Visible-light face")]
STATES = [("synced", "In sync"), ("pending", "Pending"), ("failed", "Failed"),
          ("not_wanted", "Not wanted"), ("not_compatible", "Not compatible")]
# The terminal option holding the major algorithm version of each kind (adms §4.5); the relay
# reads a visible-light face's from FaceVersion too.
VERSION_FIELD = {"fingerprint": "bio_fp_version", "face": "bio_face_version",
                 "palm": "bio_palm_version", "finger_vein": "bio_vein_version",
                 "visible_face": "bio_face_version"}
SEND_BATCH = 200
USER_ITEMS = ("user", "card")  # sent as user_upsert, before the templates


class ZkBiometricSync(models.Model):
    """One cell of the sync table: one item (user record, card, password, a finger, the
    face, the palm; each sub-template of a palm or face) of one employee on one terminal,
    and whether the terminal has it."""

    _name = "zk.biometric.sync"
    _description = "Biometric Sync State"
    _order = "employee_id, device_id, item, finger_index, sub_index"

    employee_id = fields.Many2one("hr.employee", required=True, index=True, readonly=True,
                                  ondelete="cascade")
    device_id = fields.Many2one("zk.device", string="Terminal", required=True, index=True,
                                readonly=True, ondelete="cascade")
    company_id = fields.Many2one(related="device_id.company_id", store=True)
    pin = fields.Char(string="PIN", readonly=True)
    item = fields.Selection(ITEMS, required=True, readonly=True)
    finger_index = fields.Integer(readonly=True)
    sub_index = fields.Integer(readonly=True, default=0)
    template_id = fields.Many2one("zk.biometric.template", readonly=True, ondelete="cascade")
    label = fields.Char(string="What", compute="_compute_label")
    state = fields.Selection(STATES, required=True, default="pending", readonly=True,
                             index=True)
    message = fields.Char(readonly=True, help="What the terminal or the relay said.")
    command_id = fields.Integer(readonly=True)
    command_kind = fields.Char(readonly=True)
    sent_at = fields.Datetime(readonly=True)

    _sql_constraints = [
        ("cell_uniq", "UNIQUE(employee_id, device_id, item, finger_index, sub_index)",
         "One sync state per employee, terminal, item and template."),
    ]

    @api.depends("item", "finger_index", "sub_index")
    def _compute_label(self):
        for cell in self:
            cell.label = item_label(cell.item, cell.finger_index, cell.sub_index)

    # ------------------------------------------------------------------ planning
    @api.model
    def _zk_plan(self, employee, devices, templates=None):
        """Cells of the employee's templates (and user record) on these terminals: missing
        cells are created pending, or not compatible when the terminal's algorithm version
        is known to differ. Returns the new cells."""
        templates = templates if templates is not None else self.env[
            "zk.biometric.template"].sudo().search([("employee_id", "=", employee.id)])
        existing = {(c.device_id.id, c.item, c.finger_index, c.sub_index): c
                    for c in self.sudo().search(
            [("employee_id", "=", employee.id), ("device_id", "in", devices.ids)])}
        to_create = []
        # sudo: the registry of PINs (and the card numbers terminals reported) is read here.
        mappings = self.env["zk.device.user"].sudo().search([("employee_id", "=", employee.id)])
        card = mappings.filtered("card")[:1].card
        for device in devices:
            pin = employee._zk_bio_pin(device)
            if card and (device.id, "card", 0, 0) not in existing:
                here = mappings.filtered(lambda m, d=device: m.device_id == d and m.card == card)
                to_create.append({
                    "employee_id": employee.id, "device_id": device.id, "pin": pin,
                    "item": "card", "finger_index": 0,
                    "state": "synced" if here else "pending",
                    "message": self.env._("The terminal reported this card.") if here
                    else self.env._("Waiting to be sent to the terminal.")})
            if (device.id, "user", 0, 0) not in existing:
                present = device in templates.source_device_id
                to_create.append({
                    "employee_id": employee.id, "device_id": device.id, "pin": pin,
                    "item": "user", "finger_index": 0,
                    "state": "synced" if present else "pending",
                    "message": self.env._("Enrolled here.") if present else self.env._(
                        "Waiting to be sent to the terminal.")})
            for template in templates:
                # One cell per template: each sub-template of a palm or face has its own.
                key = (device.id, template.kind, template.finger_index, template.sub_index)
                vals = {"template_id": template.id, "pin": pin}
                if template.source_device_id == device:
                    vals.update(state="synced", message=self.env._("Enrolled here."))
                elif compatible(template.algorithm,
                                device[VERSION_FIELD[template.kind]]) is False:
                    vals.update(state="not_compatible", message=self.env._(
                        "Not compatible: this terminal uses %(theirs)s, the template %(ours)s.",
                        theirs=device[VERSION_FIELD[template.kind]],
                        ours=template.algorithm))
                else:
                    vals.update(state="pending", message=self.env._(
                        "Waiting to be sent to the terminal."), command_id=0)
                if key in existing:
                    existing[key].write(vals)
                else:
                    to_create.append(dict(vals, employee_id=employee.id, device_id=device.id,
                                          item=template.kind,
                                          finger_index=template.finger_index,
                                          sub_index=template.sub_index))
        # sudo: the sync table is the system's bookkeeping (written by imports and results).
        return self.sudo().create(to_create)

    # ------------------------------------------------------------------ sending
    @api.model
    def _cron_send(self):
        """Scheduled action: queue pending cells on their relays, then read the results."""
        # sudo: the system transfers templates to terminals (each transfer is audited).
        # User records first: a terminal refuses a template of a PIN it does not have (-10),
        # and the relay hands commands to a terminal in the order they were queued.
        unsent = [("state", "=", "pending"), ("command_id", "=", 0)]
        cells = self.sudo().search(unsent + [("item", "in", USER_ITEMS)], limit=SEND_BATCH)
        if len(cells) < SEND_BATCH:
            cells += self.sudo().search(unsent + [("item", "not in", USER_ITEMS)],
                                        limit=SEND_BATCH - len(cells))
        cells._zk_send()
        relays = self.sudo().search([("state", "=", "pending"), ("command_id", "!=", 0)]
                                    ).device_id.relay_id
        for relay in relays:
            self._zk_follow(relay)
        # Erasures whose command could not be queued yet (relay unreachable) are retried.
        self.env["zk.biometric.erasure.line"].sudo().search(
            [("state", "=", "to_send")], limit=SEND_BATCH)._zk_send()
        self.env["ir.cron"]._notify_progress(done=len(cells), remaining=self.sudo().search_count(
            [("state", "=", "pending"), ("command_id", "=", 0)]))

    def _zk_send(self):
        """Queue each pending cell as a relay command; the cell waits for the result."""
        for cell in self:
            device = cell.device_id
            if device.connection != "relay" or not device.relay_id:
                cell.write({"state": "failed", "message": self.env._(
                    "Not copied: Odoo does not write to terminals it polls directly. Enrol "
                    "the employee at this terminal, or connect it through a relay.")})
                continue
            try:
                command = cell._zk_queue_command(device)
            except RelayError as exc:
                outcome = cell._zk_refusal(exc)
                cell.write({"state": outcome[0], "message": outcome[1]})
                continue
            if command is None:
                continue
            cell.write({"command_id": int(command["id"]), "command_kind": command.get("kind"),
                        "sent_at": fields.Datetime.now(), "message": self.env._(
                            "Sent to the relay; waiting for the terminal.")})

    def _zk_queue_command(self, device):
        client = device.relay_id._command_client()
        if self.item in ("user", "card"):
            params = {"pin": self.pin, "name": (self.employee_id.name or "")[:64],
                      "privilege": 0}
            if self.item == "card":
                # sudo: the card number the terminals reported, read to copy it.
                params["card"] = self.env["zk.device.user"].sudo().search(
                    [("employee_id", "=", self.employee_id.id), ("card", "!=", False)],
                    limit=1).card
            return client.queue_command(device.serial, "user_upsert", **params)
        template = self.template_id
        if not template:
            self.write({"state": "not_wanted", "message": self.env._("Nothing to send.")})
            return None
        data = template._zk_open(f"template_upsert to {device.serial}")
        params = {"pin": self.pin, "kind": template.kind, "index": template.finger_index,
                  "sub_index": template.sub_index, "minor_version": template.minor_version,
                  "algorithm": template.algorithm or "", "valid": template.valid,
                  "data": base64.b64encode(data).decode("ascii")}
        if (template.template_format or "").isdigit():  # the relay takes BIODATA Format 0-255
            params["format"] = int(template.template_format)
        command = client.queue_typed(device.serial, "template_upsert", params)
        self.env["zk.audit.entry"]._log(self, "biometric_sent", after={
            "terminal": device.serial, "kind": template.kind,
            "finger_index": template.finger_index, "sub_index": template.sub_index,
            "command": int(command["id"])})
        return command

    def _zk_refusal(self, exc):
        """The relay refused to queue: not compatible (409), or failed with its reason."""
        text = str(exc)
        if "not_compatible" in text:
            return "not_compatible", self.env._(
                "Not compatible: the terminal uses another algorithm version.")
        return "failed", self.env._("Not sent: %s", text)

    @api.model
    def _zk_follow(self, relay):
        """Read the results of this relay's commands and turn the cells green or red."""
        cells = self.sudo().search([("device_id.relay_id", "=", relay.id),
                                    ("state", "=", "pending"), ("command_id", "!=", 0)])
        if not cells:
            return cells
        for cell, command in relay._command_results(cells, "message"):
            outcome = command_outcome(cell.command_kind or "", command.get("state"),
                                      command.get("return_code"), command.get("error"))
            cell.write({"state": outcome.state, "message": outcome.message})
        return cells
