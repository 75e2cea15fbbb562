from odoo import models
from odoo.exceptions import AccessError

# Models whose files belong to one employee (self-service requests and comments).
OWN_FILE_MODELS = ("zk.adjustment", "zk.day.comment")


class IrAttachment(models.Model):
    """A file attached to an employee's request or comment is read by whoever may read that
    request or comment, nobody else. Odoo 18 checks the linked record for portal users and on
    search, but an internal user opening /web/content/<id> of an attachment is not checked
    against it: one employee could fetch another's file by guessing ids (issue 18)."""

    _inherit = "ir.attachment"

    def _check_access(self, operation):
        result = super()._check_access(operation)
        if result or self.env.su or not self._ids:
            return result
        return self._zk_own_files_refusal(operation)

    def _zk_own_files_refusal(self, operation):
        """None, or (records, exception factory) for the self-service files among these
        that the user may not reach (read with SQL: the cache may hold them already)."""
        self.flush_model(["res_model"])
        self.env.cr.execute(
            "SELECT id FROM ir_attachment WHERE id IN %s AND res_model IN %s",
            (tuple(self._ids), OWN_FILE_MODELS))
        owned = self.browse(row[0] for row in self.env.cr.fetchall())
        if not owned:
            return None
        try:
            owned.check("write" if operation in ("create", "unlink") else operation)
        except AccessError as error:
            refused = error
            return owned, lambda: refused
        return None
