from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestCertificatePdf(HttpCase):
    """C14: the Certificate of COC Earned prints as a real PDF through wkhtmltopdf.

    An HttpCase: wkhtmltopdf fetches the report's assets from Odoo's HTTP server, which must
    see the test transaction (under a TransactionCase it waits on it forever).
    """

    def test_c14_certificate_pdf(self):
        report = self.env["ir.actions.report"]
        if report.get_wkhtmltopdf_state() != "ok":
            self.skipTest("wkhtmltopdf is not installed: PDF rendering not possible here")
        employee = self.env["hr.employee"].create({"name": "Ana Reyes", "cto_enabled": True})
        # Odoo renders HTML under tests unless asked to run wkhtmltopdf for real.
        pdf, kind = report.with_context(force_report_rendering=True)._render_qweb_pdf(
            "hr_cto_bank.report_coc_certificate", employee.ids, data={"month": "2025-01"})
        self.assertEqual(kind, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))
