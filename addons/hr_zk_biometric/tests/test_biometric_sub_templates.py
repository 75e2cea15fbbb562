"""Issue 19: a palm or a visible-light face can come as several templates of one No (BIODATA
`Index`, the relay's `sub_index`). Odoo keeps each, seals each with its own associated data,
plans a cell per sub-template and terminal, and copies each with its sub index and minor
version."""

import base64
import json
import os

from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged

from .common import BiometricMixin
from .test_biometric_push import PushRelayMixin

PALM_1 = b"ZKPALM-FIRST-" + os.urandom(900)
PALM_2 = b"ZKPALM-SECOND-" + os.urandom(1100)


def palm_row(mixin, row_id, sub_index, data, minor_version=3):
    return dict(mixin.template_row(row_id=row_id, kind="palm", index=0, data=data,
                                   algorithm="palm:1"),
                sub_index=sub_index, minor_version=minor_version, format=0)


class SubTemplateCase(BiometricMixin):
    def palms(self):
        return self.env["zk.biometric.template"].search(
            [("employee_id", "=", self.employee.id), ("kind", "=", "palm")])

    def palm_cells(self, device):
        return self.cells().filtered(lambda c: c.device_id == device and c.item == "palm")


@tagged("post_install", "-at_install")
class TestSubTemplates(SubTemplateCase, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpBiometric()

    def test_palm_of_two_sub_templates_keeps_both_sealed_apart(self):
        self.take_templates([palm_row(self, 1, 0, PALM_1), palm_row(self, 2, 1, PALM_2)])
        self.assertEqual(self.relay.bio_message, "2 template(s) kept.")
        first, second = self.palms()
        self.assertEqual((first.sub_index, second.sub_index), (0, 1))
        self.assertEqual((first.minor_version, second.minor_version), (3, 3))
        self.assertEqual((first.label, second.label), ("Palm", "Palm, template 2"))
        self.assertEqual((first.size, second.size), (len(PALM_1), len(PALM_2)))
        self.assertEqual(first.with_user(self.bio_user)._zk_open("test"), PALM_1)
        self.assertEqual(second.with_user(self.bio_user)._zk_open("test"), PALM_2)
        # Each seal is bound to its own sub-template: swapped, neither opens.
        sealed_first, sealed_second = first.sudo().data_sealed, second.sudo().data_sealed
        first.sudo().data_sealed, second.sudo().data_sealed = sealed_second, sealed_first
        with self.assertRaises(UserError):
            first.with_user(self.bio_user)._zk_open("test")
        with self.assertRaises(UserError):
            second.with_user(self.bio_user)._zk_open("test")

    def test_two_cells_per_other_terminal_and_commands_carry_sub_index_and_minor(self):
        self.take_templates([palm_row(self, 1, 0, PALM_1), palm_row(self, 2, 1, PALM_2)])
        for device in (self.dev_b, self.dev_c):
            cells = self.palm_cells(device)
            self.assertEqual(cells.mapped("sub_index"), [0, 1])
            self.assertEqual(cells.mapped("label"), ["Palm", "Palm, template 2"])
            self.assertEqual(set(cells.mapped("state")), {"pending"})
        self.assertEqual(set(self.palm_cells(self.dev_a).mapped("state")), {"synced"})
        self.env["zk.biometric.sync"]._cron_send()
        uploads = self.fake.of_kind("template_upsert")
        sent = sorted((c["serial"], c["params"]["sub_index"], c["params"]["minor_version"],
                       base64.b64decode(c["params"]["data"])) for c in uploads)
        self.assertEqual(sent, [("BIOB002", 0, 3, PALM_1), ("BIOB002", 1, 3, PALM_2),
                                ("BIOC003", 0, 3, PALM_1), ("BIOC003", 1, 3, PALM_2)])
        self.assertEqual({(c["params"]["kind"], c["params"]["index"], c["params"]["format"])
                          for c in uploads}, {("palm", 0, 0)})
        # The results land on their own cell: template 2 refused at B, template 1 taken.
        second_at_b = self.palm_cells(self.dev_b).filtered("sub_index")
        self.fake.commands[second_at_b.command_id].update(state="failed", return_code=-1001)
        self.fake.answer("BIOC003", "template_upsert", "done", 0)
        first_at_b = self.palm_cells(self.dev_b) - second_at_b
        self.fake.commands[first_at_b.command_id].update(state="done", return_code=0)
        self.env["zk.biometric.sync"]._cron_send()
        self.assertEqual((first_at_b.state, second_at_b.state), ("synced", "failed"))
        self.assertEqual(set(self.palm_cells(self.dev_c).mapped("state")), {"synced"})

    def test_a_new_enrolment_replaces_only_its_own_sub_template(self):
        self.take_templates([palm_row(self, 1, 0, PALM_1), palm_row(self, 2, 1, PALM_2)])
        newer = b"ZKPALM-SECOND-AGAIN-" + os.urandom(700)
        self.take_templates([palm_row(self, 3, 1, newer, minor_version=4)])
        first, second = self.palms()
        self.assertEqual(first.with_user(self.bio_user)._zk_open("test"), PALM_1)
        self.assertEqual(second.with_user(self.bio_user)._zk_open("test"), newer)
        self.assertEqual((first.minor_version, second.minor_version), (3, 4))
        self.assertEqual(len(self.palm_cells(self.dev_b)), 2)

    def test_missing_or_unreadable_sub_index_and_minor_version_read_as_zero(self):
        row = self.template_row(row_id=1)  # a fingerprint page row without either field
        bad_minor = dict(palm_row(self, 2, 0, PALM_1), minor_version="x")
        self.take_templates([row, bad_minor])
        finger = self.env["zk.biometric.template"].search([("kind", "=", "fingerprint")])
        self.assertEqual((finger.sub_index, finger.minor_version), (0, 0))
        self.assertEqual((self.palms().sub_index, self.palms().minor_version), (0, 0))

    def test_sub_index_out_of_range_is_refused_with_its_reason(self):
        self.take_templates([palm_row(self, 1, 100, PALM_1)])
        self.assertFalse(self.palms())
        self.assertEqual(self.relay.bio_message, "0 template(s) kept, 1 refused "
                         "(sub-template 100 is out of range).")

    def test_template_sealed_before_sub_templates_still_opens(self):
        """The associated data of sub-template 0 is what it was before sub-templates."""
        template = self.enrol()
        legacy_aad = f"odoo|template|{self.employee.id}|fingerprint|6"
        self.assertEqual(template._aad(), legacy_aad)
        data = b"ZKFP10-SEALED-LONG-AGO-" + os.urandom(400)
        template.sudo().data_sealed = base64.b64encode(template._zk_seal(data, legacy_aad))
        self.assertEqual(template.with_user(self.bio_user)._zk_open("test"), data)
        second = self.env["zk.biometric.template"]._zk_store(
            self.employee, "fingerprint", 6, data, sub_index=2, algorithm="finger:10")
        self.assertEqual(second._aad(), legacy_aad + "|2")

    def test_visible_light_face_of_three_sub_templates_is_kept_and_copied(self):
        faces = [b"ZKVLFACE-%d-" % n + os.urandom(20000) for n in range(3)]
        self.dev_c.bio_face_version = "7"  # another algorithm: never sent there
        self.take_templates([dict(self.template_row(
            row_id=n + 1, kind="visible_face", index=0, data=data, algorithm="face:50"),
            sub_index=n, minor_version=2) for n, data in enumerate(faces)])
        templates = self.env["zk.biometric.template"].search([("kind", "=", "visible_face")])
        self.assertEqual(templates.mapped("label"), [
            "Visible-light face", "Visible-light face, template 2",
            "Visible-light face, template 3"])
        self.assertEqual([t.with_user(self.bio_user)._zk_open("test") for t in templates],
                         faces)
        cells_c = self.cells().filtered(lambda c: c.device_id == self.dev_c
                                        and c.item == "visible_face")
        self.assertEqual(set(cells_c.mapped("state")), {"not_compatible"})
        self.env["zk.biometric.sync"]._cron_send()
        uploads = self.fake.of_kind("template_upsert")
        self.assertEqual(sorted((c["serial"], c["params"]["kind"], c["params"]["sub_index"],
                                 c["params"]["minor_version"]) for c in uploads),
                         [("BIOB002", "visible_face", n, 2) for n in range(3)])

    def test_erasure_removes_every_sub_template_and_cell(self):
        self.take_templates([palm_row(self, 1, 0, PALM_1), palm_row(self, 2, 1, PALM_2)])
        self.employee.with_user(self.bio_user).action_zk_bio_erase()
        self.assertFalse(self.env["zk.biometric.template"].search([]))
        self.assertFalse(self.cells())
        erasure = self.employee.zk_bio_erasure_ids
        self.assertEqual(erasure.odoo_deleted, "2 template(s), 0 photo(s)")
        self.assertEqual(sorted(c["serial"] for c in self.fake.of_kind("user_erase")),
                         ["BIOA001", "BIOB002", "BIOC003"])


@tagged("post_install", "-at_install")
class TestSubTemplatesPushed(SubTemplateCase, PushRelayMixin, TransactionCase):
    """The push path imports through the same code: both sub-templates, both copied."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpPushRelay()

    def test_pushed_palm_keeps_both_sub_templates_and_the_outbox_carries_them(self):
        page = self.push_page([palm_row(self, 1, 0, PALM_1), palm_row(self, 2, 1, PALM_2)])
        self.assertEqual(self.relay._zk_bio_receive(page), (200, {"committed_up_to": 2}))
        first, second = self.palms()
        self.assertEqual(first.with_user(self.bio_user)._zk_open("test"), PALM_1)
        self.assertEqual(second.with_user(self.bio_user)._zk_open("test"), PALM_2)
        self.env["zk.biometric.sync"]._cron_send()
        copies = self.env["zk.relay.outbox"].sudo().search([("kind", "=", "template_upsert")])
        self.assertEqual(sorted((r.serial, json.loads(r.params)["sub_index"],
                                 json.loads(r.params)["minor_version"]) for r in copies),
                         [("BIOB002", 0, 3), ("BIOB002", 1, 3), ("BIOC003", 0, 3),
                          ("BIOC003", 1, 3)])
