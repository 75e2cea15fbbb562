from odoo import api, fields, models

from odoo.addons.hr_zk_attendance.lib.relay_client import RelayError

from zk_rules.biometric_sync import command_outcome


class ZkBiometricErasureLine(models.Model):
    """One terminal of an erasure: the user_erase command and the terminal's answer."""

    _name = "zk.biometric.erasure.line"
    _description = "Biometric Erasure on a Terminal"
    _order = "erasure_id, device_id"

    erasure_id = fields.Many2one("zk.biometric.erasure", required=True, ondelete="cascade",
                                 index=True)
    device_id = fields.Many2one("zk.device", string="Terminal", required=True,
                                ondelete="cascade")
    employee_id = fields.Many2one(related="erasure_id.employee_id", store=True, index=True)
    company_id = fields.Many2one(related="erasure_id.company_id", store=True)
    requested_at = fields.Datetime(related="erasure_id.requested_at")
    pin = fields.Char(string="PIN", readonly=True)
    state = fields.Selection(
        [("to_send", "Waiting to be sent"), ("pending", "Waiting for the terminal"),
         ("confirmed", "Erased"), ("failed", "Failed")], default="to_send", required=True,
        readonly=True)
    message = fields.Char(readonly=True)
    command_id = fields.Integer(readonly=True)
    confirmed_at = fields.Datetime(readonly=True)

    def _zk_send(self):
        """Queue user_erase on each line's terminal (relay terminals; polled ones wait)."""
        for line in self.filtered(lambda ln: ln.state in ("to_send", "failed")):
            device = line.device_id
            if device.connection != "relay" or not device.relay_id:
                line.write({"state": "failed", "message": self.env._(
                    "Odoo does not write to terminals it polls directly: delete user %s on "
                    "the terminal itself, then press Erased by hand.", line.pin)})
                continue
            try:
                command = device.relay_id._command_client().queue_typed(
                    device.serial, "user_erase", {"pin": line.pin})
            except RelayError as exc:
                line.write({"state": "to_send", "message": self.env._(
                    "Not sent yet (tried again every few minutes): %s", exc)})
                continue
            line.write({"state": "pending", "command_id": int(command["id"]),
                        "message": self.env._("Sent; waiting for the terminal.")})
            self.env["zk.audit.entry"]._log(line.erasure_id, "biometric_erase_sent", after={
                "terminal": device.serial, "command": int(command["id"])})

    def action_confirm_by_hand(self):
        """The user was deleted at the terminal itself (or the terminal is gone for good)."""
        for line in self.filtered(lambda ln: ln.state != "confirmed"):
            # sudo: erasure lines are written by the system; the group confirms through this
            # button only, and the confirmation is audited with its author.
            line.sudo().write({"state": "confirmed", "confirmed_at": fields.Datetime.now(),
                               "message": self.env._("Erased by hand, confirmed by %s.",
                                                     self.env.user.name)})
            self.env["zk.audit.entry"]._log(line.erasure_id, "biometric_erase_by_hand",
                                            after={"terminal": line.device_id.serial})
        self.erasure_id._zk_check_done()
        return True

    def action_retry(self):
        self.sudo()._zk_send()
        return True

    @api.model
    def _zk_follow(self, relay):
        lines = self.sudo().search([("device_id.relay_id", "=", relay.id),
                                    ("state", "=", "pending"), ("command_id", "!=", 0)])
        if not lines:
            return lines
        for line, command in relay._command_results(lines, "message"):
            outcome = command_outcome("user_erase", command.get("state"),
                                      command.get("return_code"), command.get("error"))
            if outcome.state == "synced":
                line.write({"state": "confirmed", "message": outcome.message,
                            "confirmed_at": fields.Datetime.now()})
            elif outcome.state != "pending":
                line.write({"state": "failed", "message": outcome.message})
        lines.erasure_id._zk_check_done()
        return lines
