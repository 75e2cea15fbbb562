import base64

from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

from zk_rules import signing

from .common import PHOTO, TEMPLATE, BiometricMixin, RelayError


@tagged("post_install", "-at_install")
class TestEnrolOnce(BiometricMixin, TransactionCase):
    """Issue 19: enrol once at A, copies queued to B and C, results turn cells green/red."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpBiometric()

    def test_imported_template_is_sealed_and_planned_for_other_terminals(self):
        template = self.enrol()
        self.assertEqual(len(template), 1)
        self.assertEqual((template.kind, template.finger_index, template.size),
                         ("fingerprint", 6, len(TEMPLATE)))
        self.assertEqual(template.label, "Fingerprint: right index finger")
        self.assertEqual(template.source_device_id, self.dev_a)
        self.assertEqual(self.cell(self.dev_a).state, "synced")
        self.assertEqual(self.cell(self.dev_b).state, "pending")
        self.assertEqual(self.cell(self.dev_c).state, "pending")
        # The employee becomes a user of B and C (PIN mapping, user record cell pending).
        self.assertEqual(self.employee.zk_user_ids.filtered("active").device_id, self.devices)
        self.assertEqual(self.cell(self.dev_a, "user").state, "synced")
        self.assertEqual(self.cell(self.dev_b, "user").state, "pending")
        self.assertEqual(self.cell(self.dev_c, "user").state, "pending")
        audit = self.env["zk.audit.entry"].search([("action", "=", "biometric_stored")])
        self.assertEqual(audit.res_id, template.id)
        self.assertIn("Imported", "Imported " + (self.relay.bio_message or ""))
        self.assertEqual(self.relay.bio_message, "1 template(s) kept.")

    def test_database_holds_no_template_in_clear(self):
        """SQL over every text and bytea column of the tables the import touches."""
        template = self.enrol()
        self.relay._zk_bio_take_photos(self.signed(None, [{
            "id": 1, "serial": "BIOA001", "pin": "0042", "local_time": "2026-01-05 08:01:00",
            "timezone": "Asia/Manila", "event_fingerprint": None, "content_type": "image/jpeg",
            "size": len(PHOTO), "data": base64.b64encode(PHOTO).decode(),
            "received_at": "2026-01-05T00:01:00Z"}], key_name="photos"))
        self.env.flush_all()
        needles = [TEMPLATE[:32], base64.b64encode(TEMPLATE)[:40]]
        self.env.cr.execute(SQL("SELECT data_sealed FROM zk_biometric_template WHERE id = %s",
                                template.id))
        stored = bytes(self.env.cr.fetchone()[0])
        for needle in needles:
            self.assertNotIn(needle, stored)
            self.assertNotIn(needle, base64.b64decode(stored))
        self.env.cr.execute(SQL(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', "
            "'bytea', 'jsonb') AND table_name IN ('zk_biometric_template', "
            "'zk_biometric_sync', 'zk_punch_photo', 'zk_audit_entry', 'mail_message', "
            "'zk_relay', 'zk_relay_page', 'ir_attachment', 'ir_logging')"))
        columns = self.env.cr.fetchall()
        self.assertIn(("zk_punch_photo", "data_sealed", "bytea"), columns)
        clear = [TEMPLATE[16:48], PHOTO[20:52]]  # raw bytes, and their base64 (3-aligned)
        coded = [base64.b64encode(TEMPLATE[18:48]), base64.b64encode(PHOTO[21:51])]
        markers = [b"ZKFP10-TEMPLATE-", b"JFIF-PUNCH-PHOTO"]
        # The query does find what is there: the sealed value's own first bytes.
        self.env.cr.execute(SQL("SELECT data_sealed FROM zk_punch_photo"))
        own = bytes(self.env.cr.fetchone()[0])[:24]
        self.env.cr.execute(SQL("SELECT count(*) FROM zk_punch_photo WHERE "
                                "position(%s::bytea in data_sealed) > 0", own))
        self.assertEqual(self.env.cr.fetchone()[0], 1)
        for table, column, data_type in columns:
            for needle in (clear + coded + markers if data_type == "bytea"
                           else coded + markers):
                if data_type == "bytea":
                    condition = SQL("position(%s::bytea in %s) > 0", needle,
                                    SQL.identifier(column))
                else:
                    condition = SQL("%s::text LIKE %s", SQL.identifier(column),
                                    f"%{needle.decode('latin-1')}%")
                self.env.cr.execute(SQL("SELECT count(*) FROM %s WHERE %s",
                                        SQL.identifier(table), condition))
                self.assertEqual(self.env.cr.fetchone()[0], 0, f"{table}.{column}")
        # And the sealed value opens, for the group, to the very bytes the terminal sent.
        self.assertEqual(template.with_user(self.bio_user)._zk_open("test"), TEMPLATE)

    def test_cron_queues_copies_and_results_turn_cells_green_or_red(self):
        self.enrol()
        self.env["zk.biometric.sync"]._cron_send()
        uploads = self.fake.of_kind("template_upsert")
        self.assertEqual(sorted(c["serial"] for c in uploads), ["BIOB002", "BIOC003"])
        self.assertEqual(base64.b64decode(uploads[0]["params"]["data"]), TEMPLATE)
        self.assertEqual(uploads[0]["params"]["pin"], "0042")
        self.assertEqual(uploads[0]["params"]["index"], 6)
        self.assertEqual(len(self.fake.of_kind("user_upsert")), 2)
        Audit = self.env["zk.audit.entry"]
        self.assertEqual(Audit.search_count([("action", "=", "biometric_read")]), 2)
        self.assertEqual(Audit.search_count([("action", "=", "biometric_sent")]), 2)
        self.fake.answer("BIOB002", "template_upsert", "done", 0)
        self.fake.answer("BIOC003", "template_upsert", "failed", -1001)
        self.env["zk.biometric.sync"]._cron_send()
        self.assertEqual(self.cell(self.dev_b).state, "synced")
        self.assertEqual(self.cell(self.dev_c).state, "failed")
        self.assertEqual(self.cell(self.dev_c).message,
                         "Refused: the terminal's memory is full.")
        self.assertEqual(self.employee.zk_bio_failed_count, 1)

    def test_other_algorithm_version_is_not_compatible_not_failed(self):
        self.dev_c.bio_fp_version = "12"
        self.enrol()
        self.assertEqual(self.cell(self.dev_c).state, "not_compatible")
        self.env["zk.biometric.sync"]._cron_send()
        self.assertEqual([c["serial"] for c in self.fake.of_kind("template_upsert")],
                         ["BIOB002"])
        # A terminal that reports nothing and answers -30 is not compatible as well.
        self.fake.answer("BIOB002", "template_upsert", "failed", -30)
        self.env["zk.biometric.sync"]._cron_send()
        self.assertEqual(self.cell(self.dev_b).state, "not_compatible")

    def test_relay_refusing_as_not_compatible(self):
        self.enrol()
        self.fake.refuse["BIOB002"] = RelayError(
            "The relay at x could not do it (HTTP 409): not_compatible.")
        self.env["zk.biometric.sync"]._cron_send()
        self.assertEqual(self.cell(self.dev_b).state, "not_compatible")

    def test_bad_templates_are_refused_with_a_reason_and_nothing_kept(self):
        self.take_templates([
            self.template_row(1, kind="iris"),
            self.template_row(2, data=b"x" * 10000),
            self.template_row(3, pin="9999"),
            dict(self.template_row(4), data="not base64!"),
        ])
        self.assertFalse(self.env["zk.biometric.template"].search([]))
        self.assertFalse(self.cells())
        message = self.relay.bio_message
        self.assertIn("0 template(s) kept", message)
        self.assertIn("1 for PINs not matched to an employee", message)
        self.assertIn("unknown kind of template 'iris'", message)
        self.assertIn("10000 bytes is larger than any fingerprint template", message)
        self.assertIn("the template is empty", message)
        self.assertNotIn(base64.b64encode(TEMPLATE)[:20].decode(), message)

    def test_page_signed_by_another_key_is_refused(self):
        self.take_templates([self.template_row()], key=signing.generate_private_key())
        self.assertFalse(self.env["zk.biometric.template"].search([]))
        self.assertIn("refused", self.relay.bio_message)
        self.assertEqual(self.relay.biometric_cursor, 0)

    def test_new_enrolment_replaces_the_old_template(self):
        self.enrol()
        self.take_templates([self.template_row(2, data=b"NEWER-" + TEMPLATE[:100])])
        template = self.env["zk.biometric.template"].search([])
        self.assertEqual(template.size, 106)
        self.assertEqual(self.relay.biometric_cursor, 2)

    def test_choosing_terminals_propagates(self):
        self.enrol()
        self.employee.write({"zk_bio_terminal_mode": "custom",
                             "zk_bio_device_ids": [(6, 0, (self.dev_a | self.dev_b).ids)]})
        self.assertFalse(self.cells().filtered(lambda c: c.device_id == self.dev_c))
        erasure = self.employee.zk_bio_erasure_ids
        self.assertEqual(erasure.reason, "left_terminal")
        self.assertEqual(erasure.line_ids.device_id, self.dev_c)
        self.assertEqual(self.fake.of_kind("user_erase")[0]["serial"], "BIOC003")
        # Templates stay: only terminal C lost them.
        self.assertTrue(self.employee.zk_bio_template_ids)
        dev_d = self.env["zk.device"].create({
            "serial": "BIOD004", "name": "Gate", "timezone": "Asia/Manila",
            "relay_id": self.relay.id})
        self.employee.write({"zk_bio_device_ids": [(4, dev_d.id)]})
        self.assertEqual(self.cell(dev_d).state, "pending")
        self.assertEqual(self.cell(dev_d, "user").pin, "0042")

    def test_without_key_the_feature_is_off_and_says_so(self):
        self.enrol()
        with self.patched_key(None):
            message = self.employee.with_user(self.bio_user).zk_bio_off_message
            self.assertIn("Biometric sync is off: no encryption key", message)
            self.assertIn("zk_biometric_key in odoo.conf", message)
            self.assertFalse(self.env["zk.biometric.sealed"]._zk_key())
            settings = self.env["res.config.settings"].create({})
            self.assertEqual(settings.zk_bio_off_message, message)
        with self.patched_key("short"), self.assertLogs(
                "odoo.addons.hr_zk_biometric.models.zk_biometric_sealed", "ERROR") as logs:
            self.assertIn("not usable", self.env["zk.biometric.sealed"]._zk_off_message())
        self.assertNotIn("short", "".join(logs.output))  # the key's value is never logged
        self.employee.invalidate_recordset()
        self.assertFalse(self.employee.with_user(self.bio_user).zk_bio_off_message)

    def patched_key(self, value):
        from unittest.mock import patch

        from odoo.tools import config
        return patch.dict(config.options, {"zk_biometric_key": value})


@tagged("post_install", "-at_install")
class TestBiometricPull(BiometricMixin, TransactionCase):
    """The relay's scheduled import reads the biometric pages after users and commands."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpBiometric()

    def pull(self, templates_page, photos_page):
        from unittest.mock import patch

        from odoo.addons.hr_zk_attendance.lib.relay_client import RelayClient

        from ..lib.biometric_client import BiometricClient
        with patch.object(RelayClient, "users", return_value={"store_id": None, "users": []}), \
                patch.object(BiometricClient, "templates", return_value=templates_page) as t, \
                patch.object(BiometricClient, "photos", return_value=photos_page) as p, \
                patch.object(BiometricClient, "biometric_ack") as ack:
            more = self.relay._pull_side_channels(self.relay._client())
            self.env.cr.postcommit.run()
        return more, t, p, ack

    def test_side_channels_import_templates_and_photos_then_acknowledge(self):
        more, templates, photos, ack = self.pull(
            self.signed(None, [self.template_row(5)]),
            self.signed(None, [], key_name="photos"))
        self.assertFalse(more)
        templates.assert_called_once_with(0, 200)
        photos.assert_called_once_with(0, 200)
        self.assertEqual(self.relay.biometric_cursor, 5)
        self.assertEqual(len(self.employee.zk_bio_template_ids), 1)
        ack.assert_called_once_with("S-bio", 5, 0)

    def test_without_key_nothing_biometric_is_fetched(self):
        with self.patched_key(None):
            _more, templates, photos, _ack = self.pull({}, {})
        templates.assert_not_called()
        photos.assert_not_called()
        self.assertFalse(self.env["zk.biometric.template"].search([]))

    def test_a_new_relay_store_starts_again_from_zero(self):
        self.pull(self.signed(None, [self.template_row(5)]),
                  self.signed(None, [], key_name="photos"))
        self.relay._zk_bio_take_templates(self.signed(None, [self.template_row(2)],
                                                      store="S-new"))
        self.assertEqual(self.relay.bio_store_id, "S-new")
        self.assertEqual(self.relay.biometric_cursor, 2)

    patched_key = TestEnrolOnce.patched_key


@tagged("post_install", "-at_install")
class TestCardCopies(BiometricMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpBiometric()

    def test_card_reported_by_one_terminal_is_copied_to_the_others(self):
        self.employee.zk_user_ids.write({"card": "0012345678"})
        self.enrol()
        self.assertEqual(self.cell(self.dev_a, "card").state, "synced")
        self.assertEqual(self.cell(self.dev_b, "card").state, "pending")
        self.env["zk.biometric.sync"]._cron_send()
        cards = [c for c in self.fake.of_kind("user_upsert") if "card" in c["params"]]
        self.assertEqual(sorted(c["serial"] for c in cards), ["BIOB002", "BIOC003"])
        self.assertEqual({c["params"]["card"] for c in cards}, {"0012345678"})


@tagged("post_install", "-at_install")
class TestNoSideEffects(BiometricMixin, TransactionCase):
    """Without enrolment, or without the key, the registry of PINs is left as it is."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpBiometric()

    def test_moving_an_employee_without_biometrics_copies_nothing(self):
        other = self.env["hr.work.location"].create({
            "name": "Branch 2", "address_id": self.env.company.partner_id.id,
            "location_type": "office"})
        self.env["zk.device"].create({"serial": "BIOE006", "timezone": "Asia/Manila",
                                      "relay_id": self.relay.id,
                                      "work_location_id": other.id})
        self.employee.work_location_id = other
        self.assertEqual(self.employee.zk_user_ids.device_id, self.dev_a)
        self.assertFalse(self.cells())
        self.assertFalse(self.employee.zk_bio_erasure_ids)

    def test_without_key_enrolled_employee_is_not_copied(self):
        self.enrol()
        dev_d = self.env["zk.device"].create({"serial": "BIOD004", "timezone": "Asia/Manila",
                                              "relay_id": self.relay.id})
        with TestEnrolOnce.patched_key(self, None):
            self.employee.write({"zk_bio_terminal_mode": "custom",
                                 "zk_bio_device_ids": [(6, 0, dev_d.ids)]})
        self.assertFalse(self.cell(dev_d))
        self.assertFalse(self.employee.zk_bio_erasure_ids)
