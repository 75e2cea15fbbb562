from werkzeug.exceptions import NotFound

from odoo import models
from odoo.exceptions import AccessError

BATCH = "payroll.export.batch"


class IrBinary(models.AbstractModel):
    """/web/content and /web/image never stream a payroll file, whoever asks (administrators
    included, whom ir.attachment's own check lets through): the file is served by
    /payroll_export/download/<id> only, which logs the download (issue 9).

    The refusal is a plain 404: /web/image turns any access error into a placeholder picture
    with status 200, which would look like a file was served."""

    _inherit = "ir.binary"

    def _find_record_check_access(self, record, access_token, field):
        if record._name == "ir.attachment":
            # sudo: read where the attachment belongs, before any access decision.
            owner = record.sudo()
            if owner.res_model == BATCH and owner.res_field == "file":
                raise NotFound()
        elif record._name == BATCH and field == "file":
            raise NotFound()
        return super()._find_record_check_access(record, access_token, field)

    def _record_to_stream(self, record, field_name):
        if record._name == BATCH and field_name == "file":
            raise AccessError(self.env._(
                "A payroll file is downloaded from its batch, where the download is logged."))
        return super()._record_to_stream(record, field_name)
