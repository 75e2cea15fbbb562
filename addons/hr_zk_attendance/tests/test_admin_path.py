"""The administrator's path (issue 16): menus, relay and terminal forms, punch log, in words
a person reads. Each test names the defect it would have caught."""

import http.server
import socket
import threading

import requests
from lxml import etree

from odoo.exceptions import ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from ..lib.relay_client import RelayClient, RelayError, unreachable_message
from .common import ZkCase

LIBRARY_TEXT = ("HTTPConnectionPool", "HTTPSConnectionPool", "Max retries", "NewConnectionError",
                "urllib3", "Errno")


def closed_port():
    """A local port nobody listens on: connecting to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@tagged("post_install", "-at_install")
class TestAdminPath(ZkCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = new_test_user(
            cls.env, "zk_path_admin",
            groups="base.group_user,hr_attendance.group_hr_attendance_manager")
        # The Odoo administrator: Settings (res.config.settings) is theirs.
        cls.system = new_test_user(
            cls.env, "zk_path_system",
            groups="base.group_system,hr_attendance.group_hr_attendance_manager")

    # ------------------------------------------------------------------ journey 5
    def test_settings_reachable_from_attendances_configuration(self):
        """Configuration turned into a dropdown without Settings once ZKTeco items came."""
        menus = self.env["ir.ui.menu"].with_user(self.system).load_menus(debug=False)
        config = self.env.ref("hr_attendance.menu_hr_attendance_settings")
        settings = self.env.ref("hr_attendance.action_hr_attendance_settings")
        children = [menus[child] for child in menus[config.id]["children"]]
        self.assertIn(f"ir.actions.act_window,{settings.id}",
                      [child["action"] for child in children])
        self.assertEqual(children[0]["name"], "Settings", "Settings comes first")

    # ------------------------------------------------------------------ relay down
    def test_unreachable_relay_is_said_as_a_person_would(self):
        """Relay down showed urllib3's text on the form and in the notification."""
        self.relay.url = f"http://127.0.0.1:{closed_port()}"
        relay = self.relay.with_user(self.admin)
        for action in (relay.action_test_connection, relay.action_sync_devices):
            message = action()["params"]["message"]
            self.assertIn(f"Cannot reach the relay at {self.relay.url}: connection refused",
                          message)
            self.assertIn("Check that the relay is running", message)
            for text in LIBRARY_TEXT:
                self.assertNotIn(text, message)
        self.assertEqual(relay.last_error, message)
        self.assertEqual(relay.health, "error")
        # The chatter says it once, not at every failed try.
        notes = relay.message_ids.filtered(lambda m: "connection refused" in (m.body or ""))
        self.assertEqual(len(notes), 1)

    def test_scheduled_import_keeps_the_readable_reason(self):
        self.relay.write({"url": f"http://localhost:{closed_port()}", "public_key": False})
        self.env["zk.relay"]._cron_pull()
        self.assertIn("connection refused", self.relay.last_error)
        self.assertEqual(self.relay.pull_failures, 1)
        for text in LIBRARY_TEXT:
            self.assertNotIn(text, self.relay.last_error)

    def test_silent_relay_and_bad_url_are_named(self):
        with socket.socket() as server:
            server.bind(("127.0.0.1", 0))
            server.listen(4)
            port = server.getsockname()[1]
            with self.assertRaises(RelayError) as silent:
                RelayClient(f"http://127.0.0.1:{port}", "t", timeout=0.3).health()
            self.assertIn("did not answer within", str(silent.exception))
        # A plain-HTTP server spoken to in HTTPS: the TLS handshake fails.
        server = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            with self.assertRaises(RelayError) as tls:
                RelayClient(f"https://127.0.0.1:{server.server_address[1]}", "t").health()
        finally:
            server.shutdown()
            server.server_close()
        self.assertIn("the secure (TLS) connection failed", str(tls.exception))
        self.assertIn("write the URL with http://", str(tls.exception))

    def test_causes_outside_this_machine_are_named(self):
        """Odoo's tests allow no request beyond localhost: these causes are read from the
        exception chain requests/urllib3 build (their text as seen on a real server)."""
        base = "https://relay.branch.example:8443"
        dns = requests.ConnectionError(OSError(
            "HTTPSConnectionPool(host='relay.branch.example', port=8443): Max retries "
            "exceeded (Caused by NewConnectionError('<urllib3.connection.HTTPSConnection>: "
            "Failed to establish a new connection: [Errno -2] Name or service not known'))"))
        certificate = requests.exceptions.SSLError(OSError(
            "HTTPSConnectionPool(host='relay.branch.example', port=8443): Max retries "
            "exceeded (Caused by SSLError(SSLCertVerificationError(1, '[SSL: "
            "CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has expired "
            "(_ssl.c:1006)')))"))
        connect = requests.exceptions.ConnectTimeout(OSError("timed out"))
        self.assertEqual(
            unreachable_message(base, dns, 20),
            "Cannot reach the relay at https://relay.branch.example:8443: the name "
            "relay.branch.example was not found. Check the spelling of the URL, and that the "
            "Odoo server can resolve this name (DNS).")
        self.assertIn("TLS certificate problem (certificate has expired). Check that the "
                      "relay's certificate is valid, not expired and made for "
                      "relay.branch.example", unreachable_message(base, certificate, 20))
        self.assertIn("timed out after 20 s while connecting",
                      unreachable_message(base, connect, 20))
        self.assertIn("is not usable", unreachable_message(
            "relay:8443", requests.exceptions.InvalidSchema("No connection adapters"), 20))

    # ------------------------------------------------------------------ punch log
    def test_utc_heading_shows_utc(self):
        """The punch log's "Instant (UTC)" column showed the user's local time."""
        self.import_events([self.event(1, "0042", f"{self.today} 08:01:10")])
        punch = self.env["zk.punch"].search([("serial", "=", self.device.serial)])
        views = self.env["zk.punch"].get_views([(False, "list"), (False, "form")])
        for view in views["views"].values():
            arch = etree.fromstring(view["arch"])
            for node in arch.iter("field"):
                field = self.env["zk.punch"]._fields[node.get("name")]
                label = node.get("string") or field.string
                if "UTC" in label:
                    self.assertNotEqual(field.type, "datetime",
                                        f"{label}: a datetime is shown in the user's zone")
        # Manila is UTC+8 all year.
        self.assertEqual(punch.utc_text, f"{self.today} 00:01:10 UTC")

    def test_punch_named_by_person_time_and_terminal_with_codes_named(self):
        self.import_events([self.event(1, "0042", f"{self.today} 08:01:10", status=0),
                            self.event(2, "0099", f"{self.today} 17:30:00", status=1)])
        mapped, unknown = (self.env["zk.punch"].search([("pin", "=", pin)])
                           for pin in ("0042", "0099"))
        self.assertEqual(mapped.display_name,
                         f"Ana Reyes, {self.today} 08:01, Entrance (CQZ0001)")
        self.assertEqual(unknown.display_name,
                         f"PIN 0099, {self.today} 17:30, Entrance (CQZ0001)")
        self.assertEqual((mapped.status_label, unknown.status_label),
                         ("Check-in (0)", "Check-out (1)"))
        self.assertEqual(mapped.verify_label, "Fingerprint (1)")
        self.assertNotIn(mapped.fingerprint, mapped.display_name)
        mapped.status, mapped.verify = 4, 15
        self.assertEqual((mapped.status_label, mapped.verify_label),
                         ("Overtime in (4)", "Face (15)"))
        mapped.status = 77
        self.assertEqual(mapped.status_label, "Status 77")

    def test_technical_fields_only_in_debug_mode(self):
        """Hashes, cursors, store ids and keys live on a Technical page for debug mode."""
        technical = {"zk.relay": ["cursor", "acked_cursor", "store_id", "key_id", "page_size",
                                  "public_key"],
                     "zk.punch": ["fingerprint", "page_id", "relay_event_id"]}
        for model, names in technical.items():
            arch = etree.fromstring(self.env[model].with_user(self.admin).get_views(
                [(False, "form"), (False, "list")])["views"]["form"]["arch"])
            for name in names:
                visible = [n for n in arch.iter("field") if n.get("name") == name
                           and n.get("invisible") not in ("1", "True")]
                self.assertFalse(visible, f"{model}.{name} shown outside debug mode")
        # They are on the Technical page, which debug mode shows.
        for xmlid in ("zk_relay_view_form", "zk_punch_view_form"):
            arch = etree.fromstring(self.env.ref(f"hr_zk_attendance.{xmlid}").arch)
            page = arch.xpath("//page[@name='technical']")
            self.assertEqual(page[0].get("groups"), "base.group_no_one")
        self.assertTrue(page[0].xpath(".//field[@name='fingerprint']"))

    # ------------------------------------------------------------------ enrolment dialog
    def test_enrolment_command_uses_the_form_url(self):
        """The dialog printed `--url <the relay's address>` although the URL was on the form."""
        self.relay.url = "https://relay.branch.example:8443"
        action = self.relay.with_user(self.admin).action_enrolment_code()
        wizard = self.env["zk.relay.enrol.wizard"].browse(action["res_id"])
        self.assertTrue(wizard.command.endswith(
            f"--code {wizard.code} --url https://relay.branch.example:8443"))
        self.assertNotIn("<", wizard.command)
        push = self.env["zk.relay"].create({"name": "Cloud", "delivery_mode": "push"})
        wizard = self.env["zk.relay.enrol.wizard"].browse(
            push.action_enrolment_code()["res_id"])
        self.assertNotIn("--url", wizard.command)

    def test_unsaved_relay_offers_no_action_needing_a_record(self):
        """A new relay already offered Import now (and Test connection, Refresh...)."""
        arch = etree.fromstring(self.env["zk.relay"].with_user(self.admin).get_views(
            [(False, "form")])["views"]["form"]["arch"])
        new_record = {"id": False, "url": "https://relay.example", "delivery_mode": "pull",
                      "link_state": "manual", "public_key": False, "active": True}
        buttons = arch.xpath("//header/button[@type='object']")
        self.assertTrue(buttons)
        for button in buttons:
            self.assertTrue(safe_eval(button.get("invisible") or "False", dict(new_record)),
                            f"{button.get('string')} is offered on an unsaved relay")
        saved = dict(new_record, id=7)
        offered = {b.get("string") for b in buttons
                   if not safe_eval(b.get("invisible") or "False", dict(saved))}
        self.assertTrue({"Import now", "Enrolment code", "Test connection"} <= offered)

    # ------------------------------------------------------------------ chatter, empty states
    def test_relays_and_terminals_have_a_chatter(self):
        for model in ("zk.relay", "zk.device"):
            # The model is defined by several classes (record, delivery, enrolment): ask the
            # registry whether it is a mail.thread, not one class's _inherit.
            self.assertIsInstance(self.env[model], self.env.registry["mail.thread"])
            arch = self.env[model].get_views([(False, "form")])["views"]["form"]["arch"]
            self.assertRegex(arch, r"<chatter\b", model)
        discovered = self.env["zk.device"].create({
            "serial": "NEW0001", "state": "discovered", "relay_id": self.relay.id,
            "timezone": "Asia/Manila"})
        discovered.with_user(self.admin).action_approve()
        self.assertEqual(discovered.state, "active")
        self.assertIn("Terminal approved", discovered.message_ids[0].body)

    def test_every_list_of_the_admin_path_says_what_it_is(self):
        for xmlid in ("zk_relay_action", "zk_device_action", "zk_punch_action",
                      "zk_punch_review_action", "zk_relay_page_action"):
            action = self.env.ref(f"hr_zk_attendance.{xmlid}")
            self.assertIn("o_view_nocontent_smiling_face", action.help, xmlid)
            self.assertGreater(action.help.count("<p"), 1, f"{xmlid}: says what to do")

    # ------------------------------------------------------------------ settings
    def test_import_checks_are_settings(self):
        """The status codes and clock limits were system parameters only."""
        Settings = self.env["res.config.settings"].with_user(self.system)
        Settings.create({"zk_status_codes": "0,1,4,5", "zk_future_hours": 6}).execute()
        params = self.env["ir.config_parameter"].sudo()
        self.assertEqual(params.get_param("hr_zk_attendance.status_codes"), "0,1,4,5")
        self.assertEqual(params.get_param("hr_zk_attendance.future_hours"), "6")
        self.import_events([self.event(1, "0042", f"{self.today} 12:00:00", status=2)])
        punch = self.env["zk.punch"].search([("serial", "=", self.device.serial)])
        self.assertEqual(punch.state, "review")
        with self.assertRaises(ValidationError):
            Settings.create({"zk_status_codes": "in,out"})
