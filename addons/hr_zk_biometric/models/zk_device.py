from odoo import fields, models

GROUP = "hr_zk_biometric.group_zk_biometric"


class ZkDevice(models.Model):
    """Algorithm versions a terminal reports (options FPVersion, FaceVersion, PvVersion):
    a template of another major version is not sent to it (not compatible)."""

    _inherit = "zk.device"

    bio_fp_version = fields.Char(string="Fingerprint algorithm", help="e.g. 10 (ZKFinger "
                                 "10.0); empty: not known, the terminal decides.")
    bio_face_version = fields.Char(string="Face algorithm")
    bio_palm_version = fields.Char(string="Palm algorithm")
    bio_vein_version = fields.Char(string="Finger vein algorithm")

    def _merge_relay_listing(self, relay, listing):
        summary = super()._merge_relay_listing(relay, listing)
        for entry in listing.get("devices", []):
            info = entry.get("info") or {}
            device = self.search([("serial", "=", entry.get("serial"))], limit=1)
            vals = {field: str(info[key]) for key, field in (
                ("FPVersion", "bio_fp_version"), ("FaceVersion", "bio_face_version"),
                ("PvVersion", "bio_palm_version"), ("FvVersion", "bio_vein_version"))
                if info.get(key)}
            if device and vals:
                device.write(vals)
        return summary
