from odoo import models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    def _action_done(self, feedback=False, attachment_ids=None):
        # sudo: the person marking the activity done may not write alerts; this only closes
        # the alert their own activity stands for
        alerts = self.env["zk.fleet.alert"].sudo().search([("activity_id", "in", self.ids)])
        alerts._activity_done()
        return super()._action_done(feedback=feedback, attachment_ids=attachment_ids)
