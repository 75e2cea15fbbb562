"""Issue 19 for a relay Odoo cannot reach (push mode, no URL): its signed pages of templates
and photos arrive on /zk/relay/biometric, and commands for its terminals wait in the outbox
(zk.relay.outbox) that it fetches on /zk/relay/commands."""

import base64
import json
from unittest.mock import patch

from odoo.tests import HttpCase, TransactionCase, tagged
from odoo.tools import SQL, config

from odoo.addons.hr_zk_attendance.tests.screens import save_screens

from zk_rules import signing
from zk_rules.delivery import secret_hash

from .common import PHOTO, TEMPLATE, BiometricMixin, RelayError

TOKEN = "push-relay-token-0001"


class PushRelayMixin(BiometricMixin):
    """The fixtures' relay becomes an enrolled push relay without a URL."""

    @classmethod
    def setUpPushRelay(cls):
        cls.setUpBiometric()
        cls.relay.write({"url": False, "delivery_mode": "push"})
        # sudo: the delivery token's hash and the enrolment state are system fields.
        cls.relay.sudo().write({"link_state": "enrolled", "odoo_token_hash": secret_hash(TOKEN)})

    def push_page(self, rows, after=0, key_name="templates", key=None, store="S-bio"):
        return signing.sign_page({
            "store_id": store, "after": after, key_name: rows, "has_more": False,
            "next_after": rows[-1]["id"] if rows else after}, key or self.key)

    def photo_row(self, row_id=1):
        return {"id": row_id, "serial": "BIOA001", "pin": "0042",
                "local_time": "2026-01-05 08:01:00", "timezone": "Asia/Manila",
                "event_fingerprint": None, "content_type": "image/jpeg", "size": len(PHOTO),
                "data": base64.b64encode(PHOTO).decode(), "received_at": "2026-01-05T00:01:00Z"}

    def outbox(self, **domain):
        return self.env["zk.relay.outbox"].search(
            [("relay_id", "=", self.relay.id), *((k, "=", v) for k, v in domain.items())])

    def exchange(self, results=()):
        status, body = self.env["zk.relay.outbox"]._zk_exchange(self.relay,
                                                                {"results": list(results)})
        self.assertEqual(status, 200, body)
        return body

    def report(self, row, state, return_code=None, **extra):
        return {"outbox_id": row.id, "command_id": 900 + row.id, "state": state,
                "return_code": return_code, **extra}


@tagged("post_install", "-at_install")
class TestBiometricPushDoor(PushRelayMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpPushRelay()

    def post(self, page, token=TOKEN, path="/zk/relay/biometric"):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.url_open(path, data=json.dumps(page), headers=headers)

    def templates(self):
        return self.env["zk.biometric.template"].search([("employee_id", "=",
                                                          self.employee.id)])

    def test_enrolment_hands_the_biometric_and_commands_urls(self):
        self.relay.action_enrolment_code()
        wizard = self.env["zk.relay.enrol.wizard"].search([("relay_id", "=", self.relay.id)])
        other = signing.generate_private_key()
        status, body = self.env["zk.relay"]._enrol({
            "code": wizard.code, "public_key": signing.public_key_b64(other),
            "key_id": signing.key_id(other), "store_id": "S-new", "relay_token": "rt",
            "relay_url": None, "version": "0.1.0"})
        self.assertEqual(status, 200, body)
        self.assertEqual((body["biometric_url"], body["commands_url"]),
                         ("/zk/relay/biometric", "/zk/relay/commands"))

    def test_pushed_page_is_verified_imported_once_and_its_cursor_answered(self):
        page = self.push_page([self.template_row(row_id=4)])
        self.assertEqual(self.post(page, token=None).status_code, 401)
        self.assertEqual(self.post(page, token="wrong").status_code, 401)
        forged = dict(page, templates=[self.template_row(row_id=4, data=b"x" * 600)])
        response = self.post(forged)
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["error"], "bad_signature")
        self.assertFalse(self.templates(), "nothing of a forged page is kept")

        response = self.post(page)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json(), {"committed_up_to": 4})
        template = self.templates()
        self.assertEqual((template.kind, template.finger_index, template.source_device_id),
                         ("fingerprint", 6, self.dev_a))
        self.assertEqual(template.with_user(self.bio_user)._zk_open("test"), TEMPLATE)
        self.assertEqual(self.cell(self.dev_b).state, "pending")
        stored = self.env["zk.audit.entry"].search_count([("action", "=", "biometric_stored")])

        # The answer was lost: the same page again keeps nothing twice.
        self.assertEqual(self.post(page).json(), {"committed_up_to": 4})
        self.assertEqual(self.templates(), template)
        self.assertEqual(self.env["zk.audit.entry"].search_count(
            [("action", "=", "biometric_stored")]), stored)

        # A page after a cursor Odoo never reached keeps nothing and says where Odoo is.
        ahead = self.push_page([self.template_row(row_id=12, index=2)], after=9)
        self.assertEqual(self.post(ahead).json(), {"committed_up_to": 4})
        self.assertEqual(self.templates(), template)

    def test_photos_are_pushed_unless_kept_on_the_relay(self):
        page = self.push_page([self.photo_row(3)], key_name="photos")
        self.assertEqual(self.post(page).json(), {"committed_up_to": 3})
        photo = self.env["zk.punch.photo"].search([("relay_id", "=", self.relay.id)])
        self.assertEqual((photo.relay_photo_id, photo.pin, photo.size), (3, "0042", len(PHOTO)))
        self.assertEqual(self.post(page).json(), {"committed_up_to": 3})
        self.assertEqual(len(self.env["zk.punch.photo"].search(
            [("relay_id", "=", self.relay.id)])), 1)
        self.relay.company_id.zk_keep_photos_on_relay = True
        later = self.push_page([self.photo_row(5)], after=3, key_name="photos")
        self.assertEqual(self.post(later).json(), {"committed_up_to": 3, "wanted": False})

    def test_without_odoo_key_the_page_is_refused_clearly(self):
        page = self.push_page([self.template_row()])
        with patch.dict(config.options, {"zk_biometric_key": ""}):
            response = self.post(page)
        self.assertEqual(response.status_code, 409)
        self.assertEqual(response.json()["error"], "biometrics_off")
        self.assertIn("zk_biometric_key", response.json()["message"])
        self.assertFalse(self.templates())

    def test_commands_door_needs_the_token_and_hands_out_the_outbox(self):
        self.relay._command_client().queue_command("BIOB002", "user_upsert", pin="0042",
                                                   name="Ana Reyes", privilege=0)
        self.assertEqual(self.post({"results": []}, token=None,
                                   path="/zk/relay/commands").status_code, 401)
        response = self.post({"results": []}, path="/zk/relay/commands")
        self.assertEqual(response.status_code, 200, response.text)
        commands = response.json()["commands"]
        self.assertEqual([(c["serial"], c["kind"], c["params"]["pin"]) for c in commands],
                         [("BIOB002", "user_upsert", "0042")])
        self.assertEqual(self.post({"results": "no"}, path="/zk/relay/commands").status_code,
                         400)


@tagged("post_install", "-at_install")
class TestBiometricOutbox(PushRelayMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpPushRelay()

    def test_copies_wait_sealed_in_the_outbox_and_results_turn_the_cells(self):
        self.enrol()
        self.env["zk.biometric.sync"]._cron_send()
        self.assertFalse(self.fake.commands, "a push relay is not called")
        copies = self.outbox(kind="template_upsert")
        self.assertEqual(sorted(copies.mapped("serial")), ["BIOB002", "BIOC003"])
        self.assertEqual(self.cell(self.dev_b).command_id, copies.filtered(
            lambda r: r.serial == "BIOB002").id)
        for row in copies:
            self.assertNotIn("data", json.loads(row.params))
            self.assertTrue(row.sudo().data_sealed)
        self.env.flush_all()
        coded = base64.b64encode(TEMPLATE[18:48]).decode()
        self.env.cr.execute(SQL("SELECT count(*) FROM zk_relay_outbox WHERE params LIKE %s "
                                "OR position(%s::bytea in data_sealed) > 0",
                                f"%{coded}%", TEMPLATE[16:48]))
        self.assertEqual(self.env.cr.fetchone()[0], 0, "no template in clear in the outbox")

        answer = self.exchange()
        # Where Odoo stands: "Read biometric data again" (cursors 0) makes the relay resend.
        self.assertEqual(answer["biometric_cursors"], {"templates": 1, "photos": 0})
        handed = answer["commands"]
        by_id = {c["outbox_id"]: c for c in handed}
        self.assertLessEqual(set(copies.ids), set(by_id))
        self.assertEqual(base64.b64decode(by_id[copies[0].id]["params"]["data"]), TEMPLATE)
        users = self.outbox(kind="user_upsert")
        self.assertEqual(sorted(users.mapped("serial")), ["BIOB002", "BIOC003"])

        # The relay took everything: the templates leave the outbox, the cells wait.
        self.exchange([self.report(row, "queued") for row in copies | users])
        self.assertEqual(set((copies | users).mapped("state")), {"taken"})
        self.assertFalse(any(copies.sudo().mapped("data_sealed")))
        self.assertFalse(self.exchange()["commands"], "nothing handed out twice")
        self.assertEqual(self.cell(self.dev_b).state, "pending")

        copy_b = copies.filtered(lambda r: r.serial == "BIOB002")
        copy_c = copies - copy_b
        self.exchange([self.report(copy_b, "done", 0), self.report(copy_c, "failed", -1001),
                       *(self.report(row, "done", 0) for row in users)])
        self.assertEqual(self.cell(self.dev_b).state, "synced")
        self.assertEqual(self.cell(self.dev_c).state, "failed")
        self.assertIn("memory is full", self.cell(self.dev_c).message)
        self.assertEqual(self.cell(self.dev_b, "user").state, "synced")
        self.assertEqual((copy_b.state, copy_c.state), ("done", "failed"))
        # The outbox says it in words, not the terminal's result line.
        self.assertEqual(copy_b.message, "On the terminal.")
        self.assertIn("the terminal's memory is full", copy_c.message)

    def test_relay_refusing_a_template_shows_not_compatible(self):
        self.enrol()
        self.env["zk.biometric.sync"]._cron_send()
        copy_b = self.outbox(kind="template_upsert", serial="BIOB002")
        self.exchange([self.report(copy_b, "refused", error="not_compatible",
                                   message="terminal BIOB002 uses fingerprint version 12")])
        self.assertEqual(copy_b.state, "refused")
        self.assertEqual(copy_b.message, "terminal BIOB002 uses fingerprint version 12")
        self.assertEqual(self.cell(self.dev_b).state, "not_compatible")

    def test_erasure_goes_through_the_outbox_and_is_confirmed(self):
        self.enrol()
        self.employee.with_user(self.bio_user).action_zk_bio_erase()
        erasure = self.employee.zk_bio_erasure_ids
        erase = self.outbox(kind="user_erase")
        self.assertEqual(sorted(erase.mapped("serial")), ["BIOA001", "BIOB002", "BIOC003"])
        self.assertEqual(set(erasure.line_ids.mapped("state")), {"pending"})
        a, b, c = (erase.filtered(lambda r, s=s: r.serial == s)
                   for s in ("BIOA001", "BIOB002", "BIOC003"))
        self.exchange([self.report(a, "done", 0), self.report(b, "failed", -10),
                       self.report(c, "sent")])
        self.assertEqual(erasure.progress, "2 / 3")
        self.exchange([self.report(c, "done", 0)])
        self.assertEqual(erasure.state, "done")

    def test_terminal_user_commands_use_the_outbox_too(self):
        line = self.employee.zk_user_ids.filtered(lambda ln: ln.device_id == self.dev_a)
        line.action_push_to_terminal()
        row = self.outbox(kind="user_upsert", serial="BIOA001")
        self.assertEqual(json.loads(row.params)["name"], "Ana Reyes")
        self.assertEqual((line.sync_state, line.command_id), ("pending", row.id))
        self.exchange([self.report(row, "done", 0)])
        self.assertEqual(line.sync_state, "synced")

    def test_relay_given_a_url_sends_again_what_its_outbox_held(self):
        """Odoo can now call the relay: outbox commands are no longer followed (their ids
        would name other commands on the relay's API), and what waited is sent again."""
        self.enrol()
        self.env["zk.biometric.sync"]._cron_send()
        self.employee.with_user(self.bio_user).action_zk_bio_erase()
        open_rows = self.outbox(state="waiting")
        self.assertTrue(open_rows)
        line = self.employee.zk_user_ids.filtered(lambda ln: ln.device_id == self.dev_a)
        line.action_push_to_terminal()
        self.relay.write({"url": "http://127.0.0.1:9"})
        self.assertEqual(set(self.outbox().mapped("state")), {"failed"})
        self.assertFalse(any(self.outbox().sudo().mapped("data_sealed")))
        erasure = self.employee.zk_bio_erasure_ids
        self.assertEqual(set(erasure.line_ids.mapped("state")), {"to_send"})
        # The PIN registry's command went through the relay's API at once (the fake relay).
        self.assertEqual(self.fake.of_kind("user_upsert")[0]["serial"], "BIOA001")
        self.assertEqual(line.command_id, self.fake.of_kind("user_upsert")[0]["id"])
        self.env["zk.biometric.sync"]._cron_send()
        self.assertEqual(sorted(c["serial"] for c in self.fake.of_kind("user_erase")),
                         ["BIOA001", "BIOB002", "BIOC003"])

    def test_closed_commands_leave_the_outbox_after_a_month(self):
        row = self.env["zk.relay.outbox"].create({"relay_id": self.relay.id,
                                                  "serial": "BIOA001", "kind": "check"})
        self.exchange([self.report(row, "done", 0)])
        self.assertTrue(row.exists())
        row.done_at = "2020-01-01 00:00:00"
        self.exchange()
        self.assertFalse(row.exists())


@tagged("post_install", "-at_install")
class TestBiometricOutboxTour(PushRelayMixin, HttpCase):
    """The administrator sees, on a push relay's form, what waits in its outbox."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpPushRelay()
        cls.dev_c.active = False  # one other terminal: two commands wait (user, fingerprint)

    def test_outbox_journey(self):
        self.enrol()
        self.env["zk.biometric.sync"]._cron_send()
        self.assertEqual(self.relay.outbox_open_count, 2)
        url = f"/odoo/action-hr_zk_attendance.zk_relay_action/{self.relay.id}"
        self.start_tour(url, "hr_zk_biometric_push_outbox_tour", login="bio_admin")
        save_screens(self, "bio_admin", [
            ("/odoo/action-hr_zk_attendance.zk_relay_outbox_action", ".o_list_view",
             "push_relay_outbox.png")])


@tagged("post_install", "-at_install")
class TestBiometricOutboxIsolation(PushRelayMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpPushRelay()

    def test_a_relay_sees_and_reports_only_its_own_commands(self):
        other = self.env["zk.relay"].create({"name": "Other branch", "delivery_mode": "push"})
        other.sudo().write({"link_state": "enrolled"})
        theirs = self.env["zk.relay.outbox"].create({"relay_id": other.id, "serial": "OTH1",
                                                     "kind": "check"})
        mine = self.relay._command_client().queue_command("BIOA001", "check")
        answer = self.exchange([self.report(theirs, "done", 0)])
        self.assertEqual([c["outbox_id"] for c in answer["commands"]], [mine["id"]])
        self.assertEqual(theirs.state, "waiting", "another relay's command is not touched")
        with self.assertRaises(RelayError):
            other._command_client().command(mine["id"])
