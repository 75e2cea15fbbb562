from datetime import date, timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged

from .relay_process import RelayProcess, relay_command

SERIAL = "E2E0000001"


@tagged("post_install", "-at_install")
class TestRelayEndToEnd(HttpCase):
    """Terminal bytes -> real zk-relay process -> scheduled pull -> punch log -> attendance.

    HttpCase puts the registry in test mode, so the post-commit acknowledgement opens its
    cursor on the test transaction and sees what the pull wrote.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if relay_command() is None:
            cls.skipTest(cls, "zk-relay is not installed in Odoo's environment")
        cls.relay_proc = RelayProcess()
        cls.addClassCleanup(cls.relay_proc.close)
        cls.token = cls.relay_proc.cli("token", "create", "odoo")
        cls.relay_proc.start()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.relay = cls.env["zk.relay"].create({
            "name": "E2E", "url": cls.relay_proc.url, "token": cls.token, "page_size": 100,
            "public_key": cls.relay_proc.public_key(),
        })
        # Registered on the relay through its API when created in Odoo.
        cls.device = cls.env["zk.device"].create({
            "serial": SERIAL, "name": "Gate", "timezone": "Asia/Manila",
            "relay_id": cls.relay.id,
        })
        cls.employee = cls.env["hr.employee"].create({
            "name": "Carla Santos", "tz": "Asia/Manila", "resource_calendar_id": False})
        cls.env["zk.device.user"].create({"device_id": cls.device.id, "pin": "007",
                                          "employee_id": cls.employee.id})

    def pull_until_done(self, max_runs=50):
        for _ in range(max_runs):
            remaining = self.env["zk.relay"]._cron_pull()
            self.env.cr.postcommit.run()  # what the commit of each cron run triggers: the ack
            if not remaining:
                while self.env["zk.daily.record"]._cron_compute_pending():
                    pass
                return
        self.fail("the import did not finish")

    def test_terminal_registered_on_relay_by_odoo(self):
        self.assertFalse(self.device.relay_sync_error)
        listing = self.relay._client().devices()
        registered = {d["serial"]: d for d in listing["devices"]}
        self.assertEqual(registered[SERIAL]["timezone"], "Asia/Manila")

    def test_push_pull_attendance_and_ack(self):
        day = (date.today() - timedelta(days=1)).isoformat()
        status, text = self.relay_proc.adms(
            "GET", f"/iclock/cdata?SN={SERIAL}&options=all&pushver=2.4.1")
        self.assertEqual(status, 200)
        self.assertIn("TimeZone=8", text)
        status, text = self.relay_proc.push_attlog(SERIAL, [
            ("007", f"{day} 08:01:10", 0), ("007", f"{day} 17:05:00", 1)])
        self.assertEqual((status, "OK" in text), (200, True))

        self.pull_until_done()
        # The relay process outlives each test's rollback: look at this test's day only.
        punches = self.env["zk.punch"].search([("device_id", "=", self.device.id),
                                               ("local_time", "like", f"{day}%")])
        self.assertEqual(sorted(punches.mapped("local_time")),
                         [f"{day} 08:01:10", f"{day} 17:05:00"])
        self.assertEqual(set(punches.mapped("pin")), {"007"})
        attendance = punches.attendance_id
        self.assertEqual(len(attendance), 1)
        self.assertEqual(attendance.in_mode, "zk")
        # Manila is UTC+8: 08:01 local is 00:01 UTC.
        self.assertEqual(attendance.check_in.strftime("%H:%M"), "00:01")
        self.relay.invalidate_recordset()  # the ack was written by its own cursor
        self.assertEqual(self.relay.acked_cursor, self.relay.cursor)
        self.assertTrue(self.relay.store_id)

    def test_kill_relay_mid_pull_then_rerun_loses_and_doubles_nothing(self):
        base = date.today() - timedelta(days=3)
        lines = [("007", f"{base} {h:02d}:{m:02d}:{s:02d}", 0)
                 for h in range(6, 9) for m in range(60) for s in (5, 35)][:350]
        status, _ = self.relay_proc.push_attlog(SERIAL, lines)
        self.assertEqual(status, 200)

        # One page committed, then the relay dies (SIGKILL) before the next page.
        has_more, _ack = self.relay._pull_page()
        self.assertTrue(has_more)
        first_cursor = self.relay.cursor
        self.relay_proc.kill()
        self.env["zk.relay"]._cron_pull()
        self.assertIn("Cannot reach", self.relay.last_error)
        self.assertEqual(self.relay.cursor, first_cursor, "a failed pull moves nothing")
        # Issue 10: the failed relay waits out its backoff (full jitter, capped) ...
        self.assertEqual(self.relay.pull_failures, 1)
        self.assertTrue(self.relay.next_pull_at)
        # ... during which the scheduled action leaves it alone.
        if self.relay.next_pull_at > fields.Datetime.now():
            self.env["zk.relay"]._cron_pull()
            self.assertEqual(self.relay.pull_failures, 1)

        # The relay comes back on the same port and data; its backoff runs out (time passes);
        # Odoo re-runs until done.
        self.relay_proc.start()
        self.relay.next_pull_at = False
        self.pull_until_done()
        punches = self.env["zk.punch"].search([("device_id", "=", self.device.id),
                                               ("local_time", "like", f"{base}%")])
        self.assertEqual(len(punches), len(lines), "nothing lost")
        self.assertEqual(len(set(punches.mapped("fingerprint"))), len(lines), "nothing doubled")

        # A puller that crashed before committing gets the same events again: re-reading
        # the whole store from 0 imports nothing new.
        self.relay.write({"cursor": 0, "acked_cursor": 0})
        self.pull_until_done()
        self.assertEqual(self.env["zk.punch"].search_count(
            [("device_id", "=", self.device.id), ("local_time", "like", f"{base}%")]),
            len(lines))

    def test_users_reported_by_terminal_appear_unmatched_then_map(self):
        """OPERLOG USER rows become registry lines to be matched (PIN kept as a string)."""
        body = (b"USER PIN=0815\tName=Dario Lim\tPri=0\tPasswd=\tCard=[15CD5B07]\tGrp=1"
                b"\tTZ=0000000000000000\tVerify=-1\tViceCard=\n")
        status, text = self.relay_proc.adms(
            "POST", f"/iclock/cdata?SN={SERIAL}&table=OPERLOG&Stamp=9999", body)
        self.assertEqual((status, "OK" in text), (200, True))
        self.pull_until_done()
        line = self.env["zk.device.user"].search([("device_id", "=", self.device.id),
                                                  ("pin", "=", "0815")])
        self.assertEqual(line.device_name, "Dario Lim")
        self.assertEqual(line.sync_state, "unmapped")
        line.employee_id = self.env["hr.employee"].create({"name": "Dario Lim"})
        self.assertEqual(line.sync_state, "synced")

    def test_discovered_serial_approved_with_one_click(self):
        """A serial that knocks unregistered is never OK'd (adms §8), shows up in Odoo as
        discovered, and one click registers it on the relay."""
        status, text = self.relay_proc.adms(
            "GET", "/iclock/cdata?SN=NEW0000042&options=all&pushver=2.4.1")
        self.assertNotEqual((status, "OK" in text), (200, True))
        self.relay.action_sync_devices()
        device = self.env["zk.device"].search([("serial", "=", "NEW0000042")])
        self.assertEqual((device.state, device.health), ("discovered", "pending"))
        device.timezone = "Asia/Manila"
        device.action_approve()
        self.assertEqual(device.state, "active")
        self.assertFalse(device.relay_sync_error)
        status, text = self.relay_proc.adms(
            "GET", "/iclock/cdata?SN=NEW0000042&options=all&pushver=2.4.1")
        self.assertEqual(status, 200)
        self.assertIn("GET OPTION FROM", text)

    def test_info_from_getrequest_shows_on_terminal(self):
        info = "Ver%208.0.4.7-20230704,12,30,4567,192.168.1.201,10,7,15,0,111"
        status, _text = self.relay_proc.adms("GET", f"/iclock/getrequest?SN={SERIAL}&INFO={info}")
        self.assertEqual(status, 200)
        self.relay.action_sync_devices()
        self.assertEqual(self.device.firmware, "Ver 8.0.4.7-20230704")
        self.assertEqual((self.device.user_count, self.device.fingerprint_count,
                          self.device.attlog_count), (12, 30, 4567))
        self.assertEqual(self.device.health, "ok")

    def terminal_executes(self, expected_prefix, return_code=0):
        """Act as the terminal: poll getrequest, check the command, post its result."""
        status, text = self.relay_proc.adms("GET", f"/iclock/getrequest?SN={SERIAL}")
        self.assertEqual(status, 200)
        line = next(ln for ln in text.splitlines() if ln.startswith("C:"))
        _c, command_id, command = line.split(":", 2)
        self.assertTrue(command.startswith(expected_prefix), command)
        body = f"ID={command_id}&Return={return_code}&CMD=DATA\n".encode()
        status, text = self.relay_proc.adms("POST", f"/iclock/devicecmd?SN={SERIAL}", body)
        self.assertEqual((status, "OK" in text), (200, True))
        return command

    def test_push_employee_to_terminal_followed_to_its_result(self):
        line = self.env["zk.device.user"].search([("device_id", "=", self.device.id),
                                                  ("pin", "=", "007")])
        line.action_push_to_terminal()
        self.assertEqual(line.sync_state, "pending")
        command = self.terminal_executes("DATA UPDATE USERINFO PIN=007\tName=Carla Santos")
        self.assertNotIn("\n", command)
        self.pull_until_done()
        self.assertEqual(line.sync_state, "synced")

    def test_terminal_refusal_shows_as_error(self):
        line = self.env["zk.device.user"].search([("device_id", "=", self.device.id),
                                                  ("pin", "=", "007")])
        line.action_push_to_terminal()
        self.terminal_executes("DATA UPDATE USERINFO", return_code=-1002)
        self.pull_until_done()
        self.assertEqual(line.sync_state, "error")
        self.assertIn("-1002", line.sync_message)

    def test_employee_leaving_removes_the_user_and_closes_the_mapping(self):
        line = self.env["zk.device.user"].search([("device_id", "=", self.device.id),
                                                  ("pin", "=", "007")])
        self.employee.action_archive()
        self.assertFalse(line.active)
        self.assertTrue(line.date_closed)
        self.assertEqual((line.sync_state, line.command_kind), ("pending", "user_delete"))
        self.terminal_executes("DATA DELETE USERINFO PIN=007")
        self.pull_until_done()
        self.assertEqual(line.sync_state, "synced")
        self.assertEqual(line.employee_id, self.employee, "kept for history")
