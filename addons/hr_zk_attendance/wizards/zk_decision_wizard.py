from odoo import api, fields, models
from odoo.exceptions import UserError


class ZkDecisionWizard(models.TransientModel):
    """Asks for what a decision needs: minutes to approve, and a reason for the audit trail."""

    _name = "zk.decision.wizard"
    _description = "Attendance Decision"

    mode = fields.Selection([
        ("approve_less", "Approve less"), ("refuse_overtime", "Refuse overtime"),
        ("refuse_adjustment", "Refuse adjustment"), ("correct_day", "Audited correction"),
    ], required=True)
    line_id = fields.Many2one("zk.overtime.line")
    adjustment_ids = fields.Many2many("zk.adjustment")
    record_ids = fields.Many2many("zk.daily.record")
    line_ids = fields.Many2many("zk.overtime.line", "zk_decision_wizard_line_rel",
                                string="Overtime lines")
    approve_hours = fields.Float(string="Approve", help="Hours and minutes to approve, e.g. "
                                 "1:30; at most the overtime worked.")
    max_hours = fields.Float(related="line_id.hours", string="Overtime worked")
    reason = fields.Text()

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        model, ids = self.env.context.get("active_model"), self.env.context.get("active_ids")
        if model == "zk.overtime.line" and ids:
            values.setdefault("line_ids", [(6, 0, ids)])
            if len(ids) == 1:
                values.setdefault("line_id", ids[0])
                line = self.env["zk.overtime.line"].browse(ids[0])
                values.setdefault("approve_hours", line.minutes / 60.0)
        elif model == "zk.adjustment" and ids:
            values.setdefault("adjustment_ids", [(6, 0, ids)])
        elif model == "zk.daily.record" and ids:
            values.setdefault("record_ids", [(6, 0, ids)])
        return values

    def action_confirm(self):
        self.ensure_one()
        if self.mode == "approve_less":
            if not self.line_id:
                raise UserError(self.env._("Choose one overtime line to approve less of."))
            minutes = round(self.approve_hours * 60)
            return self.line_id.action_approve_less(minutes, self.reason)
        if self.mode == "refuse_overtime":
            return self.line_ids.action_refuse(self.reason)
        if self.mode == "refuse_adjustment":
            return self.adjustment_ids.action_refuse(self.reason)
        return self.record_ids._correct(self.reason)
