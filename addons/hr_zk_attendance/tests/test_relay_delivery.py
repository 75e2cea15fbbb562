"""Issue 10 in real Odoo with a real relay process: enrolment, push delivery, signed pages,
revocation, rotation, and switching between pull and push.

The relay pushes over HTTP into this test's Odoo server (HttpCase). While it does, the test
waits by asking the relay (its CLI), never Odoo, because the requests use Odoo's test cursor.
"""

import json
from datetime import date, timedelta

from odoo import fields
from odoo.tests import HttpCase, TransactionCase, tagged

from zk_rules import signing
from zk_rules.delivery import secret_hash
from zk_rules.fingerprint import punch_fingerprint

from .link_proxy import LinkProxy
from .relay_process import CallingRelayMixin, RelayProcess, relay_command

SERIAL = "PUSH000001"
FAST = {"ZK_RELAY_PUSH_PAGE_SIZE": "7", "ZK_RELAY_PUSH_INTERVAL_SECONDS": "0.1",
        "ZK_RELAY_PUSH_BACKOFF_BASE_SECONDS": "0.05", "ZK_RELAY_PUSH_BACKOFF_CAP_SECONDS": "0.3"}


@tagged("post_install", "-at_install")
class TestRelayDelivery(CallingRelayMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if relay_command() is None:
            cls.skipTest(cls, "zk-relay is not installed in Odoo's environment")
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.employee = cls.env["hr.employee"].create({
            "name": "Lorna Reyes", "tz": "Asia/Manila", "resource_calendar_id": False})
        cls.day = (date.today() - timedelta(days=2)).isoformat()

    def setUp(self):
        super().setUp()
        self.relay_proc = RelayProcess(env=FAST)
        self.addCleanup(self.relay_proc.close)
        self.relay_proc.start()
        self.hold_test_cursor()

    # ------------------------------------------------------------------ helpers
    def url_open(self, *args, **kwargs):
        """The request reads the database and writes to it: flush before, forget after."""
        with self.relay_may_call():
            return super().url_open(*args, **kwargs)

    def make_relay(self, mode="push", url=False, **values):
        relay = self.env["zk.relay"].create({"name": f"Branch {mode}", "delivery_mode": mode,
                                             "url": url, "page_size": 5, **values})
        device = self.env["zk.device"].create({
            "serial": SERIAL, "name": "Gate", "timezone": "Asia/Manila", "relay_id": relay.id})
        self.env["zk.device.user"].create({"device_id": device.id, "pin": "42",
                                           "employee_id": self.employee.id})
        return relay, device

    def enrol(self, relay, odoo_url=None, *extra):
        action = relay.action_enrolment_code()
        wizard = self.env["zk.relay.enrol.wizard"].browse(action["res_id"])
        self.assertIn(wizard.code, wizard.command)
        with self.relay_may_call():  # the enrolment request reads the code from the database
            self.relay_proc.cli("enrol", "--odoo", odoo_url or self.base_url(),
                                "--code", wizard.code, *extra)
        return wizard.code

    def punch(self, count, start=0):
        lines = [("42", f"{self.day} {7 + i // 60:02d}:{i % 60:02d}:00", i % 2)
                 for i in range(start, start + count)]
        self.env.flush_all()  # the relay pushes at once: Odoo's side must be in the database
        status, text = self.relay_proc.push_attlog(SERIAL, lines)
        self.assertEqual((status, text.strip()), (200, f"OK: {count}"))
        return lines

    def wait_pushed(self):
        """Until Odoo has committed everything the relay stores (the relay's push cursor)."""
        last = self.relay_proc.last_event_id()
        with self.relay_may_call():
            self.relay_proc.wait_until(
                lambda: (self.relay_proc.odoo_link() or {}).get("push_cursor") == last,
                f"Odoo committed up to event {last}")

    def punches(self, device):
        return self.env["zk.punch"].search([("device_id", "=", device.id),
                                            ("local_time", "like", f"{self.day}%")])

    def pull_all(self, max_runs=50):
        for _ in range(max_runs):
            remaining = self.env["zk.relay"]._cron_pull()
            self.env.cr.postcommit.run()
            if not remaining:
                return
        self.fail("the pull did not finish")

    def post_page(self, page, token):
        return self.url_open("/zk/relay/push", data=json.dumps(page),
                             headers={"Authorization": f"Bearer {token}",
                                      "Content-Type": "application/json"})

    def signed_page(self, key, events, after=0, store="S-test"):
        return signing.sign_page({
            "store_id": store, "after": after, "events": events,
            "next_after": events[-1]["id"] if events else after, "has_more": False}, key)

    def direct_relay(self):
        """A relay record with a key and delivery token of this test's own (no process)."""
        key = signing.generate_private_key()
        relay, device = self.make_relay()
        token = "tok-" + signing.key_id(key)
        relay.sudo().write({"public_key": signing.public_key_b64(key),
                            "link_state": "enrolled",
                            "odoo_token_hash": secret_hash(token)})
        return relay, device, key, token

    def event(self, event_id, minute):
        local = f"{self.day} 09:{minute:02d}:00"
        return {"id": event_id, "serial": SERIAL, "pin": "42", "local_time": local,
                "timezone": "Asia/Manila", "status": 0, "verify": 1, "workcode": "",
                "received_at": "2025-01-01T00:00:00.000+00:00",
                "fingerprint": punch_fingerprint(SERIAL, "42", local)}

    # ------------------------------------------------------------------ tests
    def test_enrolment_then_push_full_path_traced_to_signed_pages(self):
        relay, device = self.make_relay()
        self.assertIn("no URL", device.relay_sync_error or "")
        code = self.enrol(relay)
        self.assertEqual(relay.link_state, "enrolled")
        self.assertEqual(relay.public_key, self.relay_proc.public_key())
        self.assertTrue(relay.sudo().token, "the relay's API token came with the enrolment")
        link = self.relay_proc.odoo_link()
        self.assertEqual((link["mode"], link["relay_id"]), ("push", relay.id))
        self.assertTrue(link["delivery_url"].endswith("/zk/relay/push"))
        # Odoo's terminal list reached the relay with the enrolment.
        self.assertIn(SERIAL, self.relay_proc.cli("device", "list"))
        # The code was one-time.
        with self.assertRaisesRegex(RuntimeError, "code"), self.relay_may_call():
            self.relay_proc.cli("enrol", "--odoo", self.base_url(), "--code", code)

        lines = self.punch(17)
        self.wait_pushed()
        punches = self.punches(device)
        self.assertEqual(sorted(punches.mapped("local_time")), sorted(t for _, t, _ in lines))
        self.assertEqual(punches.employee_id, self.employee)
        pages = relay.page_ids
        self.assertEqual(set(pages.mapped("state")), {"accepted"})
        self.assertEqual(set(pages.mapped("via")), {"push"})
        self.assertEqual(sum(pages.mapped("event_count")), 17)
        self.assertTrue(all(p.page_id for p in punches), "every punch names its page")
        for page in punches.page_id:
            signing.verify_page(json.loads(page.payload), relay.public_key)
            self.assertEqual(page.action_verify_again()["params"]["type"], "success")
        self.assertEqual(relay.cursor, self.relay_proc.last_event_id())
        self.assertEqual((relay.lag_events, relay.lag_oldest_at), (0, False))
        self.assertTrue(relay.newest_received_at)

    def test_link_cut_mid_page_loses_and_doubles_nothing(self):
        relay, device = self.make_relay()
        proxy = LinkProxy(int(self.base_url().rsplit(":", 1)[1]), "/zk/relay/push")
        self.addCleanup(proxy.close)
        self.enrol(relay, proxy.url)
        # First page: cut while the request travels; second: Odoo commits, answer lost.
        proxy.then("cut_request", "cut_response", "pass", "cut_response")
        lines = self.punch(20)
        with self.relay_may_call():
            self.relay_proc.wait_until(lambda: not proxy.pending(), "every cut happened")
        self.wait_pushed()
        punches = self.punches(device)
        self.assertEqual(len(punches), len(lines), "nothing lost")
        self.assertEqual(sorted(punches.mapped("local_time")), sorted(t for _, t, _ in lines))
        self.assertIn("cut_response", proxy.log)
        # The resent pages were imported as duplicates, never twice.
        self.assertGreater(sum(relay.page_ids.mapped("event_count")), 20)
        self.assertEqual(sum(relay.page_ids.mapped("imported_count")), 20)

    def test_forged_altered_and_unsigned_pages_are_refused_and_reported(self):
        relay, device, key, token = self.direct_relay()
        good = self.signed_page(key, [self.event(1, 0), self.event(2, 1)])
        forged = self.signed_page(signing.generate_private_key(), [self.event(1, 0)])
        altered = json.loads(json.dumps(good))
        altered["events"][0]["pin"] = "999"
        unsigned = {k: v for k, v in good.items() if k != "signature"}
        for page, reason in ((forged, "unknown_key"), (altered, "bad_signature"),
                             (unsigned, "unsigned")):
            answer = self.post_page(page, token)
            self.assertEqual(answer.status_code, 400)
            self.assertEqual((answer.json()["error"], answer.json()["reason"]),
                             ("bad_signature", reason))
        self.assertFalse(self.punches(device), "nothing of a refused page is imported")
        relay.invalidate_recordset()
        self.assertEqual(relay.pages_refused, 3)
        self.assertIn("refused", relay.last_error)
        self.assertEqual(relay.health, "error")
        refused = relay.page_ids.filtered(lambda p: p.state == "refused")
        self.assertEqual(sorted(refused.mapped("reason")),
                         ["bad_signature", "unknown_key", "unsigned"])
        # The genuine page goes in, and a punch points at it.
        answer = self.post_page(good, token)
        self.assertEqual(answer.json(), {"committed_up_to": 2})
        self.assertEqual(self.punches(device).page_id.signature, good["signature"]["value"])

    def test_unauthenticated_oversized_and_too_fast_requests_never_import(self):
        relay, device, key, token = self.direct_relay()
        page = self.signed_page(key, [self.event(1, 0)])
        self.assertEqual(self.post_page(page, "wrong-token").status_code, 401)
        no_auth = self.url_open("/zk/relay/push", data=json.dumps(page))
        self.assertEqual(no_auth.status_code, 401)
        self.env["ir.config_parameter"].sudo().set_param("hr_zk_attendance.push_max_bytes",
                                                         "200")
        self.assertEqual(self.post_page(page, token).status_code, 413)
        self.env["ir.config_parameter"].sudo().set_param("hr_zk_attendance.push_max_bytes",
                                                         "1000000")
        self.env["ir.config_parameter"].sudo().set_param("hr_zk_attendance.push_per_minute",
                                                         "2")
        statuses = [self.post_page(page, token).status_code for _ in range(3)]
        self.assertEqual(statuses[:2], [200, 200])
        limited = self.post_page(page, token)
        self.assertEqual(limited.status_code, 429)
        self.assertGreaterEqual(int(limited.headers["Retry-After"]), 1)
        self.assertEqual(len(self.punches(device)), 1)

    def test_revoked_relay_is_refused_at_once(self):
        relay, device = self.make_relay()
        self.enrol(relay)
        self.punch(3)
        self.wait_pushed()
        relay.action_revoke()
        self.assertEqual(relay.link_state, "revoked")
        self.punch(2, start=3)
        with self.relay_may_call():
            self.relay_proc.wait_until(
                lambda: self.relay_proc.odoo_link()["state"] == "revoked",
                "the relay took Odoo's refusal")
        self.assertEqual(len(self.punches(device)), 3, "nothing after the revocation")
        audit = self.env["zk.audit.entry"].search([("model", "=", "zk.relay"),
                                                   ("res_id", "=", relay.id)])
        self.assertEqual(set(audit.mapped("action")), {"relay_enrolled", "relay_revoked"})
        # A revoked relay is not pulled either.
        relay.write({"url": self.relay_proc.url})
        self.assertNotIn(relay, self.env["zk.relay"].search(
            [("link_state", "!=", "revoked"), ("id", "=", relay.id)]))

    def test_revoked_relay_comes_back_by_enrolling_again(self):
        """After Revoke, a new enrolment code gives new credentials; the old token stays
        refused, the new one delivers (Odoo's side alone, no relay process needed)."""
        relay, device, key, old_token = self.direct_relay()
        relay.action_revoke()
        page = self.signed_page(key, [self.event(1, 0)])
        self.assertEqual(self.post_page(page, old_token).status_code, 403)
        action = relay.action_enrolment_code()
        code = self.env["zk.relay.enrol.wizard"].browse(action["res_id"]).code
        answer = self.url_open("/zk/relay/enrol", data=json.dumps({
            "code": code, "public_key": relay.public_key, "key_id": relay.key_id,
            "store_id": "S-test", "relay_token": "relay-api-token", "relay_url": None,
            "version": "test"}))
        self.assertEqual(answer.status_code, 200)
        new_token = answer.json()["odoo_token"]
        self.assertEqual(relay.link_state, "enrolled")
        self.assertEqual(self.post_page(page, old_token).status_code, 401)
        self.assertEqual(self.post_page(page, new_token).json(), {"committed_up_to": 1})
        self.assertEqual(len(self.punches(device)), 1)

    def test_revoked_relay_process_resumes_after_enrolling_again(self):
        """The same with the real relay process: revoked by Odoo, it stops; `zk-relay enrol`
        with a new code while it runs makes it deliver what waited, with the new token from
        its first push on (no 401: the old token is never sent after the enrolment)."""
        relay, device = self.make_relay()
        self.enrol(relay)
        self.punch(3)
        self.wait_pushed()
        relay.action_revoke()
        self.punch(2, start=3)
        with self.relay_may_call():
            self.relay_proc.wait_until(
                lambda: self.relay_proc.odoo_link()["state"] == "revoked",
                "the relay took Odoo's refusal")
        self.enrol(relay)
        self.wait_pushed()
        link = self.relay_proc.odoo_link()
        self.assertEqual((link["state"], link["last_error"]), ("active", None), link)
        self.assertEqual(len(self.punches(device)), 5)

    def test_rotated_token_replaces_the_old_one(self):
        relay, device = self.make_relay()
        self.enrol(relay)
        self.punch(2)
        self.wait_pushed()
        old_hash = relay.sudo().odoo_token_hash
        relay.action_rotate_token()
        self.punch(2, start=2)
        self.wait_pushed()
        self.punch(2, start=4)  # sent with the new token
        self.wait_pushed()
        relay.invalidate_recordset()
        self.assertNotEqual(relay.sudo().odoo_token_hash, old_hash)
        self.assertFalse(relay.sudo().odoo_token_next)
        self.assertTrue(relay.token_rotated_at)
        self.assertTrue(self.relay_proc.odoo_link()["token_rotated_at"])
        self.assertEqual(len(self.punches(device)), 6)

    def test_switch_pull_push_pull_gives_identical_results(self):
        relay, device = self.make_relay(mode="pull", url=self.relay_proc.url)
        self.enrol(relay, None, "--url", self.relay_proc.url)
        self.assertEqual(relay.delivery_mode, "pull")
        lines = self.punch(8)
        self.env["zk.relay"]._cron_pull()  # one page of 5: 3 events still waiting
        self.assertEqual(relay.lag_events, 3)
        self.assertTrue(relay.lag_oldest_at)
        self.pull_all()
        self.assertEqual(len(self.punches(device)), 8)
        self.assertEqual((relay.lag_events, relay.lag_oldest_at), (0, False))
        self.assertEqual(set(relay.page_ids.mapped("via")), {"pull"})

        lines += self.punch(6, start=8)  # waiting on the relay when the mode changes
        relay.action_switch_mode()
        self.assertEqual(relay.delivery_mode, "push")
        self.wait_pushed()
        lines += self.punch(5, start=14)
        self.wait_pushed()
        self.assertEqual(len(self.punches(device)), 19)

        relay.action_switch_mode()  # back to pull: the relay is told through its API
        self.assertEqual(self.relay_proc.odoo_link()["mode"], "pull")
        lines += self.punch(4, start=19)
        self.pull_all()
        punches = self.punches(device)
        self.assertEqual(sorted(punches.mapped("local_time")), sorted(t for _, t, _ in lines))
        self.assertEqual(len(set(punches.mapped("fingerprint"))), len(lines))
        self.assertEqual(set(relay.page_ids.mapped("via")), {"pull", "push"})
        self.assertEqual(relay.cursor, self.relay_proc.last_event_id())

    def test_pull_refuses_pages_not_signed_by_the_registered_key(self):
        relay, device = self.make_relay(
            mode="pull", url=self.relay_proc.url,
            token=self.relay_proc.cli("token", "create", "odoo"),
            public_key=signing.public_key_b64(signing.generate_private_key()))
        self.assertFalse(device.relay_sync_error)
        self.punch(3)
        self.env["zk.relay"]._cron_pull()
        self.assertFalse(self.punches(device))
        self.assertEqual(relay.page_ids.reason, "unknown_key")
        self.assertEqual((relay.pull_failures, relay.health), (1, "error"))
        self.assertTrue(relay.next_pull_at)
        # With the relay's real key (pasted from `zk-relay key show`) it imports.
        relay.write({"public_key": self.relay_proc.public_key(), "next_pull_at": False})
        self.pull_all()
        self.assertEqual(len(self.punches(device)), 3)
        self.assertEqual(relay.pull_failures, 0)

    def test_enrolment_codes_are_single_use_expiring_and_check_the_key(self):
        relay, _device = self.make_relay()
        action = relay.action_enrolment_code()
        code = self.env["zk.relay.enrol.wizard"].browse(action["res_id"]).code
        key = signing.generate_private_key()
        body = {"code": code.lower(), "public_key": signing.public_key_b64(key),
                "key_id": "0" * 16, "store_id": "s", "relay_token": "t", "relay_url": None,
                "version": "test"}
        answer = self.url_open("/zk/relay/enrol", data=json.dumps(body))
        self.assertEqual((answer.status_code, answer.json()["error"]), (400, "bad_key"))
        relay.sudo().enrol_code_expires_at = "2000-01-01 00:00:00"
        body["key_id"] = signing.key_id(key)
        answer = self.url_open("/zk/relay/enrol", data=json.dumps(body))
        self.assertEqual((answer.status_code, answer.json()["error"]), (403, "code_expired"))
        answer = self.url_open("/zk/relay/enrol", data=json.dumps(body))
        self.assertEqual((answer.status_code, answer.json()["error"]), (403, "invalid_code"))
        self.assertEqual(relay.link_state, "waiting")
        self.assertEqual(self.url_open("/zk/relay/enrol", data="not json").status_code, 400)


@tagged("post_install", "-at_install")
class TestPullBackoff(TransactionCase):
    def test_failed_pulls_back_off_with_full_jitter_up_to_the_cap(self):
        """Issue 10: Odoo's pull from a relay waits uniform(0, min(cap, base * 2^n)) after
        the n-th failure in a row (the ceiling is taken here: computed, not slept)."""
        relay = self.env["zk.relay"].create({"name": "down", "url": "http://127.0.0.1:9"})
        bounds = []

        def ceiling(low, high):
            bounds.append((low, high))
            return high

        for _ in range(8):
            before = fields.Datetime.now()
            relay._pull_failed("unreachable", uniform=ceiling)
            waited = (relay.next_pull_at - before).total_seconds()
            self.assertAlmostEqual(waited, bounds[-1][1], delta=2)
        self.assertEqual([b for _a, b in bounds],
                         [120, 240, 480, 960, 1920, 3600, 3600, 3600])
        self.assertEqual({a for a, _b in bounds}, {0.0})
        self.assertEqual(relay.pull_failures, 8)
        # While it waits, the scheduled action does not touch it.
        self.env["zk.relay"]._cron_pull()
        self.assertEqual(relay.pull_failures, 8)
