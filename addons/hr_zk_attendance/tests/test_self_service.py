"""Employee self-service (issue 18) through the real HTTP routes and the ORM as each user."""

import json
import logging
from datetime import datetime, timedelta

from odoo import fields, http
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import HttpCase, tagged

from .manager_fixture import punch_day
from .self_service_fixture import make_self_service

_logger = logging.getLogger(__name__)


@tagged("post_install", "-at_install")
class TestSelfService(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team = make_self_service(cls.env)
        cls.portal = cls.team["portal_user"]
        cls.ben_user = cls.team["ben_user"]
        cls.manager = cls.team["manager"]

    def post_request(self, values, record=None):
        data = {"csrf_token": http.Request.csrf_token(self), **values}
        if record is not None:
            data["record_id"] = record.id
        return self.url_open("/my/attendance/request", data=data)

    def rpc(self, model, method, args, kwargs=None):
        response = self.url_open("/web/dataset/call_kw", data=json.dumps({
            "jsonrpc": "2.0", "method": "call", "params": {
                "model": model, "method": method, "args": args, "kwargs": kwargs or {}}}),
            headers={"Content-Type": "application/json"})
        return response.json()

    # ------------------------------------------------------------------ journeys
    def test_issue18_portal_user_sees_own_days_requests_and_gets_the_decision(self):
        """Portal user (Odoo's grant flow): /my card, own days and punches, a request from the
        flagged day, the manager's to-do, approval recomputes the day and writes the audit
        entry, the decision comes back to her."""
        record = self.team["ana_record"]
        self.assertTrue(record.missing_check_out)
        self.authenticate(self.portal.login, self.portal.login)
        home = self.url_open("/my")
        self.assertIn("My attendance", home.text)
        page = self.url_open("/my/attendance?filterby=all")
        self.assertEqual(page.status_code, 200)
        self.assertIn(f"/my/attendance/day/{record.id}", page.text)
        self.assertNotIn(f"/my/attendance/day/{self.team['ben_record'].id}", page.text)
        day = self.url_open(f"/my/attendance/day/{record.id}")
        self.assertIn("Entrance", day.text)  # the terminal
        self.assertIn("08:00", day.text)     # local time
        self.assertIn("I forgot to check out", day.text)
        form = self.url_open(f"/my/attendance/request?record_id={record.id}")
        self.assertIn('value="17:00"', form.text, "the scheduled end is proposed")
        sent = self.post_request({"date": str(self.team["day"]), "time": "17:05",
                                  "direction": "out", "reason": "Forgot to check out"},
                                 record)
        self.assertIn("Your request was sent", sent.text)
        adjustment = self.env["zk.adjustment"].search([("employee_id", "=",
                                                        self.team["employee"].id)])
        self.assertEqual((adjustment.state, adjustment.direction, adjustment.requested_by),
                         ("to_approve", "out", self.portal))
        self.assertEqual(adjustment.activity_ids.user_id, self.manager)

        adjustment.with_user(self.manager).action_approve()
        self.assertFalse(record.missing_check_out)
        self.assertEqual(record.worked_minutes, 480)
        self.assertIn("adjustment_approved",
                      self.env["zk.audit.entry"].search([]).mapped("action"))
        told = adjustment.message_ids.filtered(
            lambda m: self.portal.partner_id in m.partner_ids)
        self.assertIn("approved", told.body)
        after = self.url_open(f"/my/attendance/day/{record.id}")
        self.assertIn("17:05", after.text)
        self.assertNotIn("I forgot to check out", after.text)

    def test_issue18_internal_employee_requests_from_my_days(self):
        """Internal user without attendance rights: My days lists their own records only, the
        backend button fills the request, submit, approval recomputes the day."""
        Record = self.env["zk.daily.record"].with_user(self.ben_user)
        self.assertEqual(Record.search([]), self.team["ben_record"])
        action = self.team["ben_record"].with_user(self.ben_user).action_zk_request_correction()
        self.assertEqual(action["context"]["default_direction"], "out")
        Adjustment = self.env["zk.adjustment"].with_user(self.ben_user).with_context(
            **action["context"])
        adjustment = Adjustment.create({"reason": "Forgot to check out"})
        adjustment.action_submit()
        self.assertEqual(adjustment.state, "to_approve")
        self.assertEqual(adjustment.activity_ids.user_id, self.manager)
        adjustment.with_user(self.manager).action_approve()
        self.assertFalse(self.team["ben_record"].missing_check_out)
        self.assertIn(self.ben_user.partner_id,
                      adjustment.message_ids.partner_ids, "the decision is told to Ben")

    # ------------------------------------------------------------------ refusals
    def test_issue18_refusal_table_routes_by_role(self):
        """Every route tried with the other employee's ids answers 404 (the same as an id
        that does not exist); the table is written to the log."""
        ana, ben = self.team["ana_record"], self.team["ben_record"]
        rows = []
        for user, other in ((self.portal, ben), (self.ben_user, ana)):
            self.authenticate(user.login, user.login)
            csrf = http.Request.csrf_token(self)
            tries = [
                ("GET", f"/my/attendance/day/{other.id}", None),
                ("GET", f"/my/attendance/request?record_id={other.id}", None),
                ("POST", "/my/attendance/request", {
                    "csrf_token": csrf, "record_id": other.id, "date": str(other.work_date),
                    "time": "17:00", "direction": "out", "reason": "Not mine"}),
                ("POST", f"/my/attendance/day/{other.id}/comment",
                 {"csrf_token": csrf, "comment": "Not my day"}),
                ("GET", "/my/attendance/day/999999", None),
                ("GET", "/my/attendance/request?record_id=abc", None),
                ("GET", "/my/attendance/attachment/999999", None),
            ]
            for method, path, data in tries:
                response = self.url_open(path, data=data) if method == "POST" \
                    else self.url_open(path)
                rows.append((user.login, method, path, response.status_code))
                with self.subTest(user=user.login, path=path):
                    self.assertEqual(response.status_code, 404)
        self.assertFalse(self.env["zk.adjustment"].search([]), "no request for anyone")
        self.assertFalse(self.env["zk.day.comment"].search([]), "no comment for anyone")
        _logger.info("self-service refusals (role x route):\n%s", "\n".join(
            f"{login:<24} {method:<5} {path:<48} {status}"
            for login, method, path, status in rows))

    def test_issue18_refusal_table_models_by_role(self):
        """RPC as each employee: someone else's records raise an access error or stay out of
        searches; models beyond their own days are closed."""
        ana, ben = self.team["ana_record"], self.team["ben_record"]
        for user, own, other in ((self.portal, ana, ben), (self.ben_user, ben, ana)):
            with self.subTest(user=user.login):
                Record = self.env["zk.daily.record"].with_user(user)
                self.assertEqual(Record.search([]), own)
                with self.assertRaises(AccessError):
                    other.with_user(user).read(["worked_minutes"])
                with self.assertRaises(AccessError):
                    self.env["zk.adjustment"].with_user(user).create({
                        "employee_id": other.employee_id.id, "direction": "out",
                        "punch_time": fields.Datetime.now() - timedelta(hours=2),
                        "reason": "Not mine"})
                for model in ("zk.punch", "zk.device", "zk.relay", "zk.audit.entry"):
                    with self.assertRaises(AccessError):
                        self.env[model].with_user(user).search([])
        with self.assertRaises(AccessError):
            self.env["hr.employee"].with_user(self.portal).search([])
        # The same over JSON-RPC, as a browser would call it.
        self.authenticate(self.portal.login, self.portal.login)
        found = self.rpc("zk.daily.record", "search_read", [[]], {"fields": ["work_date"]})
        self.assertEqual([row["id"] for row in found["result"]], [ana.id])
        refused = self.rpc("zk.daily.record", "read", [[ben.id], ["work_date"]])
        self.assertEqual(refused["error"]["data"]["name"], "odoo.exceptions.AccessError")
        refused = self.rpc("zk.punch", "search_read", [[]], {"fields": ["pin"]})
        self.assertEqual(refused["error"]["data"]["name"], "odoo.exceptions.AccessError")

    def test_issue18_comment_on_a_flagged_day_reaches_the_manager_and_back(self):
        ana, ben = self.team["ana_record"], self.team["ben_record"]
        self.authenticate(self.portal.login, self.portal.login)
        csrf = http.Request.csrf_token(self)
        empty = self.url_open(f"/my/attendance/day/{ana.id}/comment",
                              data={"csrf_token": csrf, "comment": " "})
        self.assertIn("Write a comment of 3 to 2000 characters", empty.text)
        sent = self.url_open(f"/my/attendance/day/{ana.id}/comment", data={
            "csrf_token": csrf, "comment": "I was at a client's all afternoon"})
        self.assertIn("Your comment was sent", sent.text)
        self.assertIn("at a client", sent.text)
        other = self.url_open(f"/my/attendance/day/{ben.id}/comment", data={
            "csrf_token": csrf, "comment": "Not my day"})
        self.assertEqual(other.status_code, 404)
        comment = self.env["zk.day.comment"].search([])
        self.assertEqual((comment.record_id, comment.author_id), (ana, self.portal))
        self.assertEqual(comment.activity_ids.user_id, self.manager)
        with self.assertRaises(AccessError):
            comment.with_user(self.ben_user).read(["body"])
        reply = comment.with_user(self.manager).message_post(
            body="Noted, thanks", message_type="comment", subtype_xmlid="mail.mt_comment")
        self.assertIn(self.portal.partner_id, reply.notification_ids.res_partner_id)

    def test_issue18_attachments_stay_with_their_owner(self):
        """A request's attachment: the employee reads it back, the other employee gets
        403/404 from /web/content."""
        self.authenticate(self.portal.login, self.portal.login)
        response = self.url_open("/my/attendance/request", data={
            "csrf_token": http.Request.csrf_token(self), "date": str(self.team["day"]),
            "time": "17:05", "direction": "out", "reason": "Gate log attached"},
            files={"attachment": ("gate.txt", b"gate log 17:05", "text/plain")})
        self.assertIn("Your request was sent", response.text)
        attachment = self.env["ir.attachment"].search([("res_model", "=", "zk.adjustment"),
                                                       ("name", "=", "gate.txt")])
        self.assertEqual(attachment.raw, b"gate log 17:05")
        route = f"/my/attendance/attachment/{attachment.id}"
        self.assertIn(route, response.text, "the request lists its file")
        self.assertEqual(self.url_open(route).content, b"gate log 17:05")
        self.assertIn(self.url_open(f"/web/content/{attachment.id}").status_code, (403, 404),
                      "portal users get files through the checked route only")
        self.authenticate(self.ben_user.login, self.ben_user.login)
        self.assertEqual(self.url_open(route).status_code, 404)
        # The file's fields are in the transaction's cache by now (read above): the check
        # must not depend on fetching them.
        self.assertIn(self.url_open(f"/web/content/{attachment.id}").status_code, (403, 404))
        with self.assertRaises(AccessError):
            attachment.with_user(self.ben_user).read(["raw"])

    def test_issue18_employee_cannot_move_a_request_by_writing_it(self):
        adjustment = self.env["zk.adjustment"].with_user(self.ben_user).create({
            "direction": "out", "reason": "Forgot to check out",
            "punch_time": fields.Datetime.now() - timedelta(hours=1)})
        with self.assertRaises(AccessError):
            adjustment.write({"state": "approved"})
        adjustment.action_submit()
        with self.assertRaises(Exception):  # noqa: B017 - UserError: sent requests are final
            adjustment.write({"reason": "Changed afterwards"})
        self.assertEqual(adjustment.state, "to_approve")

    # ------------------------------------------------------------------ validation
    def test_issue18_bad_input_gets_a_clear_error_and_keeps_the_form(self):
        self.authenticate(self.portal.login, self.portal.login)
        day = str(self.team["day"])
        cases = [
            ({"date": day, "time": "25:00", "direction": "out", "reason": "Forgot it"},
             "hours:minutes"),
            ({"date": "2020-01-01", "time": "17:00", "direction": "out", "reason": "Old"},
             "go back 31 days"),
            ({"date": day, "time": "17:00", "direction": "out", "reason": "x"},
             "at least 3"),
            ({"date": day, "time": "17:00", "direction": "out", "reason": "y" * 1001},
             "too long"),
            ({"date": day, "time": "17:00", "direction": "sideways", "reason": "Forgot it"},
             "check in or check out"),
        ]
        for values, message in cases:
            with self.subTest(message=message):
                response = self.post_request(values)
                self.assertEqual(response.status_code, 200)
                self.assertIn(message, response.text)
                self.assertIn(values["reason"][:50], response.text, "the form keeps its text")
        self.assertFalse(self.env["zk.adjustment"].search([]))

    def test_issue18_requests_are_rate_limited(self):
        Adjustment = self.env["zk.adjustment"].with_user(self.ben_user)
        when = fields.Datetime.now() - timedelta(hours=3)
        for n in range(10):
            Adjustment._zk_submit_request({"direction": "in", "reason": f"Request {n}",
                                           "punch_time": when - timedelta(minutes=n)})
        with self.assertRaisesRegex(ValidationError, "10 requests in the last hour"):
            Adjustment._zk_submit_request({"direction": "in", "reason": "One more",
                                           "punch_time": when})

    def test_issue18_comments_are_rate_limited(self):
        Comment = self.env["zk.day.comment"].with_user(self.ben_user)
        for n in range(10):
            Comment.create({"record_id": self.team["ben_record"].id, "body": f"Note {n}"})
        with self.assertRaisesRegex(ValidationError, "10 comments in the last hour"):
            Comment.create({"record_id": self.team["ben_record"].id, "body": "One more"})

    def test_issue18_days_back_setting_limits_requests(self):
        self.team["ben"].company_id.zk_request_days_back = 2
        with self.assertRaisesRegex(ValidationError, "go back 2 days"):
            self.env["zk.adjustment"].with_user(self.ben_user).create({
                "direction": "in", "reason": "Long ago",
                "punch_time": fields.Datetime.now() - timedelta(days=5)})

    # ------------------------------------------------------------------ deadlines, nudges
    def test_issue18_request_on_an_exported_day_is_an_audited_correction(self):
        record = self.team["ben_record"]
        record.sudo().locked = True
        adjustment = self.env["zk.adjustment"].with_user(self.ben_user)._zk_submit_request({
            "direction": "out", "reason": "Forgot to check out",
            "punch_time": datetime.combine(self.team["day"], datetime.min.time())
            + timedelta(hours=9, minutes=5)})  # 17:05 in Manila
        adjustment.with_user(self.manager).action_approve()
        self.assertFalse(record.missing_check_out, "the locked day is corrected")
        entry = self.env["zk.audit.entry"].search([("action", "=", "recompute")], limit=1,
                                                  order="id desc")
        self.assertIn("exported day", entry.reason)

    def test_issue18_morning_nudge_once_a_day_when_switched_on(self):
        Record = self.env["zk.daily.record"]
        company = self.team["employee"].company_id
        ana, ben = self.team["ana_record"], self.team["ben_record"]
        (ana | ben).write({"work_date": fields.Date.today() - timedelta(days=1)})
        self.assertEqual(Record._cron_nudge_flagged_days(), 0, "off by default")
        company.zk_nudge_flagged_days = True
        self.assertEqual(Record._cron_nudge_flagged_days(), 2)
        messages = self.env["mail.message"].search([
            ("model", "=", "hr.employee"), ("message_type", "=", "user_notification")])
        self.assertEqual(set(messages.partner_ids.ids),
                         {self.portal.partner_id.id, self.ben_user.partner_id.id})
        self.assertIn(f"/my/attendance/request?record_id={ana.id}",
                      " ".join(messages.mapped("body")))
        # Another flagged day of Ana's computed later the same morning: no second message
        # today; it waits for tomorrow's.
        later = punch_day(self.env, self.team, fields.Date.today() - timedelta(days=2),
                          ("08:00:00", 0), first_id=700)
        self.assertTrue(later.flagged)
        self.assertEqual(Record._cron_nudge_flagged_days(), 0)
        self.assertFalse(later.nudged_at)

    def test_issue18_grant_portal_from_the_employee_form_opens_odoo_wizard(self):
        employee = self.env["hr.employee"].create({"name": "Carla Diaz"})
        with self.assertRaisesRegex(Exception, "work email"):
            employee.action_zk_grant_portal()
        employee.work_email = "carla@example.com"
        action = employee.action_zk_grant_portal()
        wizard = self.env["portal.wizard"].browse(action["res_id"])
        self.assertEqual(wizard.user_ids.partner_id, employee.work_contact_id)
