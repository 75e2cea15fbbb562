from odoo import api, models


class ZkPunch(models.Model):
    _inherit = "zk.punch"

    @api.model
    def _import_relay_events(self, relay, events, page_record=None):
        """Punches arriving after their day was reconciled (a gap filled) are counted on the
        day at once: "imported" stays Odoo's own count."""
        result = super()._import_relay_events(relay, events, page_record=page_record)
        days = {str(e.get("local_time") or "")[:10] for e in events}
        serials = {e.get("serial") for e in events}
        if days and serials:
            self.env["zk.device.day"].search([
                ("device_id.serial", "in", list(serials)), ("day", "in", list(days)),
            ])._refresh_imported()
        return result
