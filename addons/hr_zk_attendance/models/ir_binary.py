from odoo import models


class IrBinary(models.AbstractModel):
    """/web/content checks a self-service file against its request before streaming it:
    the fields it streams may already sit in the transaction's cache (another addon read the
    attachment as the system to route it), and cached values are served without any check."""

    _inherit = "ir.binary"

    def _find_record_check_access(self, record, access_token, field):
        if record._name == "ir.attachment" and not access_token and not self.env.su \
                and (refusal := record._zk_own_files_refusal("read")):
            raise refusal[1]()
        return super()._find_record_check_access(record, access_token, field)
