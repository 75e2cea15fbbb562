"""Issue 19 with a real relay in push mode (Odoo cannot reach it): enrol at terminal A (a push
simulator) → the relay pushes the template to Odoo → Odoo's outbox carries the copy to
terminal B → B's cell in sync; erase → confirmed on both terminals."""

import base64
import os
import sqlite3
from unittest.mock import patch

from odoo.tests import HttpCase, tagged
from odoo.tools import config

from odoo.addons.hr_zk_attendance.tests.relay_process import (
    CallingRelayMixin,
    RelayProcess,
    relay_command,
)

from .common import KEY

PIN = "0042"
RELAY_KEY = base64.urlsafe_b64encode(os.urandom(32)).decode()
FAST = {"ZK_RELAY_BIOMETRIC_KEY": RELAY_KEY, "ZK_RELAY_PUSH_INTERVAL_SECONDS": "0.1",
        "ZK_RELAY_PUSH_BACKOFF_BASE_SECONDS": "0.05", "ZK_RELAY_PUSH_BACKOFF_CAP_SECONDS": "0.3",
        "ZK_RELAY_HEALTH_INTERVAL_SECONDS": "0.2"}


@tagged("post_install", "-at_install")
class TestBiometricPushRelay(CallingRelayMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.startClassPatcher(patch.dict(config.options, {"zk_biometric_key": KEY}))
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        env = cls.env
        cls.location = env["hr.work.location"].create({
            "name": "Branch push", "address_id": env.company.partner_id.id,
            "location_type": "office"})
        cls.relay = env["zk.relay"].create({"name": "Branch push relay",
                                            "delivery_mode": "push"})
        cls.dev_a, cls.dev_b = (env["zk.device"].create({
            "serial": serial, "name": name, "timezone": "Asia/Manila",
            "relay_id": cls.relay.id, "work_location_id": cls.location.id})
            for serial, name in (("PUSHA001", "Entrance"), ("PUSHB002", "Warehouse")))
        cls.employee = env["hr.employee"].create({
            "name": "Ana Reyes", "tz": "Asia/Manila", "work_location_id": cls.location.id})
        env["zk.device.user"].create({"device_id": cls.dev_a.id, "pin": PIN,
                                      "employee_id": cls.employee.id})

    def relay_rows(self, proc, query, args=()):
        with sqlite3.connect(f"file:{proc.data / 'relay.sqlite3'}?mode=ro", uri=True) as conn:
            return conn.execute(query, args).fetchall()

    def cell(self, device, item="fingerprint"):
        return self.env["zk.biometric.sync"].search([
            ("employee_id", "=", self.employee.id), ("device_id", "=", device.id),
            ("item", "=", item)])

    def test_enrol_at_a_copy_to_b_through_the_outbox_then_erase(self):
        if relay_command() is None:
            self.skipTest("zk-relay is not installed in Odoo's environment")
        from zk_sim.push_terminal import PushTerminal  # noqa: PLC0415 - test tool only

        proc = RelayProcess(env=FAST)
        self.addCleanup(proc.close)
        proc.start()
        self.hold_test_cursor()
        wizard = self.env["zk.relay.enrol.wizard"].browse(
            self.relay.action_enrolment_code()["res_id"])
        with self.relay_may_call():
            proc.cli("enrol", "--odoo", self.base_url(), "--code", wizard.code)
        link = proc.odoo_link()
        self.assertEqual((link["mode"], link["biometric_url"], link["commands_url"]),
                         ("push", self.base_url() + "/zk/relay/biometric",
                          self.base_url() + "/zk/relay/commands"))
        self.assertFalse(self.relay.url, "Odoo cannot reach this relay")

        term_a, term_b = (PushTerminal(proc.url, serial, time_scale=0, max_offline_cycles=2)
                          for serial in ("PUSHA001", "PUSHB002"))
        self.assertTrue(term_a.sync() and term_b.sync())
        finger = term_a.enrol(PIN, "fingerprint", 6, name="Ana Reyes")
        self.assertTrue(term_a.sync())

        def acked():
            rows = self.relay_rows(proc, "SELECT value FROM meta WHERE key = "
                                         "'templates_acked_up_to'")
            return rows and int(rows[0][0]) > 0
        with self.relay_may_call():
            proc.wait_until(acked, "Odoo committed the pushed template page")
        template = self.env["zk.biometric.template"].search([("employee_id", "=",
                                                              self.employee.id)])
        self.assertEqual((template.kind, template.finger_index, template.source_device_id),
                         ("fingerprint", 6, self.dev_a))
        self.assertEqual(template.sudo()._zk_open("test"), finger.data)
        self.assertEqual(self.cell(self.dev_a).state, "synced")
        self.assertEqual(self.cell(self.dev_b).state, "pending")

        # Odoo queues the copy for B: it waits in the outbox until the relay takes it.
        self.env["zk.biometric.sync"]._cron_send()
        outbox = self.env["zk.relay.outbox"].search([("relay_id", "=", self.relay.id)])
        self.assertEqual(sorted(outbox.mapped("kind")), ["template_upsert", "user_upsert"])
        with self.relay_may_call():
            proc.wait_until(lambda: len(self.relay_rows(
                proc, "SELECT 1 FROM odoo_outbox WHERE reported_state IS NOT NULL")) == 2,
                "the relay took both commands and said so")
        self.assertFalse(any(outbox.sudo().mapped("data_sealed")),
                         "the template left Odoo's outbox once the relay had it")
        self.assertTrue(term_b.sync())
        self.assertEqual({(t.kind, t.index): t.data for t in term_b.bio.of(PIN)},
                         {("fingerprint", 6): finger.data}, self.relay_rows(
                             proc, "SELECT o.kind, o.refusal, o.message, c.state, c.return_code"
                             " FROM odoo_outbox o LEFT JOIN commands c ON c.id = o.command_id"))
        with self.relay_may_call():
            proc.wait_until(lambda: {r[0] for r in self.relay_rows(
                proc, "SELECT reported_state FROM odoo_outbox")} == {"done"},
                "B's results reached Odoo")
        self.assertEqual(self.cell(self.dev_b).state, "synced")
        self.assertEqual(self.cell(self.dev_b, "user").state, "synced")

        # Departure: erased at A and B through the outbox, each confirmed.
        self.employee.sudo().action_zk_bio_erase()
        erasure = self.employee.zk_bio_erasure_ids
        self.assertEqual(set(erasure.line_ids.mapped("state")), {"pending"})
        with self.relay_may_call():
            proc.wait_until(lambda: len(self.relay_rows(
                proc, "SELECT 1 FROM odoo_outbox WHERE kind = 'user_erase'")) == 2,
                "the relay took the erasures")
        self.assertTrue(term_a.sync() and term_b.sync())
        self.assertNotIn(PIN, term_a.users)
        self.assertNotIn(PIN, term_b.users)
        with self.relay_may_call():
            proc.wait_until(lambda: {r[0] for r in self.relay_rows(
                proc, "SELECT reported_state FROM odoo_outbox")} == {"done"},
                "the erasures were confirmed to Odoo")
        self.assertEqual(erasure.state, "done")
        self.assertEqual(set(erasure.line_ids.mapped("state")), {"confirmed"})
        self.assertFalse(self.relay_rows(proc, "SELECT 1 FROM bio_templates WHERE pin = ?",
                                         (PIN,)), "the relay erased its own copy")
