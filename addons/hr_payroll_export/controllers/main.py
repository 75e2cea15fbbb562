from odoo import http
from odoo.http import content_disposition, request


class PayrollExportController(http.Controller):
    @http.route("/payroll_export/download/<int:batch_id>", type="http", auth="user",
                methods=["GET"])
    def download(self, batch_id):
        """The one way to an issued payroll file: access to the batch is checked as the
        user, the download is logged (payroll.export.download and the audit trail) in this
        request's transaction, then the bytes are sent."""
        batch = request.env["payroll.export.batch"].browse(batch_id).exists()
        if not batch:
            raise request.not_found()
        content = batch._download()
        return request.make_response(content, headers=[
            ("Content-Type", "text/csv; charset=utf-8"),
            ("Content-Length", str(len(content))),
            ("Content-Disposition", content_disposition(batch.filename)),
            ("Cache-Control", "no-store"),
            ("X-Content-SHA256", batch.sha256),
        ])
