"""Issue 17, push mode: `POST /zk/relay/status` in real Odoo. Signed pages of this test's own
key check the door (token, signature, cursors, keys), then a real relay enrolled in push mode
delivers a reconciliation that found and filled a dropped record."""

import json
import sqlite3
from datetime import date, timedelta

from odoo.tests import HttpCase, tagged

from odoo.addons.hr_zk_attendance.tests.relay_process import (
    CallingRelayMixin,
    RelayProcess,
    relay_command,
)

from zk_rules import signing
from zk_rules.delivery import secret_hash

SERIAL = "STATUS0001"
FAST = {"ZK_RELAY_PUSH_INTERVAL_SECONDS": "0.1", "ZK_RELAY_PUSH_BACKOFF_BASE_SECONDS": "0.05",
        "ZK_RELAY_PUSH_BACKOFF_CAP_SECONDS": "0.3", "ZK_RELAY_RECON_SETTLE_SECONDS": "0",
        "ZK_RELAY_HEALTH_INTERVAL_SECONDS": "0.2"}


@tagged("post_install", "-at_install")
class TestStatusPush(CallingRelayMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.day = (date.today() - timedelta(days=2)).isoformat()

    def url_open(self, *args, **kwargs):
        """The request reads the database and writes to it: flush before, forget after."""
        with self.relay_may_call():
            return super().url_open(*args, **kwargs)

    def make_relay(self, **values):
        relay = self.env["zk.relay"].create({"name": "Branch push", "delivery_mode": "push",
                                             "page_size": 50, **values})
        device = self.env["zk.device"].create({
            "serial": SERIAL, "name": "Gate", "timezone": "Asia/Manila", "relay_id": relay.id})
        return relay, device

    def direct_relay(self):
        key = signing.generate_private_key()
        relay, device = self.make_relay()
        token = "tok-" + signing.key_id(key)
        relay.sudo().write({"public_key": signing.public_key_b64(key), "link_state": "enrolled",
                            "odoo_token_hash": secret_hash(token)})
        return relay, device, key, token

    def post(self, page, token):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.url_open("/zk/relay/status", data=json.dumps(page), headers=headers)

    def page(self, key, after, days=(), events=(), **extra):
        days, events = list(days), list(events)
        return signing.sign_page({
            "store_id": "S-test", "after": after, "days": days, "events": events,
            "next_after": {"days": days[-1]["revision"] if days else after["days"],
                           "events": events[-1]["id"] if events else after["events"]},
            "has_more": False, "generated_at": "2026-01-01T00:00:00.000+00:00", **extra}, key)

    def day_row(self, revision, state="confirmed", **values):
        return {"serial": SERIAL, "day": self.day, "state": state, "reason": None,
                "run_id": 1, "at_terminal": 4, "on_relay": 4, "gaps_filled": 0,
                "checked_at": "2026-01-01T02:00:00.000+00:00", "attempts": 1,
                "revision": revision, "checking": False, **values}

    # ------------------------------------------------------------------ the door
    def test_token_and_signature_are_checked(self):
        _relay, device, key, token = self.direct_relay()
        page = self.page(key, {"days": 0, "events": 0}, days=[self.day_row(3)])
        self.assertEqual(self.post(page, None).status_code, 401)
        self.assertEqual(self.post(page, "not-a-token").status_code, 401)
        forged = dict(page, days=[self.day_row(3, on_relay=5)])
        response = self.post(forged, token)
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["error"], "bad_signature")
        self.assertFalse(device.device_day_ids, "nothing of a forged page is kept")

    def test_rows_kept_by_key_and_cursors_committed(self):
        relay, device, key, token = self.direct_relay()
        event = {"id": 7, "serial": SERIAL, "kind": "log_cleared",
                 "detail": "The attendance log was cleared at the terminal",
                 "local_time": f"{self.day} 18:02:11",
                 "received_at": "2026-01-01T10:02:12.000+00:00"}
        health = {"serial": SERIAL, "memory": {
            "users": {"held": 12, "capacity": 1000, "percent": 1.2},
            "attlogs": {"held": 95000, "capacity": 100000, "percent": 95.0},
            "faces": {"held": 3, "capacity": None, "percent": None}},
            "clock_drift_seconds": -131.4,
            "punches": {"today": 40, "last_hour": 0, "usual_by_now": 52.5,
                        "usual_last_hour": 9}}
        page = self.page(key, {"days": 0, "events": 0},
                         days=[self.day_row(3, state="not_checked", at_terminal=None),
                               self.day_row(5, state="gaps_filled", gaps_filled=1)],
                         events=[event], terminals=[health],
                         relay={"delivery_lag_seconds": 12, "unacked_events": 3,
                                "pages_refused": 1, "last_page_refused": "bad_signature"})
        response = self.post(page, token)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json(), {"committed": {"days": 5, "events": 7}})
        row = device.device_day_ids
        self.assertEqual((row.state, row.gaps_filled, row.revision), ("gaps_filled", 1, 5))
        self.assertEqual(device.device_event_ids.mapped("kind"), ["log_cleared"])
        self.assertEqual(device.device_event_ids.terminal_time, f"{self.day} 18:02:11")
        self.assertEqual((device.memory_known, device.memory_percent, device.face_count,
                          device.attlog_capacity), (True, 95, 3, 100000))
        self.assertEqual((device.clock_drift_known, device.clock_drift_seconds), (True, -131))
        self.assertEqual((device.punches_today, device.punches_usual_by_now), (40, 52))
        self.assertEqual((relay.delivery_lag_seconds, relay.unacked_events,
                          relay.relay_pages_refused), (12, 3, 1))

        # The same page again (an answer lost on the way) changes nothing.
        response = self.post(page, token)
        self.assertEqual(response.json(), {"committed": {"days": 5, "events": 7}})
        self.assertEqual(len(device.device_day_ids), 1)
        self.assertEqual(len(device.device_event_ids), 1)

        # A page after a cursor Odoo never reached keeps nothing and says where Odoo is.
        ahead = self.page(key, {"days": 9, "events": 7},
                          days=[self.day_row(11, state="not_answered", reason="refused")])
        self.assertEqual(self.post(ahead, token).json(),
                         {"committed": {"days": 5, "events": 7}})
        self.assertEqual(device.device_day_ids.state, "gaps_filled")

        # An older revision of a row never overwrites a newer one.
        relay.write({"recon_cursor": 0})
        stale = self.page(key, {"days": 0, "events": 7},
                          days=[self.day_row(4, state="not_answered", reason="refused")])
        self.post(stale, token)
        self.assertEqual(device.device_day_ids.state, "gaps_filled")

    # ------------------------------------------------------------------ a real relay
    def test_real_relay_pushes_a_filled_gap(self):
        if relay_command() is None:
            self.skipTest("zk-relay is not installed in Odoo's environment")
        proc = RelayProcess(env=FAST)
        self.addCleanup(proc.close)
        proc.start()
        self.hold_test_cursor()
        relay, device = self.make_relay()
        action = relay.action_enrolment_code()
        wizard = self.env["zk.relay.enrol.wizard"].browse(action["res_id"])
        with self.relay_may_call():
            proc.cli("enrol", "--odoo", self.base_url(), "--code", wizard.code)
        db = proc.data / "relay.sqlite3"
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            status_url = conn.execute("SELECT status_url FROM odoo_link").fetchone()[0]
        self.assertEqual(status_url, self.base_url() + "/zk/relay/status")

        held = [("9", f"{self.day} 08:00:00", 0), ("9", f"{self.day} 12:00:00", 1),
                ("9", f"{self.day} 17:00:00", 1)]
        self.env.flush_all()
        proc.push_attlog(SERIAL, [held[0], held[2]])  # the noon record is lost on the way
        proc.cli("reconcile", SERIAL, self.day)

        def query_sent():
            _status, text = proc.adms("GET", f"/iclock/getrequest?SN={SERIAL}")
            lines = [ln for ln in text.splitlines() if ln.startswith("C:")]
            return lines if any("DATA QUERY ATTLOG" in ln for ln in lines) else None
        for line in proc.wait_until(query_sent, "the relay asks the terminal for the day", 20):
            _c, command_id, command = line.split(":", 2)
            if command.startswith("DATA QUERY ATTLOG"):
                proc.push_attlog(SERIAL, held)
            cmd = "DATA" if command.startswith("DATA") else command.split(" ")[0]
            proc.adms("POST", f"/iclock/devicecmd?SN={SERIAL}",
                      f"ID={command_id}&Return=0&CMD={cmd}\n".encode())

        def committed_days():
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
                days = conn.execute("SELECT max(revision) FROM recon_days "
                                    "WHERE state = 'gaps_filled'").fetchone()[0]
                cursor = conn.execute("SELECT value FROM meta WHERE key = "
                                      "'status_days_cursor'").fetchone()
                sent = conn.execute("SELECT max(id) FROM events").fetchone()[0]
                pushed = conn.execute("SELECT push_cursor FROM odoo_link").fetchone()[0]
            return days and cursor and int(cursor[0]) >= days and pushed == sent
        with self.relay_may_call():
            proc.wait_until(committed_days, "Odoo committed the reconciled day and the punches")
        row = device.device_day_ids
        self.assertEqual((row.state, row.gaps_filled, row.on_relay, row.imported),
                         ("gaps_filled", 1, 3, 3))
        punches = self.env["zk.punch"].search([("device_id", "=", device.id)])
        self.assertEqual(sorted(punches.mapped("local_time")), sorted(t for _p, t, _s in held))
