"""Issue 17 in real Odoo with a real relay process (pull mode): a record the terminal holds
but the relay never received is found by reconciliation, filled, imported once, and the
terminal-day shows "Gaps found and filled"; health and events reach the terminal."""

import time
from datetime import date, datetime, timedelta

from odoo.exceptions import UserError
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.hr_zk_attendance.tests.relay_process import RelayProcess, relay_command

from zk_sim.model import TerminalRecord
from zk_sim.push_terminal import Faults, PushTerminal

from ..lib import fleet_client

SERIAL = "RECON00001"
FAST = {"ZK_RELAY_RECON_SETTLE_SECONDS": "0", "ZK_RELAY_HEALTH_INTERVAL_SECONDS": "0.2"}
INFO = "Ver%208.0.4.7-20230704,12,30,4567,192.168.1.201,10,7,15,0,111"


@tagged("post_install", "-at_install")
class TestReconciliationPull(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if relay_command() is None:
            cls.skipTest(cls, "zk-relay is not installed in Odoo's environment")
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.day = (date.today() - timedelta(days=2)).isoformat()

    def setUp(self):
        super().setUp()
        self.relay_proc = RelayProcess(env=FAST)
        self.addCleanup(self.relay_proc.close)
        token = self.relay_proc.cli("token", "create", "odoo")
        self.relay_proc.start()
        self.relay = self.env["zk.relay"].create({
            "name": "Branch", "url": self.relay_proc.url, "token": token, "page_size": 100,
            "public_key": self.relay_proc.public_key()})
        self.device = self.env["zk.device"].create({
            "serial": SERIAL, "name": "Gate", "timezone": "Asia/Manila",
            "relay_id": self.relay.id})

    # ------------------------------------------------------------------ helpers
    def pull_all(self, max_runs=50):
        for _ in range(max_runs):
            remaining = self.env["zk.relay"]._cron_pull()
            self.env.cr.postcommit.run()
            if not remaining:
                return
        self.fail("the pull did not finish")

    def punches(self):
        return self.env["zk.punch"].search([("device_id", "=", self.device.id),
                                            ("local_time", "like", f"{self.day}%")])

    def poll_commands(self, expected):
        """Act as the terminal polling until a command starting with `expected` comes (the
        relay starts a run at its next tick). Returns the command lines."""
        def commands():
            status, text = self.relay_proc.adms("GET", f"/iclock/getrequest?SN={SERIAL}")
            self.assertEqual(status, 200)
            lines = [ln for ln in text.splitlines() if ln.startswith("C:")]
            return lines if any(ln.split(":", 2)[2].startswith(expected) for ln in lines) \
                else None
        return self.relay_proc.wait_until(commands, f"the relay sends {expected}", 20)

    def answer_commands(self, records, expected="DATA QUERY ATTLOG"):
        """Act as the terminal: answer DATA QUERY ATTLOG by re-uploading `records` then
        acknowledging, acknowledge anything else. Returns the commands seen."""
        seen = []
        for line in self.poll_commands(expected):
            _c, command_id, command = line.split(":", 2)
            seen.append(command)
            if command.startswith("DATA QUERY ATTLOG"):
                self.relay_proc.push_attlog(SERIAL, records)
            cmd = command.split(" ")[0] if not command.startswith("DATA") else "DATA"
            body = f"ID={command_id}&Return=0&CMD={cmd}\n".encode()
            status, _text = self.relay_proc.adms("POST", f"/iclock/devicecmd?SN={SERIAL}",
                                                 body)
            self.assertEqual(status, 200)
        return seen

    def relay_day(self, state):
        """The relay's row for the day once it reached `state` (polled on the relay)."""
        client = self.relay._client()

        def reached():
            rows = fleet_client.reconciliation(client, 0, 100)["days"]
            row = next((r for r in rows if r["serial"] == SERIAL and r["day"] == self.day),
                       None)
            return row if row and row["state"] == state and not row["checking"] else None
        return self.relay_proc.wait_until(reached, f"the day is {state} on the relay")

    # ------------------------------------------------------------------ tests
    def terminal(self, faults):
        """The push-terminal simulator holding three records of the day for PIN 007."""
        moments = [datetime.fromisoformat(f"{self.day} {t}") for t in
                   ("08:00:00", "12:00:00", "17:00:00")]
        records = [TerminalRecord(pin="007", local_time=m, status=i % 2)
                   for i, m in enumerate(moments)]
        return PushTerminal(self.relay_proc.url, SERIAL, records=records, faults=faults,
                            time_scale=0, tz_minutes=480), records

    def check_day_with(self, terminal, user=None):
        """Odoo asks for the day; the terminal takes the query at its next polls."""
        day = date.fromisoformat(self.day)
        device = self.device.with_user(user) if user else self.device
        runs = device._request_check(day, day)
        self.assertEqual([r["day"] for r in runs], [self.day])
        self.assertTrue(self.device.device_day_ids.checking)

        def asked():
            terminal.poll()
            return any(c.startswith("DATA QUERY ATTLOG") for _i, c, _r in
                       terminal.ledger.commands)
        self.relay_proc.wait_until(asked, "the terminal was asked for the day", 20)

    def test_dropped_record_found_filled_and_imported_once(self):
        noon = (f"{self.day} 12:00:00")
        terminal, records = self.terminal(Faults(drop={("007", noon)}))
        self.assertTrue(terminal.sync())
        self.assertEqual(terminal.ledger.dropped, [("007", noon)], "lost on the way")
        self.pull_all()
        self.assertEqual(len(self.punches()), 2)

        self.check_day_with(terminal)
        self.relay_day("gaps_filled")
        self.pull_all()

        row = self.device.device_day_ids
        self.assertEqual(row.state, "gaps_filled")
        self.assertEqual((row.at_terminal, row.on_relay, row.imported, row.gaps_filled),
                         (3, 3, 3, 1))
        self.assertFalse(row.checking)
        self.assertFalse(row.needs_attention)
        self.assertEqual(sorted(self.punches().mapped("local_time")),
                         sorted(r.local_time_text for r in records), "each punch exactly once")
        # Reading everything again changes nothing.
        self.relay.write({"recon_cursor": 0})
        self.pull_all()
        self.assertEqual(len(self.punches()), 3)
        self.assertEqual(len(self.device.device_day_ids), 1)
        self.assertEqual(self.device.unconfirmed_day_count, 0)

    def test_terminal_answering_twice_doubles_nothing(self):
        noon = (f"{self.day} 12:00:00")
        terminal, _records = self.terminal(Faults(drop={("007", noon)}, answer_twice=True))
        terminal.sync()
        self.check_day_with(terminal)
        self.relay_day("gaps_filled")
        self.pull_all()
        row = self.device.device_day_ids
        self.assertEqual((row.state, row.on_relay, row.imported, row.gaps_filled),
                         ("gaps_filled", 3, 3, 1))
        self.assertEqual(len(self.punches()), 3)

    def test_cleared_log_gives_an_incomplete_day_and_an_event(self):
        terminal, _records = self.terminal(Faults())
        self.assertTrue(terminal.sync())
        self.pull_all()
        self.assertEqual(terminal.clear_log(), 3)
        self.assertTrue(terminal.sync())  # uploads the operation log: OPLOG 23
        self.check_day_with(terminal)
        self.relay_day("incomplete")
        self.pull_all()
        row = self.device.device_day_ids
        self.assertEqual((row.state, row.reason, row.on_relay, row.imported),
                         ("incomplete", "log_cleared", 3, 3))
        self.assertTrue(row.needs_attention, "never a confirmed that was not")
        self.assertIn("log_cleared", self.device.device_event_ids.mapped("kind"))
        event = self.device.device_event_ids.filtered(lambda e: e.kind == "log_cleared")
        self.assertTrue(event.detail and event.terminal_time)

    def test_unanswered_day_stays_visible_as_needing_attention(self):
        terminal, _records = self.terminal(Faults(refuse_query=True))
        terminal.sync()
        self.pull_all()
        officer = new_test_user(self.env, "zk_fleet_officer", groups=(
            "base.group_user,hr_attendance.group_hr_attendance_officer"))
        self.check_day_with(terminal, user=officer)  # an officer may ask for a check
        self.relay_day("not_answered")
        self.pull_all()
        row = self.device.device_day_ids
        self.assertEqual((row.state, row.reason), ("not_answered", "refused"))
        self.assertFalse(row.at_terminal_known)
        self.assertTrue(row.needs_attention)
        self.assertEqual(self.device.unconfirmed_day_count, 1)
        labels = dict(row._fields["reason"]._description_selection(self.env))
        self.assertEqual(labels[row.reason], "The terminal refused the query")

    def test_health_and_clock_repair_reach_the_terminal(self):
        status, _text = self.relay_proc.adms(
            "GET", f"/iclock/getrequest?SN={SERIAL}&INFO={INFO}")
        self.assertEqual(status, 200)
        now = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() + 8 * 3600))
        self.relay_proc.push_attlog(SERIAL, [("007", now, 0)])
        self.relay_proc.wait_until(
            lambda: any(t["serial"] == SERIAL and t["punches"]["today"]
                        for t in fleet_client.health_terminals(
                            self.relay._client())["terminals"]),
            "the relay's health counts today's punch")
        self.pull_all()
        self.assertEqual(self.device.punches_today, 1)
        self.assertTrue(self.device.health_at)
        self.assertTrue(self.relay.health_at)
        # Once the relay's health saw the acknowledgement, Odoo shows nothing waiting.
        self.relay_proc.wait_until(
            lambda: fleet_client.health_terminals(self.relay._client())["relay"]
            ["unacked_events"] == 0, "the relay's health counts the acknowledgement")
        self.pull_all()
        self.assertEqual((self.relay.unacked_events, self.relay.delivery_lag_text),
                         (0, "Nothing waiting"))

        self.device.action_correct_clock()
        commands = self.answer_commands([], expected="CHECK")
        self.assertTrue(any(c.startswith("CHECK") for c in commands), commands)

    def test_terminal_without_relay_cannot_be_checked(self):
        direct = self.env["zk.device"].create({
            "serial": "DIRECT0001", "timezone": "Asia/Manila", "connection": "direct",
            "address": "192.0.2.1"})
        with self.assertRaisesRegex(UserError, "not connected through a relay"):
            direct.action_check_again()
