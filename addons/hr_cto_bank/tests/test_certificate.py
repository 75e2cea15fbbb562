import io
import json
from datetime import timedelta
from unittest.mock import patch
from urllib.parse import quote

from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools.pdf import PdfReader

from .common import CtoCase, next_weekday


class CertificateCase(CtoCase):
    """Ana earns 2:30 on a workday and 2:00 at 1.5 on a rest day (3:00) last month."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hr_officer = new_test_user(
            cls.env, "cto_hr_officer", name="Carla Officer",
            groups="base.group_user,hr.group_hr_user,hr_holidays.group_hr_holidays_user")
        cls.first = cls.today.replace(day=1) - timedelta(days=1)
        cls.first = cls.first.replace(day=1)  # first day of last month
        cls.month_name = cls.first.strftime("%B")

    def earn_last_month(self):
        monday = next_weekday(0, self.first)
        self.overtime(monday, 150, status="approved")
        self.overtime(monday + timedelta(days=5), 120, kind="rest_day", status="approved")
        self.assertEqual(self.balance(), 150 + 180)

    def wizard_action(self, method="action_print"):
        wizard = self.env["hr.cto.certificate.wizard"].with_user(self.hr_officer).create({
            "month": str(self.first.month), "year": self.first.year,
            "employee_ids": [(6, 0, self.employee.ids)]})
        return getattr(wizard, method)()

    @staticmethod
    def report_url(action, converter, context=None):
        """The URL the web client builds for a report action (web/static/src/webclient/
        actions/reports/utils.js): options in the query and, with options, no ids."""
        url = f"/report/{converter}/{action['report_name']}"
        data = action.get("data")
        ctx = json.dumps({**(action.get("context") or {}), **(context or {})})
        if data:
            return f"{url}?options={quote(json.dumps(data))}&context={quote(ctx)}"
        ids = (action.get("context") or {}).get("active_ids")
        return f"{url}/{','.join(map(str, ids))}?context={quote(ctx)}" if ids else url


@tagged("post_install", "-at_install")
class TestCertificatePrint(CertificateCase, HttpCase):
    """C14: the certificate printed from CTO Bank > Certificates holds each chosen employee's
    figures (it used to print an empty report: the options carried no employee)."""

    def test_c14_wizard_print_renders_the_employees_figures(self):
        self.earn_last_month()
        action = self.wizard_action()
        self.assertEqual(action["type"], "ir.actions.report")
        self.assertEqual(action["report_type"], "qweb-pdf")
        self.authenticate("cto_hr_officer", "cto_hr_officer")
        response = self.url_open(self.report_url(action, "html"))
        self.assertEqual(response.status_code, 200)
        html = response.text
        self.assertIn("Ana Reyes", html)
        self.assertIn(f"{self.month_name} {self.first.year}", html)
        self.assertRegex(html, r'o_coc_earned"[^>]*>5:30<')  # 2:30 + 2:00 x 1.5
        self.assertRegex(html, r"o_coc_balance\"[^>]*><strong>5:30</strong>")
        self.assertNotIn(".00", html.split("o_coc_summary")[1].split("</table>")[0])

    def test_c14_preview_is_the_html_of_the_same_report(self):
        self.earn_last_month()
        printed, preview = self.wizard_action(), self.wizard_action("action_preview")
        self.assertEqual(preview["report_type"], "qweb-html")
        self.assertEqual((preview["report_name"], preview["data"]),
                         (printed["report_name"], printed["data"]))

    def test_c14_wizard_print_as_pdf(self):
        """The PDF the button downloads holds the employee's certificate. Rendered in-process
        as the report route does (over HTTP, wkhtmltopdf would wait on the test's own server
        for the report's assets). The report's web fonts carry no text map, so the pages
        handed to wkhtmltopdf are read on their way in, and its output must be a PDF."""
        report = self.env["ir.actions.report"]
        if report.get_wkhtmltopdf_state() != "ok":
            self.skipTest("wkhtmltopdf is not installed: PDF rendering not possible here")
        self.earn_last_month()
        action = self.wizard_action()
        run_wkhtmltopdf = type(report)._run_wkhtmltopdf
        bodies = []

        def spy(records, pages, *args, **kwargs):
            bodies.extend(pages)
            return run_wkhtmltopdf(records, pages, *args, **kwargs)

        # The route gets no ids when the action has options (see report_url): None here too.
        # Odoo renders HTML under tests unless asked to run wkhtmltopdf for real.
        with patch.object(type(report), "_run_wkhtmltopdf", spy):
            pdf, kind = report.with_context(
                **action["context"], force_report_rendering=True)._render_qweb_pdf(
                action["report_name"], None, data=action["data"])
        self.assertEqual(kind, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"), pdf[:100])
        self.assertEqual(len(PdfReader(io.BytesIO(pdf)).pages), 1)
        [body] = [page.decode() if isinstance(page, bytes) else str(page) for page in bodies]
        self.assertIn("Ana Reyes", body)
        self.assertIn(f"{self.month_name} {self.first.year}", body)
        self.assertRegex(body, r'o_coc_earned"[^>]*>5:30<')
