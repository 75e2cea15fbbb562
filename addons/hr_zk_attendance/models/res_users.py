from odoo import models


class ResUsers(models.Model):
    _inherit = "res.users"

    def _zk_self_employee(self):
        """The employee this user is, for self-service: an internal user through the
        employee's user, a portal user through the employee's work contact (the partner Odoo's
        portal grant flow gives the portal user). The same links as the record rules
        (security/self_service_security.xml), so the portal and RPC agree. Empty when none.
        """
        self.ensure_one()
        if self.share:
            domain = [("work_contact_id", "=", self.partner_id.id),
                      ("work_contact_id", "!=", False)]
        else:
            domain = [("user_id", "=", self.id)]
        # sudo: portal users cannot read hr.employee; we look up this user's own employee
        # only, by the link the record rules use.
        return self.env["hr.employee"].sudo().search(
            domain + [("company_id", "in", self.company_ids.ids)], order="id", limit=1)
