import base64
import binascii

from odoo import api, fields, models

from odoo.addons.hr_zk_attendance.lib.relay_client import RelayError

from .zk_biometric_sealed import GROUP


class ZkRelayOutbox(models.Model):
    """A template waiting in a push relay's outbox is sealed like every template in Odoo (the
    command's own fields stay in `params`, the template never does), and deleted from the
    outbox as soon as the relay reports it took the command. Results also turn the sync
    cells and erasure lines green or red."""

    _inherit = "zk.relay.outbox"

    data_sealed = fields.Binary(attachment=False, readonly=True, groups=GROUP, copy=False)

    def _zk_aad(self):
        return f"zk.relay.outbox:{self.id}:{self.serial}:{self.kind}"

    @api.model
    def _zk_queue(self, relay, serial, kind, params):
        data = params.pop("data", None)
        answer = super()._zk_queue(relay, serial, kind, params)
        if data is not None:
            try:
                raw = base64.b64decode(str(data), validate=True)
            except (binascii.Error, ValueError):
                raise RelayError(self.env._("The template to send is not base64.")) from None
            row = self.browse(answer["id"])
            Sealed = self.env["zk.biometric.sealed"]
            # sudo: the sealed column belongs to the Biometric data group; the caller opened
            # the template it sends (audited there) and the system keeps it sealed here.
            row.sudo().data_sealed = base64.b64encode(Sealed._zk_seal(raw, row._zk_aad()))
        return answer

    def _zk_wire_params(self):
        params = super()._zk_wire_params()
        # sudo: handed to the relay authenticated by its token (the controller runs as
        # superuser); only a command that carries a template has a sealed value.
        sealed = self.sudo().data_sealed
        if sealed:
            data = self.env["zk.biometric.sealed"].sudo()._zk_unseal(
                base64.b64decode(sealed), self._zk_aad())
            params["data"] = base64.b64encode(data).decode("ascii")
        return params

    def _zk_forget_secret(self):
        # sudo: the system deletes the template once the relay has it (sealed there).
        held = self.sudo().filtered("data_sealed")
        if held:
            held.write({"data_sealed": False})
            for row in held:
                self.env["zk.audit.entry"]._log(row.relay_id, "biometric_outbox_taken", after={
                    "terminal": row.serial, "outbox": row.id, "taken_at": str(
                        row.taken_at or fields.Datetime.now())})
        return super()._zk_forget_secret()

    @api.model
    def _zk_follow(self, relay):
        followed = super()._zk_follow(relay)
        for follow in ("zk.biometric.sync", "zk.biometric.erasure.line"):
            self.env[follow]._zk_follow(relay)
        return followed

    @api.model
    def _zk_abandon(self, relay):
        rows = super()._zk_abandon(relay)
        if rows:
            # sudo: the sync table and erasure lines are the system's bookkeeping; they are
            # queued again by the scheduled action, now through the relay's API.
            self.env["zk.biometric.sync"].sudo().search([
                ("device_id.relay_id", "=", relay.id), ("state", "=", "pending"),
                ("command_id", "in", rows.ids)]).write({"command_id": 0})
            self.env["zk.biometric.erasure.line"].sudo().search([
                ("device_id.relay_id", "=", relay.id), ("state", "=", "pending"),
                ("command_id", "in", rows.ids)]).write({"state": "to_send", "command_id": 0})
        return rows

    @api.model
    def _zk_exchange_extra(self, relay):
        """Where Odoo stands in the relay's templates and photos: after "Read biometric data
        again" (cursors back to 0) the relay sends everything again from there."""
        extra = super()._zk_exchange_extra(relay)
        if self.env["zk.biometric.sealed"]._zk_key():
            extra["biometric_cursors"] = {"templates": relay.biometric_cursor,
                                          "photos": relay.photo_cursor}
        return extra
