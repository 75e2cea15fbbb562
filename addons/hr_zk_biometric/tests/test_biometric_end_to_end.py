"""Issue 19 in real Odoo with a real relay process (pull mode) and three push-terminal
simulators: enrol once at A, the template reaches Odoo sealed, is copied to B and C by the
scheduled action and held there; on departure user_erase reaches A, B and C, the relay and
Odoo keep no template of the person."""

import base64
import os
import sqlite3
from contextlib import closing
from unittest.mock import patch

from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import SQL, config

from odoo.addons.hr_zk_attendance.tests.relay_process import RelayProcess, relay_command
from odoo.addons.hr_zk_attendance.tests.screens import save_screens

from zk_sim.model import TerminalUser
from zk_sim.push_terminal import PushTerminal

ODOO_KEY = base64.urlsafe_b64encode(os.urandom(32)).decode()
RELAY_KEY = base64.urlsafe_b64encode(os.urandom(32)).decode()
PIN = "0042"
SERIALS = ("E2EBIOA01", "E2EBIOB02", "E2EBIOC03")
FINAL = ("done", "failed", "timed_out", "expired", "cancelled")  # the relay stopped waiting


def clear_forms(secret):
    """Distinctive slices of a secret as raw bytes, base64 and hex (as stored in clear)."""
    return [form[20:84] for form in (secret, base64.b64encode(secret),
                                     secret.hex().encode("ascii"))]


@tagged("post_install", "-at_install")
class TestBiometricEndToEnd(HttpCase):
    """Enrol once at A → pulled by Odoo → copied to B and C → erased everywhere on departure,
    through a real zk-relay (key in ZK_RELAY_BIOMETRIC_KEY, token scopes events+biometric)
    and push-terminal simulators; the relay calls nobody (pull mode)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if relay_command() is None:
            cls.skipTest(cls, "zk-relay is not installed in Odoo's environment")
        cls.startClassPatcher(patch.dict(config.options, {"zk_biometric_key": ODOO_KEY}))
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.hr_manager = new_test_user(
            cls.env, "e2e_hr_manager", groups="base.group_user,hr.group_hr_manager,"
            "hr_attendance.group_hr_attendance_manager", name="Hana HR")
        cls.bio_user = new_test_user(
            cls.env, "e2e_bio_admin", groups="base.group_user,hr.group_hr_manager,"
            "hr_attendance.group_hr_attendance_manager,hr_zk_biometric.group_zk_biometric",
            name="Bea Bio")

    def setUp(self):
        super().setUp()
        self.relay_proc = RelayProcess(env={"ZK_RELAY_BIOMETRIC_KEY": RELAY_KEY})
        self.addCleanup(self.relay_proc.close)
        token = self.relay_proc.cli("token", "create", "odoo", "--scope", "events,biometric")
        self.relay_proc.start()
        env = self.env
        self.location = env["hr.work.location"].create({
            "name": "E2E branch", "address_id": env.company.partner_id.id,
            "location_type": "office"})
        self.relay = env["zk.relay"].create({
            "name": "E2E branch relay", "url": self.relay_proc.url, "token": token,
            "page_size": 100, "public_key": self.relay_proc.public_key()})
        # Creating a relay terminal registers it on the relay (PUT /api/v1/devices/<serial>).
        self.devices = env["zk.device"]
        for serial, name in zip(SERIALS, ("Entrance", "Warehouse", "Canteen"), strict=True):
            self.devices |= env["zk.device"].create({
                "serial": serial, "name": name, "timezone": "Asia/Manila",
                "relay_id": self.relay.id, "work_location_id": self.location.id})
        self.dev_a, self.dev_b, self.dev_c = self.devices
        self.employee = env["hr.employee"].create({
            "name": "Ana Reyes", "tz": "Asia/Manila", "work_location_id": self.location.id})
        for device in self.devices:
            env["zk.device.user"].create({"device_id": device.id, "pin": PIN,
                                          "employee_id": self.employee.id})
        # A and B already hold the user; C does not yet (Odoo's user record copy adds it).
        self.sims = {}
        for serial, users in zip(SERIALS, ([TerminalUser(1, PIN, "Ana Reyes")],
                                           [TerminalUser(1, PIN, "Ana Reyes")], []),
                                 strict=True):
            sim = PushTerminal(self.relay_proc.url, serial, users=users, time_scale=0,
                               tz_minutes=480, max_offline_cycles=3,
                               capacity={"faces": 50})
            self.assertTrue(sim.sync(), f"{serial} did not reach the relay")
            self.sims[serial] = sim
        self.sim_a, self.sim_b, self.sim_c = (self.sims[s] for s in SERIALS)
        self.relay_db = self.relay_proc.data / "relay.sqlite3"

    # ------------------------------------------------------------------ helpers
    def pull_all(self, max_runs=50):
        """What the import's scheduled action does, until the relay has nothing more."""
        for _ in range(max_runs):
            remaining = self.env["zk.relay"]._cron_pull()
            self.env.cr.postcommit.run()  # the acknowledgements, sent after the commit
            if not remaining:
                return
        self.fail("the pull did not finish")

    def terminals_run(self, command_ids, sims):
        """The terminals poll (each sync: handshake if needed, uploads, one getrequest with
        the results posted) until the relay has a final state for every command."""
        client = self.relay._client()

        def finished():
            for sim in sims:
                self.assertTrue(sim.sync(), f"{sim.serial} lost the relay")
            states = {cid: client.command(cid) for cid in command_ids}
            return states if all(c["state"] in FINAL for c in states.values()) else None
        return self.relay_proc.wait_until(finished, "the terminals ran the commands")

    def cells(self):
        return self.env["zk.biometric.sync"].search([("employee_id", "=", self.employee.id)])

    def states(self):
        """{(terminal name, what): state label} of the employee's sync table."""
        labels = dict(self.env["zk.biometric.sync"]._fields["state"]._description_selection(
            self.env))
        return {(c.device_id.name, c.label): labels[c.state] for c in self.cells()}

    def relay_sql(self, query, *args):
        with closing(sqlite3.connect(self.relay_db)) as conn:
            return conn.execute(query, args).fetchall()

    def odoo_columns_holding(self, secrets):
        """For each secret, the tables of Odoo's database with a text, JSON or bytea column
        holding it in clear (raw, base64 or hex)."""
        self.env.flush_all()
        self.env.cr.execute(SQL(
            "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c"
            " JOIN information_schema.tables t ON t.table_schema = c.table_schema"
            " AND t.table_name = c.table_name WHERE c.table_schema = 'public'"
            " AND t.table_type = 'BASE TABLE' AND c.data_type IN"
            " ('text', 'character varying', 'bytea', 'jsonb')"))
        columns = {}
        for table, column, data_type in self.env.cr.fetchall():
            columns.setdefault(table, []).append((column, data_type))
        found = [[] for _secret in secrets]
        for table, table_columns in sorted(columns.items()):
            hits = []
            for secret in secrets:
                forms = clear_forms(secret)
                conditions = []
                for column, data_type in table_columns:
                    if data_type == "bytea":
                        conditions += [SQL("position(%s::bytea in %s) > 0", form,
                                           SQL.identifier(column)) for form in forms]
                    else:  # base64 and hex only: raw template bytes are not valid text
                        conditions += [SQL("strpos(%s::text, %s) > 0", SQL.identifier(column),
                                           form.decode("ascii")) for form in forms[1:]]
                hits.append(SQL("coalesce(bool_or(%s), false)", SQL(" OR ").join(conditions)))
            self.env.cr.execute(SQL("SELECT %s FROM %s", SQL(", ").join(hits),
                                    SQL.identifier(table)))
            for number, hit in enumerate(self.env.cr.fetchone()):
                if hit:
                    found[number].append(table)
        return found

    def enrol_and_copy(self):
        """Journey 1: enrol at A, pulled, sealed, copied to B and C, cells in sync."""
        finger = self.sim_a.enrol(PIN, "fingerprint", 6, size=700)
        face = self.sim_a.enrol(PIN, "face", 0, size=1800)
        self.assertTrue(self.sim_a.sync(), "A uploads the enrolment")
        self.pull_all()

        Template = self.env["zk.biometric.template"]
        templates = Template.search([("employee_id", "=", self.employee.id)])
        self.assertEqual(sorted(templates.mapped("label")),
                         ["Face", "Fingerprint: right index finger"])
        self.assertEqual(templates.source_device_id, self.dev_a)
        self.assertEqual(self.relay.bio_message, "2 template(s) kept.")
        # The relay holds them sealed too (its own key): rows of that PIN, no clear bytes.
        self.assertEqual(self.relay_sql(
            "SELECT serial, kind FROM bio_templates WHERE pin = ? ORDER BY kind", PIN),
            [(SERIALS[0], "face"), (SERIALS[0], "fingerprint")])
        relay_files = b"".join(path.read_bytes() for path in self.relay_proc.data.iterdir()
                               if path.is_file())
        for secret in (finger.data, face.data):
            for form in clear_forms(secret):
                self.assertNotIn(form, relay_files, "a template in clear on the relay")
        # Sealed: the bytes open (for the system) to what the terminal holds...
        by_kind = {t.kind: t for t in templates}
        self.assertEqual(by_kind["fingerprint"]._zk_open("test"), finger.data)
        self.assertEqual(by_kind["face"]._zk_open("test"), face.data)
        # ...and no table of Odoo's database holds them in clear. The search does find
        # what is there: the sealed value, in its column.
        self.env.cr.execute(SQL("SELECT data_sealed FROM zk_biometric_template WHERE id = %s",
                                by_kind["face"].id))
        sealed = base64.b64decode(bytes(self.env.cr.fetchone()[0]))
        self.assertNotIn(face.data[20:84], sealed)
        self.assertEqual(self.odoo_columns_holding([finger.data, face.data, sealed]),
                         [[], [], ["zk_biometric_template"]])
        self.assertEqual(self.states(), {
            ("Entrance", "User record"): "In sync",
            ("Entrance", "Fingerprint: right index finger"): "In sync",
            ("Entrance", "Face"): "In sync",
            ("Warehouse", "User record"): "Pending",
            ("Warehouse", "Fingerprint: right index finger"): "Pending",
            ("Warehouse", "Face"): "Pending",
            ("Canteen", "User record"): "Pending",
            ("Canteen", "Fingerprint: right index finger"): "Pending",
            ("Canteen", "Face"): "Pending",
        })

        self.env.ref("hr_zk_biometric.ir_cron_zk_bio_send").method_direct_trigger()
        sent = self.cells().filtered(lambda c: c.state == "pending")
        self.assertEqual(len(sent), 6, [(c.device_id.name, c.label, c.state, c.message)
                                        for c in self.cells()])
        self.assertTrue(all(sent.mapped("command_id")), "each copy is a relay command")
        commands = self.terminals_run(sent.mapped("command_id"), [self.sim_b, self.sim_c])
        self.assertEqual({c["state"] for c in commands.values()}, {"done"}, commands)
        for sim in (self.sim_b, self.sim_c):
            held = {(t.kind, t.index): t.data for t in sim.bio.of(PIN)}
            self.assertEqual(held, {("fingerprint", 6): finger.data, ("face", 0): face.data},
                             f"{sim.serial} holds the very templates enrolled at A")
            self.assertIn(PIN, sim.users)
        # The relay kept no copy of what it sent: the sealed command secrets are gone.
        self.assertEqual(self.relay_sql(
            "SELECT count(*) FROM commands WHERE secret IS NOT NULL"), [(0,)])

        self.pull_all()
        self.assertEqual(set(self.states().values()), {"In sync"}, self.states())
        return finger, face

    # ------------------------------------------------------------------ tests
    def test_enrol_once_then_in_sync_on_every_terminal(self):
        """Issue 19 (enrol once): A's templates are in Odoo sealed, copied to B and C by
        the scheduled action, held there, and every cell of the sync table is in sync."""
        finger, face = self.enrol_and_copy()
        sent = self.env["zk.audit.entry"].search([("action", "=", "biometric_sent")])
        self.assertEqual(len(sent), 4, "two templates to each of B and C, each audited")
        self.assertEqual({(t.kind, t.index): t.data for t in self.sim_a.bio.of(PIN)},
                         {("fingerprint", 6): finger.data, ("face", 0): face.data},
                         "A keeps what was enrolled there")

    def test_departure_erases_everywhere(self):
        """Issue 19 (erase everywhere): an HR manager outside the Biometric data group
        archives the employee; user_erase goes to A, B and C (after the attendance addon's
        user_delete), each terminal ends without the person, Odoo confirms each terminal,
        and neither the relay's database nor Odoo's holds a template of the person."""
        finger, face = self.enrol_and_copy()
        self.employee.with_user(self.hr_manager).action_archive()
        erasure = self.employee.with_context(active_test=False).zk_bio_erasure_ids
        self.assertEqual((erasure.reason, erasure.requested_by), ("departure", self.hr_manager))
        commands = self.erased_everywhere(erasure, finger, face)
        # The attendance addon's user_delete ran first: user_erase found nothing left (-10),
        # which the relay counts as done.
        self.assertEqual({c["return_code"] for c in commands.values()}, {-10}, commands)

    def test_erase_button_erases_everywhere(self):
        """Issue 19 (erase on request), in the browser: the Biometric data group sees every
        copy in sync and presses Erase biometric data; user_erase itself deletes the user
        and the templates at A, B and C, the relay its own copies, and the erasure form
        shows every terminal confirmed. (The relay calls nobody: the browser's requests may
        use the test cursor while this thread waits in start_tour.)"""
        finger, face = self.enrol_and_copy()
        url = f"/odoo/employees/{self.employee.id}"
        save_screens(self, "e2e_bio_admin", [  # only with ZK_SCREENSHOTS set
            (url, ".o_form_view", "biometric_e2e_in_sync.png", ".o_zk_bio_sync_table",
             "a[name='zk_biometrics']")])
        self.start_tour(url, "hr_zk_biometric_e2e_erase_tour", login="e2e_bio_admin")
        self.env.invalidate_all()
        erasure = self.employee.zk_bio_erasure_ids
        self.assertEqual((erasure.reason, erasure.requested_by), ("request", self.bio_user))
        commands = self.erased_everywhere(erasure, finger, face)
        self.assertEqual({c["return_code"] for c in commands.values()}, {0}, commands)
        self.assertTrue(self.employee.active)
        erasure_url = f"/odoo/action-hr_zk_biometric.zk_biometric_erasure_action/{erasure.id}"
        self.start_tour(erasure_url, "hr_zk_biometric_e2e_erased_tour", login="e2e_bio_admin")
        save_screens(self, "e2e_bio_admin", [
            (erasure_url, ".o_form_view .o_field_widget[name=line_ids] .o_data_row",
             "biometric_e2e_erased.png")])

    def erased_everywhere(self, erasure, finger, face):
        """Journey 2 from the erasure on: the terminals run user_erase, Odoo reads the
        results, nothing of the person is left. Returns the relay's commands."""
        self.assertEqual(erasure.odoo_deleted, "2 template(s), 0 photo(s)")
        self.assertEqual(erasure.line_ids.device_id, self.devices)
        self.assertEqual(set(erasure.line_ids.mapped("state")), {"pending"})
        self.assertEqual((erasure.state, erasure.progress), ("pending", "0 / 3"))
        self.assertFalse(self.env["zk.biometric.template"].search(
            [("employee_id", "=", self.employee.id)]), "Odoo deletes its copies at once")

        commands = self.terminals_run(erasure.line_ids.mapped("command_id"),
                                      list(self.sims.values()))
        self.assertEqual({(c["kind"], c["state"]) for c in commands.values()},
                         {("user_erase", "done")}, commands)
        self.assertEqual(sorted(c["serial"] for c in commands.values()), sorted(SERIALS))
        for sim in self.sims.values():
            self.assertNotIn(PIN, sim.users, f"{sim.serial} deleted the user")
            self.assertEqual(sim.bio.of(PIN), [], f"{sim.serial} deleted the templates")

        self.pull_all()
        self.assertEqual(set(erasure.line_ids.mapped("state")), {"confirmed"},
                         erasure.line_ids.mapped("message"))
        self.assertEqual(set(erasure.line_ids.mapped("message")),
                         {"Removed from the terminal."})
        self.assertEqual((erasure.state, erasure.progress), ("done", "3 / 3"))
        self.assertTrue(erasure.completed_at)
        self.assertFalse(self.employee.with_context(active_test=False).with_user(
            self.bio_user).zk_bio_erasure_open)
        done = self.env["zk.audit.entry"].search([("action", "=", "biometric_erased")])
        self.assertEqual(done.res_id, erasure.id)

        # The relay's database holds no template nor photo of that PIN any more...
        for table in ("bio_templates", "biodata", "photos"):
            self.assertEqual(self.relay_sql(f"SELECT count(*) FROM {table} WHERE pin = ?",  # noqa: S608
                                            PIN), [(0,)], table)
        erased = self.relay_sql("SELECT DISTINCT serial FROM bio_audit WHERE action = "
                                "'erased' AND pin = ?", PIN)
        self.assertEqual(sorted(row[0] for row in erased), sorted(SERIALS))
        # ...nor Odoo's, in any table.
        self.env.cr.execute(SQL("SELECT count(*) FROM zk_biometric_template"))
        self.assertEqual(self.env.cr.fetchone()[0], 0)
        self.assertEqual(self.odoo_columns_holding([finger.data, face.data]), [[], []])
        self.assertFalse(self.cells())
        return commands
