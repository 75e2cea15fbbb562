from datetime import datetime, timedelta

from odoo import fields
from odoo.tests import TransactionCase, new_test_user, tagged

from zk_rules.fingerprint import punch_fingerprint


@tagged("post_install", "-at_install")
class TestFleetOverview(TransactionCase):
    """Issue 17, the overview: one card per relay and terminal with a state colour, its
    figures and the punches of the last 14 days; officers see their companies' only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.relay = cls.env["zk.relay"].create({
            "name": "Branch Davao", "url": "http://127.0.0.1:9", "token": "t0ken",
            "unacked_events": 4, "delivery_lag_seconds": 600})
        cls.seen = cls.env["zk.device"].create({
            "serial": "CQZ8001", "name": "Gate", "timezone": "Asia/Manila",
            "relay_id": cls.relay.id, "last_seen": fields.Datetime.now(),
            "clock_drift_known": True, "clock_drift_seconds": 95,
            "memory_known": True, "memory_percent": 71, "punches_today": 40,
            "punches_usual_by_now": 52})
        cls.never = cls.env["zk.device"].create({
            "serial": "CQZ8002", "name": "Back door", "timezone": "Asia/Manila",
            "relay_id": cls.relay.id})
        cls.Card = cls.env["zk.fleet.card"]

    def card(self, record):
        field = "device_id" if record._name == "zk.device" else "relay_id"
        kind = "terminal" if record._name == "zk.device" else "relay"
        return self.Card.search([(field, "=", record.id), ("kind", "=", kind)])

    def test_one_card_per_relay_and_terminal(self):
        relay_card, gate, back = self.card(self.relay), self.card(self.seen), self.card(self.never)
        self.assertEqual(len(relay_card | gate | back), 3)
        self.assertEqual(relay_card.device_count, 2)
        self.assertEqual(relay_card.delivery_lag_text, "10 min")
        self.assertEqual(relay_card.unacked_events, 4)
        self.assertEqual(gate.drift_text, "95 s ahead")
        self.assertEqual((gate.memory_percent, gate.punches_today, gate.punches_usual_by_now),
                         (71, 40, 52))
        # 95 s is past three quarters of the 120 s allowed, 71 % past three quarters of 90
        self.assertEqual(gate.fleet_state, "warning")
        self.assertIn("Clock 95 seconds off", gate.fleet_summary)
        self.assertEqual(back.fleet_state, "unknown")
        self.assertEqual(back.last_seen_text, "Not seen yet")
        self.assertEqual(gate.last_seen_text, "Seen just now")
        self.assertEqual(back.action_open()["res_id"], self.never.id)
        self.assertEqual(relay_card.action_open()["res_model"], "zk.relay")

    def test_alert_turns_the_card_red(self):
        self.seen.memory_percent = 96
        self.seen._fleet_evaluate_alerts()
        card = self.card(self.seen)
        self.assertEqual(card.fleet_state, "alert")
        self.assertEqual(card.open_alert_count, 1)
        self.assertEqual(card.fleet_summary, "Memory almost full")

    def test_punches_per_day_graph(self):
        today = datetime.now()
        for i, days_ago in enumerate((0, 0, 0, 2, 20)):
            local = (today - timedelta(days=days_ago)).strftime("%Y-%m-%d 09:0") + f"{i}:00"
            self.env["zk.punch"].create({
                "serial": self.seen.serial, "pin": "7", "local_time": local,
                "timezone": "Asia/Manila", "device_id": self.seen.id,
                "company_id": self.seen.company_id.id,
                "fingerprint": punch_fingerprint(self.seen.serial, "7", local)})
        bars = self.card(self.seen).punches_by_day
        self.assertEqual(len(bars), 14)
        by_day = {b["day"]: b["count"] for b in bars}
        self.assertEqual(by_day[today.strftime("%Y-%m-%d")], 3)
        self.assertEqual(by_day[(today - timedelta(days=2)).strftime("%Y-%m-%d")], 1)
        self.assertEqual(sum(by_day.values()), 4, "the punch of 20 days ago is outside")
        self.assertFalse(self.card(self.relay).punches_by_day)

    def test_officer_sees_own_companies_only(self):
        other = self.env["res.company"].create({"name": "Other company"})
        self.env["zk.device"].create({"serial": "CQZ9999", "company_id": other.id,
                                      "timezone": "Asia/Manila", "connection": "direct",
                                      "address": "10.0.0.9"})
        officer = new_test_user(self.env, "fleet_officer",
                                groups="base.group_user,hr_attendance.group_hr_attendance_officer")
        serials = self.Card.with_user(officer).search([]).mapped("serial")
        self.assertIn("CQZ8001", serials)
        self.assertNotIn("CQZ9999", serials)
        # an officer reads the cards' figures and the alerts, writes nothing
        self.assertTrue(self.Card.with_user(officer).search([]).mapped("fleet_state"))
        self.env["zk.fleet.alert"].with_user(officer).search([])
