from odoo.tests import HttpCase, tagged
from odoo.tests.common import JsonRpcException

from .common import PayrollCase


@tagged("post_install", "-at_install")
class TestDownloadRoute(PayrollCase, HttpCase):
    """Issue 9 "downloads are logged", over real HTTP: the addon's route hands the file out
    and logs it; Odoo's generic /web/content (by model field or by attachment id) does not."""

    def setUp(self):
        super().setUp()
        self.good_days()
        self.issued = self.batch()
        self.issued.action_generate()
        self.bytes = self.content(self.issued)
        self.attachment = self.env["ir.attachment"].sudo().search([
            ("res_model", "=", self.issued._name), ("res_id", "=", self.issued.id),
            ("res_field", "=", "file")])

    def logs(self):
        return self.env["payroll.export.download"].search([("batch_id", "=", self.issued.id)])

    def assert_refused(self, url):
        response = self.url_open(url)
        if url.startswith("/web/image"):
            # /web/image answers a placeholder picture instead of an error
            self.assertTrue(response.headers["Content-Type"].startswith("image/"), url)
        else:
            self.assertIn(response.status_code, (403, 404), url)
        self.assertNotIn(self.bytes, response.content, url)

    def test_officer_downloads_through_the_logged_route_only(self):
        self.assertEqual(len(self.attachment), 1, "the file is a field attachment")
        self.authenticate("payroll_officer", "payroll_officer")
        batch_id, attachment_id = self.issued.id, self.attachment.id
        for url in (f"/web/content/payroll.export.batch/{batch_id}/file",
                    f"/web/content/payroll.export.batch/{batch_id}/file/x.csv?download=true",
                    f"/web/content?model=payroll.export.batch&id={batch_id}&field=file",
                    f"/web/content/{attachment_id}",
                    f"/web/content/{attachment_id}?download=true",
                    f"/web/content/ir.attachment/{attachment_id}/datas",
                    f"/web/image/{attachment_id}"):
            self.assert_refused(url)
        self.assertFalse(self.logs(), "nothing was handed out, nothing is logged")

        response = self.url_open(f"/payroll_export/download/{batch_id}")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, self.bytes)
        self.assertIn(self.issued.filename, response.headers["Content-Disposition"])
        self.assertEqual(response.headers["X-Content-SHA256"], self.issued.sha256)
        log = self.logs()
        self.assertEqual(len(log), 1)
        self.assertEqual((log.user_id, log.sha256), (self.payroll_officer, self.issued.sha256))
        audit = self.env["zk.audit.entry"].search([("model", "=", self.issued._name),
                                                   ("res_id", "=", batch_id),
                                                   ("action", "=", "payroll_download")])
        self.assertEqual(audit.actor_id, self.payroll_officer)
        # every download is a row of its own
        self.assertEqual(self.url_open(f"/payroll_export/download/{batch_id}").content,
                         self.bytes)
        self.assertEqual(len(self.logs()), 2)

    def test_administrator_gets_no_unlogged_copy_either(self):
        """ir.attachment lets system users read any field attachment; /web/content still
        refuses the payroll file to them."""
        self.authenticate("admin", "admin")
        self.assert_refused(f"/web/content/{self.attachment.id}")
        self.assert_refused(f"/web/content/payroll.export.batch/{self.issued.id}/file")
        response = self.url_open(f"/payroll_export/download/{self.issued.id}")
        self.assertEqual(response.content, self.bytes)
        self.assertEqual(self.logs().user_id, self.env.ref("base.user_admin"))

    def test_rpc_read_of_the_file_is_refused(self):
        self.authenticate("payroll_officer", "payroll_officer")
        call = {"model": "payroll.export.batch", "method": "read",
                "args": [[self.issued.id], ["file", "sha256"]], "kwargs": {}}
        with self.assertRaises(JsonRpcException) as caught:
            self.make_jsonrpc_request("/web/dataset/call_kw", call)
        self.assertEqual(str(caught.exception), "odoo.exceptions.AccessError")
        call["args"][1] = ["sha256", "filename"]
        [row] = self.make_jsonrpc_request("/web/dataset/call_kw", call)
        self.assertEqual(row["sha256"], self.issued.sha256)  # the batch itself is readable
        self.assertFalse(self.logs())

    def test_non_payroll_user_is_refused_and_nothing_logged(self):
        self.authenticate("payroll_nobody", "payroll_nobody")
        self.assert_refused(f"/payroll_export/download/{self.issued.id}")
        self.assert_refused(f"/web/content/{self.attachment.id}")
        self.assertFalse(self.logs())
