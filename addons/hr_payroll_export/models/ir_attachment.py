from odoo import api, models
from odoo.exceptions import AccessError
from odoo.osv import expression
from odoo.tools import SQL

BATCH = "payroll.export.batch"
FILE_FIELD = "file"
# Not (res_model = batch and res_field = file); Odoo's "!=" also keeps the NULLs.
NOT_A_PAYROLL_FILE = ["|", ("res_model", "!=", BATCH), ("res_field", "!=", FILE_FIELD)]


class IrAttachment(models.Model):
    """An issued payroll file is stored as the attachment of its batch's ``file`` field. Nobody
    reads, changes, copies, shares or deletes that attachment through the generic attachment
    model (RPC read, search_read, /web/content): not the payroll officers, not the Settings
    administrators, whom ir.attachment otherwise lets read any field attachment. The file is
    served by /payroll_export/download/<id> only, which logs every download (issue 9); the
    addon's own code reads and writes it as the superuser."""

    _inherit = "ir.attachment"

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None):
        if not self.env.is_superuser() and self._payroll_file_reachable(domain):
            domain = expression.AND([NOT_A_PAYROLL_FILE, domain])
        return super()._search(domain, offset, limit, order)

    def _payroll_file_reachable(self, domain):
        """Whether ``domain`` may find field attachments at all: ir.attachment hides them
        (adds ``res_field = False``) unless the domain names ``id`` or ``res_field``, or the
        context skips that. Adding our term otherwise would undo that hiding."""
        return bool(self.env.context.get("skip_res_field_check")) or any(
            isinstance(term, list | tuple) and term[0] in ("id", "res_field") for term in domain)

    @api.model
    def check(self, mode, values=None):
        if not self.env.is_superuser():
            if values and values.get("res_model") == BATCH \
                    and values.get("res_field") == FILE_FIELD:
                raise self._payroll_file_error()
            if self and self._payroll_files():
                raise self._payroll_file_error()
        return super().check(mode, values=values)

    def _payroll_files(self):
        """Those of these attachments that hold a payroll batch's file (read with SQL: no
        access rule may hide them from the check)."""
        self.flush_model(["res_model", "res_field"])
        self.env.cr.execute(SQL(
            "SELECT id FROM ir_attachment WHERE id IN %s AND res_model = %s AND res_field = %s",
            tuple(self.ids), BATCH, FILE_FIELD))
        return self.browse(row[0] for row in self.env.cr.fetchall())

    def _index(self, bin_data, file_type, checksum=None):
        # A payroll file is never indexed: its rows would sit in clear text in index_content,
        # and indexing a big file holds several copies of it in memory.
        if self.env.context.get("payroll_export_no_index"):
            return False
        return super()._index(bin_data, file_type, checksum=checksum)

    def _payroll_file_error(self):
        return AccessError(self.env._(
            "A payroll file is downloaded from its batch, where the download is logged."))
