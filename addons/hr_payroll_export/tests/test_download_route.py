import base64

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged
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
        # /web/image too: no placeholder picture standing in for the file, a refusal
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

    # ------------------------------------------------------------------ the attachment itself
    def readers(self):
        """Everyone who might read the file's attachment: the administrator (not the
        superuser), another member of the Settings group, payroll officer and manager."""
        system = new_test_user(self.env, "payroll_sysadmin",
                               groups="base.group_user,base.group_system")
        admin = self.env.ref("base.user_admin")
        self.assertTrue(admin.has_group("base.group_system"))
        self.assertFalse(admin._is_superuser())
        return admin | system | self.payroll_officer | self.payroll_manager

    def test_nobody_reads_the_file_attachment_through_the_orm(self):
        domain = [("res_model", "=", self.issued._name), ("res_id", "=", self.issued.id)]
        for user in self.readers():
            Attachment = self.env["ir.attachment"].with_user(user)
            for field in ("datas", "raw", "db_datas"):
                with self.assertRaises(AccessError, msg=f"{user.login} {field}"):
                    Attachment.browse(self.attachment.id).read([field])
            with self.assertRaises(AccessError, msg=user.login):
                Attachment.browse(self.attachment.id).datas  # noqa: B018
            for context in ({}, {"skip_res_field_check": True}):
                found = Attachment.with_context(**context).search_read(
                    domain + [("res_field", "=", "file")], ["datas"])
                self.assertEqual(found, [], user.login)
                self.assertFalse(Attachment.with_context(**context).search(
                    [("id", "=", self.attachment.id)]), user.login)
            # nor changed, copied, deleted or shared by a token
            record = Attachment.browse(self.attachment.id)
            for method, args in (("write", ({"name": "payroll.csv"},)),
                                 ("write", ({"raw": b"forged"},)), ("copy", ()),
                                 ("generate_access_token", ()), ("unlink", ())):
                with self.assertRaises(AccessError, msg=f"{user.login} {method}"):
                    getattr(record, method)(*args)
        self.assertEqual(self.attachment.raw, self.bytes, "the issued file is intact")
        self.assertFalse(self.logs())
        # Other attachments of the batch (a chatter file) stay readable as usual.
        note = self.env["ir.attachment"].create({
            "name": "note.txt", "raw": b"read me", "res_model": self.issued._name,
            "res_id": self.issued.id})
        admin = self.env.ref("base.user_admin")
        [row] = self.env["ir.attachment"].with_user(admin).browse(note.id).read(["datas"])
        self.assertEqual(base64.b64decode(row["datas"]), b"read me")
        self.assertEqual(self.env["ir.attachment"].with_user(self.payroll_officer).search(
            domain), note)

    def test_administrator_rpc_read_of_the_attachment_is_refused(self):
        self.authenticate("admin", "admin")
        call = {"model": "ir.attachment", "method": "read",
                "args": [[self.attachment.id], ["datas"]], "kwargs": {}}
        with self.assertRaises(JsonRpcException) as caught:
            self.make_jsonrpc_request("/web/dataset/call_kw", call)
        self.assertEqual(str(caught.exception), "odoo.exceptions.AccessError")
        found = self.make_jsonrpc_request("/web/dataset/call_kw", {
            "model": "ir.attachment", "method": "search_read",
            "args": [[("res_model", "=", self.issued._name), ("res_field", "=", "file")]],
            "kwargs": {"fields": ["datas", "raw"]}})
        self.assertEqual(found, [])
        self.assertFalse(self.logs())

    def test_administrator_web_image_and_content_are_refused(self):
        self.authenticate("admin", "admin")
        for url in (f"/web/image/{self.attachment.id}",
                    f"/web/image/{self.attachment.id}/payroll.csv",
                    f"/web/image/ir.attachment/{self.attachment.id}/datas",
                    f"/web/image/payroll.export.batch/{self.issued.id}/file",
                    f"/web/content/ir.attachment/{self.attachment.id}/raw",
                    f"/web/content/{self.attachment.id}?download=true"):
            self.assert_refused(url)
        self.assertFalse(self.logs())
        # the logged route still serves the administrator, and logs it
        response = self.url_open(f"/payroll_export/download/{self.issued.id}")
        self.assertEqual((response.status_code, response.content), (200, self.bytes))
        self.assertEqual(self.logs().user_id, self.env.ref("base.user_admin"))
