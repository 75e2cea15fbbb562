import base64

from odoo import api, fields, models

GROUP = "hr_zk_biometric.group_zk_biometric"


class ZkPunchPhoto(models.Model):
    """A photo a terminal took at a punch (ATTPHOTO, adms §4.4), sealed like templates.

    Linked to its punch by the punch's fingerprint; shown to the Biometric data group on the
    day and the adjustment under review, through /zk_biometric/photo/<id> (audited)."""

    _name = "zk.punch.photo"
    _inherit = ["zk.biometric.sealed"]
    _description = "Punch Photo"
    _order = "local_time desc, id desc"

    punch_id = fields.Many2one("zk.punch", readonly=True, index="btree_not_null",
                               ondelete="cascade")
    event_fingerprint = fields.Char(readonly=True, index=True)
    employee_id = fields.Many2one("hr.employee", readonly=True, index=True,
                                  ondelete="cascade")
    company_id = fields.Many2one("res.company", readonly=True, required=True)
    relay_id = fields.Many2one("zk.relay", readonly=True, ondelete="set null")
    relay_photo_id = fields.Integer(readonly=True)
    serial = fields.Char(readonly=True)
    pin = fields.Char(string="PIN", readonly=True)
    local_time = fields.Char(string="Terminal time", readonly=True)
    content_type = fields.Char(readonly=True)
    size = fields.Integer(readonly=True)
    received_at = fields.Datetime(readonly=True)
    data_sealed = fields.Binary(attachment=False, readonly=True, groups=GROUP,
                                exportable=False, copy=False, prefetch=False)
    photo_url = fields.Char(compute="_compute_photo_url", string="Photo")

    _sql_constraints = [("relay_photo_uniq", "UNIQUE(relay_id, relay_photo_id)",
                         "A relay's photo is imported once.")]

    def _compute_photo_url(self):
        for photo in self:
            photo.photo_url = f"/zk_biometric/photo/{photo.id}" if photo.id else False

    @api.depends("employee_id", "local_time")
    def _compute_display_name(self):
        for photo in self:
            photo.display_name = self.env._(
                "Photo of %(who)s at %(time)s", who=photo.employee_id.name or photo.pin or "?",
                time=photo.local_time or "?")

    def _aad(self):
        self.ensure_one()
        return f"odoo|photo|{self.relay_id.id}|{self.relay_photo_id}"

    def _zk_open(self):
        self.ensure_one()
        self._zk_check_group()
        self.check_access("read")
        # sudo: the group and the record's access were checked above.
        data = self._zk_unseal(base64.b64decode(self.sudo().data_sealed or b""), self._aad())
        self.env["zk.audit.entry"]._log(self, "biometric_photo_read")
        return data

    @api.model
    def _zk_link_punches(self):
        """Photos that arrived before their punch are linked once it is imported."""
        photos = self.sudo().search([("punch_id", "=", False),
                                     ("event_fingerprint", "!=", False)])
        punches = {p.fingerprint: p for p in self.env["zk.punch"].sudo().search(
            [("fingerprint", "in", photos.mapped("event_fingerprint"))])}
        for photo in photos:
            punch = punches.get(photo.event_fingerprint)
            if punch:
                photo.write({"punch_id": punch.id, "employee_id": punch.employee_id.id})
