from datetime import datetime, timedelta

from odoo import fields
from odoo.tests import TransactionCase, tagged

try:
    from zk_sim import TcpTerminal, TerminalRecord, TerminalUser
except ImportError:  # zk-sim is installed by ./run-tests; without it these tests skip
    TcpTerminal = None


@tagged("post_install", "-at_install")
class TestDirectPoll(TransactionCase):
    """Terminals polled directly with pyzk, against a real ZK TCP peer on loopback (zk-sim)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if TcpTerminal is None:
            cls.skipTest(cls, "zk-sim is not installed in Odoo's environment")
        cls.day = (datetime.now() - timedelta(days=1)).replace(microsecond=0)
        morning = cls.day.replace(hour=8, minute=0, second=7)
        evening = cls.day.replace(hour=17, minute=3, second=0)
        cls.terminal = TcpTerminal(
            users=[TerminalUser(uid=1, pin="0042", name="Ana Reyes"),
                   TerminalUser(uid=2, pin="0043", name="Ben Cruz")],
            records=[TerminalRecord("0042", morning, status=0, verify=1),
                     TerminalRecord("0042", evening, status=1, verify=15)],
            serial="DIRECT0001",
        ).start()
        cls.addClassCleanup(cls.terminal.stop)
        cls.device = cls.env["zk.device"].create({
            "serial": "DIRECT0001", "name": "Warehouse", "timezone": "Asia/Manila",
            "connection": "direct", "address": "127.0.0.1", "port": cls.terminal.port,
        })
        cls.employee = cls.env["hr.employee"].create({"name": "Ana Reyes", "tz": "Asia/Manila"})

    def test_poll_imports_punches_and_users_with_state_and_verify_the_right_way_round(self):
        """adms §5.2: pyzk's `punch` is the state (status), its `status` the verify type."""
        self.assertTrue(self.device._poll_once(fields.Datetime.now()))
        punches = self.env["zk.punch"].search([("device_id", "=", self.device.id)],
                                              order="local_time")
        self.assertEqual(punches.mapped("source"), ["direct", "direct"])
        self.assertEqual(punches.mapped("status"), [0, 1])
        self.assertEqual(punches.mapped("verify"), [1, 15])
        self.assertEqual(punches[0].local_time, self.day.strftime("%Y-%m-%d 08:00:07"))
        users = self.env["zk.device.user"].search([("device_id", "=", self.device.id)])
        self.assertEqual(sorted(users.mapped("pin")), ["0042", "0043"])
        self.assertEqual(set(users.mapped("sync_state")), {"unmapped"})
        self.assertEqual(self.device.firmware, self.terminal.firmware)
        self.assertFalse(self.device.last_poll_error)

    def test_poll_again_stores_nothing_twice_and_same_punch_by_relay_is_one(self):
        self.device._poll_once(fields.Datetime.now())
        self.device._poll_once(fields.Datetime.now())
        self.assertEqual(self.env["zk.punch"].search_count(
            [("device_id", "=", self.device.id)]), 2)
        # The same punch delivered through a relay page has the same fingerprint.
        relay = self.env["zk.relay"].create({"name": "r", "url": "http://127.0.0.1:9"})
        created, duplicates = self.env["zk.punch"]._import_relay_events(relay, [{
            "id": 1, "serial": "DIRECT0001", "pin": "0042",
            "local_time": self.day.strftime("%Y-%m-%d 08:00:07"), "status": 0,
        }])
        self.assertEqual((created, duplicates), (0, 1))

    def test_mapping_the_pin_imports_the_waiting_punches(self):
        self.device._poll_once(fields.Datetime.now())
        line = self.env["zk.device.user"].search([("device_id", "=", self.device.id),
                                                  ("pin", "=", "0042")])
        line.employee_id = self.employee
        while self.env["zk.daily.record"]._cron_compute_pending():
            pass
        attendance = self.env["hr.attendance"].search([("employee_id", "=", self.employee.id)])
        self.assertEqual(len(attendance), 1)
        # 08:00:07 local (UTC+8) truncates to 08:00 -> 00:00 UTC; 17:03 -> 09:03 UTC.
        self.assertEqual((attendance.check_in.strftime("%H:%M"),
                          attendance.check_out.strftime("%H:%M")), ("00:00", "09:03"))

    def test_failures_back_off_with_full_jitter_then_recover(self):
        """Delay = uniform(0, min(3600, 30 * 2**n)); computed with the top of the range."""
        now = fields.Datetime.now()
        self.terminal.refuse_connections = True
        try:
            for failures, ceiling in ((1, 60), (2, 120), (3, 240)):
                self.assertFalse(self.device._poll_once(now, uniform=lambda a, b: b))
                self.assertEqual(self.device.poll_failures, failures)
                self.assertEqual(self.device.next_poll_at, now + timedelta(seconds=ceiling))
                self.assertIn("127.0.0.1", self.device.last_poll_error)
            # Not due yet: the scheduled action leaves it alone.
            self.assertEqual(self.env["zk.device"]._cron_poll_direct(), 0)
        finally:
            self.terminal.refuse_connections = False
        self.assertTrue(self.device._poll_once(now))
        self.assertEqual((self.device.poll_failures, self.device.last_poll_error), (0, False))
        self.assertEqual(self.device.next_poll_at, now + timedelta(minutes=5))

    def test_wrong_terminal_at_the_address_is_refused(self):
        other = self.env["zk.device"].create({
            "serial": "NOTTHISONE", "timezone": "Asia/Manila", "connection": "direct",
            "address": "127.0.0.1", "port": self.terminal.port})
        self.assertFalse(other._poll_once(fields.Datetime.now()))
        self.assertIn("DIRECT0001", other.last_poll_error)
        self.assertFalse(self.env["zk.punch"].search_count([("device_id", "=", other.id)]))
