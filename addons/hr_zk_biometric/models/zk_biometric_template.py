import base64

from odoo import api, fields, models

from zk_rules.biometric_sync import KINDS, item_label

GROUP = "hr_zk_biometric.group_zk_biometric"
KIND_SELECTION = [(kind, item_label(kind)) for kind in KINDS]


class ZkBiometricTemplate(models.Model):
    """A fingerprint, face, palm, finger-vein or visible-light face template of one employee,
    sealed.

    One per employee, kind, index and sub-template (the newest enrolment wins): a palm or a
    visible-light face can come as several templates of one index (BIODATA `Index`), each
    kept. Imported from the relay's biometric pages (the terminal where the person
    enrolled), copied to the employee's other terminals by template_upsert commands. The
    template bytes are held only sealed (nonce || AES-GCM ciphertext, `data_sealed`),
    readable by the Biometric data group only, never exported, logged or tracked.
    """

    _name = "zk.biometric.template"
    _inherit = ["zk.biometric.sealed"]
    _description = "Biometric Template"
    _order = "employee_id, kind, finger_index, sub_index"

    employee_id = fields.Many2one("hr.employee", required=True, index=True, readonly=True,
                                  ondelete="cascade")
    company_id = fields.Many2one(related="employee_id.company_id", store=True)
    pin = fields.Char(string="PIN", readonly=True)
    source_device_id = fields.Many2one("zk.device", string="Enrolled at", readonly=True,
                                       ondelete="set null")
    kind = fields.Selection(KIND_SELECTION, required=True, readonly=True)
    finger_index = fields.Integer(string="Index", readonly=True)
    sub_index = fields.Integer(string="Sub-template", readonly=True, default=0,
                               help="Which template of this palm or face (the terminal's "
                               "BIODATA Index); 0 for the first or only one.")
    label = fields.Char(compute="_compute_label", string="Template")
    algorithm = fields.Char(readonly=True, help="Algorithm and major version, e.g. finger:10.")
    minor_version = fields.Integer(readonly=True, default=0,
                                   help="Minor version of the algorithm, sent back with "
                                   "every copy.")
    template_format = fields.Char(string="Format", readonly=True)
    valid = fields.Integer(readonly=True, default=1)
    size = fields.Integer(readonly=True, string="Size (bytes)")
    received_at = fields.Datetime(readonly=True)
    relay_id = fields.Many2one("zk.relay", readonly=True, ondelete="set null")
    relay_template_id = fields.Integer(readonly=True)
    data_sealed = fields.Binary(attachment=False, readonly=True, groups=GROUP,
                                exportable=False, copy=False, prefetch=False)

    _sql_constraints = [
        ("employee_kind_index_uniq", "UNIQUE(employee_id, kind, finger_index, sub_index)",
         "One template per employee, kind, index and sub-template."),
    ]

    @api.depends("kind", "finger_index", "sub_index")
    def _compute_label(self):
        for template in self:
            template.label = item_label(template.kind, template.finger_index,
                                        template.sub_index)

    @api.depends("employee_id", "kind", "finger_index", "sub_index")
    def _compute_display_name(self):
        for template in self:
            template.display_name = f"{template.employee_id.name} — {template.label}"

    def _aad(self):
        self.ensure_one()
        aad = f"odoo|template|{self.employee_id.id}|{self.kind}|{self.finger_index}"
        # The first sub-template keeps the associated data rows sealed before sub-templates
        # existed were sealed with, so they still open.
        return f"{aad}|{self.sub_index}" if self.sub_index else aad

    @api.model
    def _zk_store(self, employee, kind, index, data, sub_index=0, **vals):
        """Keep a template sealed (replacing the employee's previous one of the same kind,
        index and sub-template) and audit it. Returns the template."""
        # sudo: templates are written by the system only (the import, as the cron user or an
        # officer pressing Import now); nobody may write one through the interface.
        Templates = self.sudo()
        template = Templates.search([("employee_id", "=", employee.id), ("kind", "=", kind),
                                     ("finger_index", "=", index),
                                     ("sub_index", "=", sub_index)])
        values = dict(vals, employee_id=employee.id, kind=kind, finger_index=index,
                      sub_index=sub_index, size=len(data), company_id=employee.company_id.id)
        values.pop("company_id")
        if template:
            template.write(values)
        else:
            template = Templates.create(values)
        template.data_sealed = base64.b64encode(self._zk_seal(data, template._aad()))
        self.env["zk.audit.entry"]._log(template, "biometric_stored", after={
            "kind": kind, "finger_index": index, "sub_index": sub_index, "size": len(data),
            "source_device_id": vals.get("source_device_id")})
        return template

    def _zk_open(self, purpose):
        """The template's bytes, for a transfer (purpose says which); audited."""
        self.ensure_one()
        self._zk_check_group()
        # sudo: the group was checked above; the sealed column is read by the system.
        sealed = base64.b64decode(self.sudo().data_sealed or b"")
        data = self._zk_unseal(sealed, self._aad())
        self.env["zk.audit.entry"]._log(self, "biometric_read", after={"purpose": purpose})
        return data
