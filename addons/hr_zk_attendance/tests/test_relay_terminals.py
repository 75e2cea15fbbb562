from datetime import date, timedelta

from odoo.tests import HttpCase, tagged

from .relay_process import RelayProcess, relay_command


@tagged("post_install", "-at_install")
class TestRelayTerminals(HttpCase):
    """Refresh terminals against a real relay: what the relay knows shows up in Odoo.

    It said "Terminals refreshed" while a terminal registered on the relay
    (`zk-relay device add`) never appeared in Odoo.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if relay_command() is None:
            cls.skipTest(cls, "zk-relay is not installed in Odoo's environment")
        cls.relay_proc = RelayProcess()
        cls.addClassCleanup(cls.relay_proc.close)
        cls.token = cls.relay_proc.cli("token", "create", "odoo")
        # Registered on the relay only, by hand on the relay host.
        cls.relay_proc.cli("device", "add", "CQZ7231460999", "--tz", "Asia/Tokyo",
                           "--name", "Warehouse")
        cls.relay_proc.start()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.relay = cls.env["zk.relay"].create({
            "name": "Branch Iloilo", "url": cls.relay_proc.url, "token": cls.token,
            "public_key": cls.relay_proc.public_key()})
        # Known to both: created in Odoo, so registered on the relay.
        cls.known = cls.env["zk.device"].create({
            "serial": "KNOWN00001", "name": "Back door", "timezone": "Asia/Manila",
            "relay_id": cls.relay.id})
        cls.employee = cls.env["hr.employee"].create({
            "name": "Rosa Diaz", "tz": "Asia/Manila", "resource_calendar_id": False})

    def test_relay_terminals_appear_waiting_for_approval_and_their_punches_follow(self):
        # An unknown serial knocks at the relay.
        self.relay_proc.adms("GET", "/iclock/cdata?SN=KNOCK00007&options=all&pushver=2.4.1")
        day = (date.today() - timedelta(days=1)).isoformat()
        status, _text = self.relay_proc.push_attlog(
            "CQZ7231460999", [("31", f"{day} 09:00:00", 0)])
        self.assertEqual(status, 200)
        # The punch comes before anyone refreshed: it is kept for review, not dropped.
        while self.relay._pull_page()[0]:
            pass
        punch = self.env["zk.punch"].search([("serial", "=", "CQZ7231460999")])
        self.assertEqual((punch.state, punch.device_id.id), ("review", False))
        self.assertIn("Refresh terminals", punch.state_reason)

        message = self.relay.action_sync_devices()["params"]["message"]
        self.assertEqual(
            message, "2 new terminal(s) waiting for approval: CQZ7231460999, KNOCK00007; "
            "1 updated.")
        warehouse = self.env["zk.device"].search([("serial", "=", "CQZ7231460999")])
        self.assertEqual(
            (warehouse.state, warehouse.timezone, warehouse.name, warehouse.relay_id),
            ("discovered", "Asia/Tokyo", "Warehouse", self.relay))
        knocking = self.env["zk.device"].search([("serial", "=", "KNOCK00007")])
        self.assertEqual(knocking.state, "discovered")

        # A second refresh finds nothing new: the two registered terminals are updated (the
        # knocking serial still waits on both sides).
        message = self.relay.action_sync_devices()["params"]["message"]
        self.assertEqual(message, "2 updated.")

        self.env["zk.device.user"].create({"device_id": warehouse.id, "pin": "31",
                                           "employee_id": self.employee.id})
        warehouse.action_approve()
        self.assertEqual(punch.device_id, warehouse)
        self.assertEqual((punch.state, punch.employee_id), ("done", self.employee))
        self.assertFalse(warehouse.relay_sync_error, "registered on the relay again, as is")
        registered = {d["serial"]: d for d in self.relay._client().devices()["devices"]}
        self.assertEqual(registered["CQZ7231460999"]["timezone"], "Asia/Tokyo")
