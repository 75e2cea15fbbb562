import base64
import json

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, TransactionCase, tagged
from odoo.tools import mute_logger

from .common import PHOTO, TEMPLATE, BiometricMixin


@tagged("post_install", "-at_install")
class TestBiometricAccessOrm(BiometricMixin, TransactionCase):
    """Templates and photos are the Biometric data group's only, whatever the path."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpBiometric()

    def test_outside_the_group_nothing_reads(self):
        template = self.enrol()
        Template = self.env["zk.biometric.template"].with_user(self.officer)
        with self.assertRaises(AccessError):
            Template.search([])
        with self.assertRaises(AccessError):
            Template.browse(template.id).read(["data_sealed"])
        with self.assertRaises(AccessError):
            template.with_user(self.officer)._zk_open("curiosity")
        with self.assertRaises(AccessError):
            self.env["zk.punch.photo"].with_user(self.officer).search([])
        with self.assertRaises(AccessError):
            self.env["zk.biometric.sync"].with_user(self.officer).search([])
        # The employee's Biometrics fields are not even known to them.
        self.assertNotIn("zk_bio_sync_ids",
                         self.env["hr.employee"].with_user(self.officer).fields_get())

    def test_group_reads_but_never_writes_templates(self):
        template = self.enrol()
        mine = template.with_user(self.bio_user)
        self.assertTrue(mine.read(["data_sealed"])[0]["data_sealed"])
        with self.assertRaises(AccessError):
            mine.write({"finger_index": 3})
        with self.assertRaises(AccessError):
            self.env["zk.biometric.template"].with_user(self.bio_user).create({
                "employee_id": self.employee.id, "kind": "face"})

    def test_templates_never_exported_or_tracked(self):
        fields_info = self.env["zk.biometric.template"].fields_get(["data_sealed"],
                                                                   ["exportable"])
        self.assertFalse(fields_info["data_sealed"]["exportable"])
        self.assertFalse(self.env["zk.punch.photo"].fields_get(
            ["data_sealed"], ["exportable"])["data_sealed"]["exportable"])
        self.assertNotIn("mail.thread", self.env["zk.biometric.template"]._inherit)
        self.enrol()
        self.assertFalse(self.env["mail.message"].search(
            [("model", "=", "zk.biometric.template")]))

    def test_multi_company_rule(self):
        template = self.enrol()
        other = self.env["res.company"].create({"name": "Other Co"})
        self.bio_user.write({"company_ids": [(4, other.id)], "company_id": other.id})
        records = self.env["zk.biometric.template"].with_user(self.bio_user).with_context(
            allowed_company_ids=[other.id]).search([])
        self.assertNotIn(template, records)


@tagged("post_install", "-at_install")
class TestBiometricAccessHttp(BiometricMixin, HttpCase):
    """Through RPC, /web/content, /web/image and the photo route, with a logged-in session."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpBiometric()

    def setUp(self):
        super().setUp()
        self.template = self.enrol()
        self.relay._zk_bio_take_photos(self.signed(None, [{
            "id": 7, "serial": "BIOA001", "pin": "0042", "local_time": "2026-01-05 08:01:00",
            "timezone": "Asia/Manila", "event_fingerprint": None, "content_type": "image/jpeg",
            "size": len(PHOTO), "data": base64.b64encode(PHOTO).decode(),
            "received_at": "2026-01-05T00:01:00Z"}], key_name="photos"))
        self.photo = self.env["zk.punch.photo"].search([])
        self.photo.employee_id = self.employee

    def rpc(self, model, method, args, kwargs=None):
        response = self.url_open("/web/dataset/call_kw", data=json.dumps({
            "jsonrpc": "2.0", "method": "call", "id": 1, "params": {
                "model": model, "method": method, "args": args, "kwargs": kwargs or {}}}),
            headers={"Content-Type": "application/json"})
        return response.json()

    @mute_logger("odoo.http")  # the refusals are logged as warnings: expected here
    def test_rpc_refuses_templates_and_photos_outside_the_group(self):
        self.authenticate("att_officer", "att_officer")
        for model, record in (("zk.biometric.template", self.template),
                              ("zk.punch.photo", self.photo)):
            for method, args in (("read", [[record.id], ["data_sealed"]]),
                                 ("search_read", [[]]),
                                 ("web_read", [[record.id]])):
                answer = self.rpc(model, method, args, {"specification": {
                    "data_sealed": {}}} if method == "web_read" else {})
                self.assertIn("error", answer, (model, method))
                self.assertEqual(answer["error"]["data"]["name"],
                                 "odoo.exceptions.AccessError", (model, method))
        answer = self.rpc("hr.employee", "web_read", [[self.employee.id]],
                          {"specification": {"zk_bio_template_ids": {"fields": {
                              "data_sealed": {}}}}})
        self.assertIn("error", answer)

    def test_web_content_and_image_refuse_outside_the_group(self):
        self.authenticate("att_officer", "att_officer")
        for url in (f"/web/content/zk.biometric.template/{self.template.id}/data_sealed",
                    f"/web/image/zk.biometric.template/{self.template.id}/data_sealed",
                    f"/web/content/zk.punch.photo/{self.photo.id}/data_sealed",
                    f"/web/image/zk.punch.photo/{self.photo.id}/data_sealed",
                    f"/zk_biometric/photo/{self.photo.id}"):
            response = self.url_open(url)
            self.assertIn(response.status_code, (403, 404), url)
            self.assertNotIn(PHOTO[:20], response.content)
            self.assertNotIn(TEMPLATE[:20], response.content)

    def test_group_member_sees_the_photo_and_it_is_audited(self):
        self.authenticate("bio_admin", "bio_admin")
        response = self.url_open(f"/zk_biometric/photo/{self.photo.id}")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, PHOTO)
        self.assertEqual(response.headers["Cache-Control"], "no-store")
        self.assertTrue(self.env["zk.audit.entry"].search(
            [("action", "=", "biometric_photo_read"), ("res_id", "=", self.photo.id)]))
        # Not even the group gets the sealed bytes through /web/content or /web/image.
        for url in (f"/web/content/zk.biometric.template/{self.template.id}/data_sealed",
                    f"/web/image/zk.punch.photo/{self.photo.id}/data_sealed"):
            response = self.url_open(url)
            self.assertEqual(response.status_code, 404, url)
            self.assertNotIn(TEMPLATE[:20], response.content)
