from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, tagged

from zk_rules.fingerprint import punch_fingerprint

from .common import PHOTO, BiometricMixin


@tagged("post_install", "-at_install")
class TestEraseEverywhere(BiometricMixin, TransactionCase):
    """Issue 19: departure, request or leaving a terminal's group erases, per terminal."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpBiometric()

    def test_erase_button_erases_everywhere_and_follows_each_terminal(self):
        self.enrol()
        employee = self.employee.with_user(self.bio_user)
        employee.action_zk_bio_erase()
        self.assertFalse(self.env["zk.biometric.template"].search([]))
        self.assertFalse(self.cells())
        erasure = self.employee.zk_bio_erasure_ids
        self.assertEqual(erasure.reason, "request")
        self.assertEqual(erasure.requested_by, self.bio_user)
        self.assertEqual(erasure.odoo_deleted, "1 template(s), 0 photo(s)")
        self.assertEqual(erasure.line_ids.device_id, self.devices)
        self.assertEqual(set(erasure.line_ids.mapped("state")), {"pending"})
        self.assertEqual(erasure.state, "pending")
        self.assertTrue(employee.zk_bio_erasure_open)
        erase = self.fake.of_kind("user_erase")
        self.assertEqual(sorted(c["serial"] for c in erase), ["BIOA001", "BIOB002", "BIOC003"])
        self.assertEqual({c["params"]["pin"] for c in erase}, {"0042"})
        # A erased, B never had the user (-10 counts as erased), C still silent.
        self.fake.answer("BIOA001", "user_erase", "done", 0)
        self.fake.answer("BIOB002", "user_erase", "failed", -10)
        self.env["zk.biometric.erasure.line"]._zk_follow(self.relay)
        self.assertEqual(erasure.progress, "2 / 3")
        self.assertEqual(erasure.state, "pending")
        self.assertFalse(erasure.completed_at)
        self.fake.answer("BIOC003", "user_erase", "done", 0)
        self.env["zk.biometric.erasure.line"]._zk_follow(self.relay)
        self.assertEqual(erasure.state, "done")
        self.assertTrue(erasure.completed_at)
        self.assertFalse(employee.zk_bio_erasure_open)
        done = self.env["zk.audit.entry"].search([("action", "=", "biometric_erased")])
        self.assertEqual(done.res_id, erasure.id)
        self.assertIn("BIOC003", done.after)

    def test_failed_erasure_is_shown_as_failed(self):
        self.enrol()
        self.employee.action_zk_bio_erase()
        self.fake.answer("BIOB002", "user_erase", "failed", -1002)
        self.env["zk.biometric.erasure.line"]._zk_follow(self.relay)
        erasure = self.employee.zk_bio_erasure_ids
        self.assertEqual(erasure.state, "failed")
        line = erasure.line_ids.filtered(lambda ln: ln.device_id == self.dev_b)
        self.assertEqual(line.message, "Refused: command not supported by this firmware.")

    def test_unreachable_relay_waits_and_is_retried(self):
        self.enrol()
        from .common import RelayError
        self.fake.refuse["BIOC003"] = RelayError("Cannot reach the relay")
        self.employee.action_zk_bio_erase()
        line = self.employee.zk_bio_erasure_ids.line_ids.filtered(
            lambda ln: ln.device_id == self.dev_c)
        self.assertEqual(line.state, "to_send")
        self.assertIn("Cannot reach the relay", line.message)
        del self.fake.refuse["BIOC003"]
        self.env["zk.biometric.sync"]._cron_send()
        self.assertEqual(line.state, "pending")

    def test_archiving_erases(self):
        self.enrol()
        self.employee.action_archive()
        erasure = self.employee.with_context(active_test=False).zk_bio_erasure_ids
        self.assertEqual(erasure.reason, "departure")
        self.assertFalse(self.env["zk.biometric.template"].search([]))

    def test_departure_date_reached_erases_by_the_scheduled_action(self):
        self.enrol()
        self.employee.departure_date = fields.Date.today() + timedelta(days=3)
        self.assertFalse(self.employee.zk_bio_erasure_ids)
        self.env["hr.employee"]._cron_zk_bio_departures()
        self.assertFalse(self.employee.zk_bio_erasure_ids)
        self.env.cr.execute("UPDATE hr_employee SET departure_date = CURRENT_DATE - 1 "
                            "WHERE id = %s", (self.employee.id,))
        self.employee.invalidate_recordset()
        self.env["hr.employee"]._cron_zk_bio_departures()
        self.assertEqual(self.employee.zk_bio_erasure_ids.reason, "departure")
        self.assertFalse(self.employee.zk_bio_template_ids)

    def test_erasure_record_holds_no_biometric_content(self):
        self.enrol()
        erasure = self.employee._zk_bio_erase("request")
        types = {f.type for f in erasure._fields.values()} | {
            f.type for f in erasure.line_ids._fields.values()}
        self.assertNotIn("binary", types)

    def test_retention_removes_templates_of_people_gone_and_old_photos(self):
        self.enrol()
        self.env.company.zk_bio_retention_days = 30
        # Left 10 days ago, with templates still in Odoo (erased while the key was missing).
        self.env.cr.execute("UPDATE hr_employee SET departure_date = CURRENT_DATE - 10 "
                            "WHERE id = %s", (self.employee.id,))
        self.employee.invalidate_recordset()
        Retention = self.env["zk.biometric.retention"]
        self.assertEqual(Retention._cron_retention(), (0, 0))
        self.env.cr.execute("UPDATE hr_employee SET departure_date = CURRENT_DATE - 31 "
                            "WHERE id = %s", (self.employee.id,))
        self.employee.invalidate_recordset()
        self.relay._zk_bio_take_photos(self.signed(None, [self.photo_row()],
                                                   key_name="photos"))
        self.env.cr.execute("UPDATE zk_punch_photo SET create_date = now() - interval '91 days'")
        self.env["zk.punch.photo"].invalidate_model()
        self.assertEqual(Retention._cron_retention(), (1, 1))
        self.assertTrue(self.env["zk.audit.entry"].search([("action", "=",
                                                            "biometric_retention")]))

    def photo_row(self, row_id=1, local_time="2026-01-05 08:01:00", fingerprint=None):
        import base64
        return {"id": row_id, "serial": "BIOA001", "pin": "0042", "local_time": local_time,
                "timezone": "Asia/Manila", "event_fingerprint": fingerprint,
                "content_type": "image/jpeg", "size": len(PHOTO),
                "data": base64.b64encode(PHOTO).decode(), "received_at": "2026-01-05T00:01:00Z"}

    def test_punch_photo_linked_to_its_punch_and_shown_on_the_day(self):
        local = "2026-01-05 08:01:00"
        fingerprint = punch_fingerprint("BIOA001", "0042", local)
        self.relay._zk_bio_take_photos(self.signed(None, [self.photo_row(
            local_time=local, fingerprint=fingerprint)], key_name="photos"))
        photo = self.env["zk.punch.photo"].search([])
        self.assertFalse(photo.punch_id)  # the punch is not imported yet
        self.env["zk.punch"]._import_relay_events(self.relay, [{
            "id": 1, "serial": "BIOA001", "pin": "0042", "local_time": local,
            "timezone": "Asia/Manila", "status": 0, "verify": 15, "workcode": "",
            "received_at": "2026-01-05T00:01:00+00:00", "fingerprint": fingerprint}])
        self.env["zk.punch.photo"]._zk_link_punches()
        self.assertEqual(photo.punch_id.fingerprint, fingerprint)
        self.assertEqual(photo.employee_id, self.employee)
        self.assertEqual(photo.with_user(self.bio_user)._zk_open(), PHOTO)
        self.assertTrue(self.env["zk.audit.entry"].search([("action", "=",
                                                            "biometric_photo_read")]))
        record = self.env["zk.daily.record"].create({
            "employee_id": self.employee.id, "work_date": "2026-01-05"}) \
            if not self.env["zk.daily.record"].search(
                [("employee_id", "=", self.employee.id), ("work_date", "=", "2026-01-05")]) \
            else self.env["zk.daily.record"].search(
                [("employee_id", "=", self.employee.id), ("work_date", "=", "2026-01-05")])
        self.assertEqual((record.employee_id, str(record.work_date)),
                         (self.employee, "2026-01-05"))
        self.assertEqual(self.env["zk.punch.photo"].search([
            ("employee_id", "=", self.employee.id), ("local_time", "=like", "2026-01-05%")]),
            photo)
        record.invalidate_recordset()
        self.assertEqual(record.with_user(self.bio_user).zk_photo_ids, photo)
        # The same photo twice (a re-sent page) is kept once.
        self.relay._zk_bio_take_photos(self.signed(None, [self.photo_row(
            local_time=local, fingerprint=fingerprint)], key_name="photos"))
        self.assertEqual(self.env["zk.punch.photo"].search_count([]), 1)

    def test_keep_photos_on_relay_imports_none(self):
        self.env.company.zk_keep_photos_on_relay = True
        from unittest.mock import patch

        from ..lib.biometric_client import BiometricClient
        page = self.signed(None, [], key_name="templates")
        with patch.object(BiometricClient, "templates", return_value=page), \
                patch.object(BiometricClient, "photos") as photos, \
                patch.object(BiometricClient, "biometric_ack"):
            self.relay._zk_bio_pull()
        photos.assert_not_called()

    def test_terminal_polled_directly_is_erased_by_hand_and_says_so(self):
        direct = self.env["zk.device"].create({
            "serial": "BIOP005", "name": "Old gate", "timezone": "Asia/Manila",
            "connection": "direct", "address": "127.0.0.1", "port": 9,
            "work_location_id": self.location.id})
        self.enrol()
        cell = self.cell(direct)
        self.assertEqual(cell.state, "pending")
        self.env["zk.biometric.sync"]._cron_send()
        self.assertEqual(cell.state, "failed")
        self.assertIn("Odoo does not write to terminals it polls directly", cell.message)
        erasure = self.employee.with_user(self.bio_user)._zk_bio_erase("request")
        line = erasure.line_ids.filtered(lambda ln: ln.device_id == direct)
        self.assertEqual(line.state, "failed")
        self.assertIn("delete user 0042 on the terminal itself", line.message)
        line.with_user(self.bio_user).action_confirm_by_hand()
        self.assertEqual(line.state, "confirmed")
        self.assertEqual(line.message, "Erased by hand, confirmed by Bea Bio.")
        self.assertTrue(self.env["zk.audit.entry"].search(
            [("action", "=", "biometric_erase_by_hand")]))

    def test_adjustment_under_review_shows_the_days_photos(self):
        self.relay._zk_bio_take_photos(self.signed(None, [self.photo_row()],
                                                   key_name="photos"))
        photo = self.env["zk.punch.photo"].search([])
        photo.employee_id = self.employee
        record = self.env["zk.daily.record"].create({
            "employee_id": self.employee.id, "work_date": "2026-01-05"})
        adjustment = self.env["zk.adjustment"].create({
            "employee_id": self.employee.id, "punch_time": "2026-01-05 00:30:00",
            "direction": "in", "reason": "Forgot to punch", "record_id": record.id})
        self.env.invalidate_all()  # as in a new request
        self.assertEqual(adjustment.with_user(self.bio_user).zk_photo_ids, photo)
        with self.assertRaises(AccessError):
            adjustment.with_user(self.officer).read(["zk_photo_ids"])
