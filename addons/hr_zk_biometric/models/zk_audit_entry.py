from odoo import models


class ZkAuditEntry(models.Model):
    _inherit = "zk.audit.entry"

    def _action_labels(self):
        labels = super()._action_labels()
        labels.update({
            "biometric_stored": self.env._("Biometric template stored"),
            "biometric_read": self.env._("Biometric template read"),
            "biometric_sent": self.env._("Biometric template sent to a terminal"),
            "biometric_erase_requested": self.env._("Biometric erasure requested"),
            "biometric_erase_sent": self.env._("Biometric erasure sent to a terminal"),
            "biometric_erase_by_hand": self.env._("Biometric erasure confirmed by hand"),
            "biometric_erased": self.env._("Biometric data erased everywhere"),
            "biometric_retention": self.env._("Biometric templates deleted (retention)"),
            "biometric_photo_stored": self.env._("Punch photo stored"),
            "biometric_photo_read": self.env._("Punch photo viewed"),
            "biometric_outbox_taken": self.env._(
                "Biometric template taken by the relay (deleted from Odoo's outbox)"),
        })
        return labels
