from odoo import api, fields, models

REASONS = [("departure", "Departure"), ("request", "On request"),
           ("left_terminal", "Left a terminal's group"), ("retention", "Retention period over")]


class ZkBiometricErasure(models.Model):
    """Erasure of one employee's biometric data: who asked, when, why, and which terminals
    confirmed. Holds no biometric content; kept as evidence after completion."""

    _name = "zk.biometric.erasure"
    _inherit = ["mail.thread"]
    _description = "Biometric Erasure"
    _order = "requested_at desc, id desc"

    employee_id = fields.Many2one("hr.employee", required=True, index=True, readonly=True,
                                  ondelete="restrict")
    company_id = fields.Many2one("res.company", readonly=True, required=True)
    requested_by = fields.Many2one("res.users", readonly=True, required=True)
    requested_at = fields.Datetime(readonly=True, required=True)
    reason = fields.Selection(REASONS, required=True, readonly=True)
    line_ids = fields.One2many("zk.biometric.erasure.line", "erasure_id", readonly=True,
                               string="Terminals")
    odoo_deleted = fields.Char(string="Deleted in Odoo", readonly=True,
                               help="How many templates and photos were deleted in Odoo.")
    state = fields.Selection(
        [("pending", "Waiting for terminals"), ("failed", "A terminal failed"),
         ("done", "Erased everywhere")], compute="_compute_state", store=True)
    confirmed_count = fields.Integer(compute="_compute_state", store=True)
    terminal_count = fields.Integer(compute="_compute_state", store=True)
    completed_at = fields.Datetime(readonly=True)
    progress = fields.Char(compute="_compute_state", store=True, string="Terminals confirmed")

    @api.depends("line_ids.state")
    def _compute_state(self):
        for erasure in self:
            lines = erasure.line_ids
            confirmed = lines.filtered(lambda ln: ln.state == "confirmed")
            erasure.confirmed_count = len(confirmed)
            erasure.terminal_count = len(lines)
            erasure.progress = f"{len(confirmed)} / {len(lines)}"
            if len(confirmed) == len(lines):
                erasure.state = "done"
            elif lines.filtered(lambda ln: ln.state == "failed"):
                erasure.state = "failed"
            else:
                erasure.state = "pending"

    @api.depends("employee_id", "requested_at")
    def _compute_display_name(self):
        for erasure in self:
            erasure.display_name = self.env._("Erasure of %(name)s",
                                              name=erasure.employee_id.name)

    def _zk_check_done(self):
        for erasure in self.filtered(lambda e: e.state == "done" and not e.completed_at):
            erasure.completed_at = fields.Datetime.now()
            self.env["zk.audit.entry"]._log(erasure, "biometric_erased", after={
                "terminals": erasure.line_ids.device_id.mapped("serial"),
                "reason": erasure.reason})
