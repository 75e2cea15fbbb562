from odoo import api, fields, models


class PayrollExportBatch(models.Model):
    _inherit = "payroll.export.batch"

    fleet_day_ids = fields.Many2many(
        "zk.device.day", compute="_compute_fleet_days", string="Unconfirmed terminal days",
        help="Terminal-days of the period that reconciliation did not confirm complete: "
        "punches of those days may be missing from this batch.")
    fleet_day_count = fields.Integer(compute="_compute_fleet_days",
                                     string="Unconfirmed terminal days (count)")

    @api.depends("company_id", "period_start", "period_end", "state")
    def _compute_fleet_days(self):
        Day = self.env["zk.device.day"]
        for batch in self:
            days = Day
            if (batch.state == "draft" and batch.company_id.zk_warn_unconfirmed_days
                    and batch.period_start and batch.period_end):
                days = Day.search([("company_id", "=", batch.company_id.id),
                                   ("day", ">=", batch.period_start),
                                   ("day", "<=", batch.period_end),
                                   ("needs_attention", "=", True)], order="day, device_id")
            batch.fleet_day_ids = days
            batch.fleet_day_count = len(days)

    def action_view_fleet_days(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "hr_zk_fleet.zk_device_day_action")
        action["domain"] = [("id", "in", self.fleet_day_ids.ids)]
        action["context"] = {}
        return action
