import base64
import os
from itertools import count
from unittest.mock import patch

from odoo.tests import new_test_user
from odoo.tools import config

from odoo.addons.hr_zk_attendance.lib.relay_client import RelayClient, RelayError
from odoo.addons.hr_zk_biometric.lib.biometric_client import BiometricClient

from zk_rules import signing

KEY = base64.urlsafe_b64encode(os.urandom(32)).decode()
# A fingerprint template as a terminal sends it: recognisable bytes, to look for in clear.
TEMPLATE = b"ZKFP10-TEMPLATE-" + os.urandom(600)
PHOTO = b"\xff\xd8\xff\xe0JFIF-PUNCH-PHOTO-" + os.urandom(300)


class FakeRelay:
    """The relay's command API as the tests need it: queued commands are kept, and their
    results are what the test sets (no process: the end-to-end test runs after the merge)."""

    def __init__(self):
        self.commands = {}
        self.ids = count(100)
        self.refuse = {}  # serial -> RelayError to raise on queue

    def queue_command(self, _client, serial, kind, /, **params):
        if serial in self.refuse:
            raise self.refuse[serial]
        command_id = next(self.ids)
        self.commands[command_id] = {"id": command_id, "serial": serial, "kind": kind,
                                     "params": params, "state": "queued"}
        return {"id": command_id, "kind": kind, "state": "queued"}

    def command(self, _client, command_id):
        return self.commands[command_id]

    def answer(self, serial, kind, state, return_code=None):
        for command in self.commands.values():
            if command["serial"] == serial and command["kind"] == kind:
                command.update(state=state, return_code=return_code)

    def of_kind(self, kind):
        return [c for c in self.commands.values() if c["kind"] == kind]


class BiometricMixin:
    """Fixtures: one relay with three terminals (A, B, C) at one work location, an employee
    mapped on A with PIN 0042, the server key set, and a fake relay command API."""

    def setUp(self):
        super().setUp()
        type(self).fake = FakeRelay()  # commands of one test only

    @classmethod
    def setUpBiometric(cls):
        cls.startClassPatcher(patch.dict(config.options, {"zk_biometric_key": KEY}))
        cls.fake = FakeRelay()
        cls.startClassPatcher(patch.object(RelayClient, "queue_command",
                                           lambda c, *a, **k: cls.fake.queue_command(c, *a, **k)))
        cls.startClassPatcher(patch.object(
            BiometricClient, "queue_typed",
            lambda c, serial, kind, params: cls.fake.queue_command(c, serial, kind, **params)))
        cls.startClassPatcher(patch.object(RelayClient, "command",
                                           lambda c, i: cls.fake.command(c, i)))
        cls.key = signing.generate_private_key()
        env = cls.env
        cls.location = env["hr.work.location"].create({
            "name": "Branch 1", "address_id": env.company.partner_id.id,
            "location_type": "office"})
        cls.relay = env["zk.relay"].create({
            "name": "Branch 1 relay", "url": "http://127.0.0.1:9", "token": "t0ken",
            "public_key": signing.public_key_b64(cls.key)})
        cls.devices = env["zk.device"]
        for serial, name in (("BIOA001", "Entrance"), ("BIOB002", "Warehouse"),
                             ("BIOC003", "Canteen")):
            cls.devices |= env["zk.device"].create({
                "serial": serial, "name": name, "timezone": "Asia/Manila",
                "relay_id": cls.relay.id, "work_location_id": cls.location.id})
        cls.dev_a, cls.dev_b, cls.dev_c = cls.devices
        cls.employee = env["hr.employee"].create({
            "name": "Ana Reyes", "tz": "Asia/Manila", "work_location_id": cls.location.id})
        env["zk.device.user"].create({"device_id": cls.dev_a.id, "pin": "0042",
                                      "employee_id": cls.employee.id})
        cls.bio_user = new_test_user(
            env, "bio_admin", groups="base.group_user,hr.group_hr_manager,"
            "hr_attendance.group_hr_attendance_manager,hr_zk_biometric.group_zk_biometric",
            name="Bea Bio")
        cls.officer = new_test_user(
            env, "att_officer", groups="base.group_user,hr.group_hr_user,"
            "hr_attendance.group_hr_attendance_manager", name="Otto Officer")

    def template_row(self, row_id=1, serial="BIOA001", pin="0042", kind="fingerprint",
                     index=6, data=TEMPLATE, algorithm="finger:10"):
        return {"id": row_id, "serial": serial, "pin": pin, "kind": kind, "index": index,
                "algorithm": algorithm, "format": "ZK", "valid": 1, "size": len(data),
                "data": base64.b64encode(data).decode(), "received_at": "2026-01-05T08:00:00Z"}

    def signed(self, key, rows, store="S-bio", key_name="templates"):
        return signing.sign_page({
            "store_id": store, key_name: rows, "has_more": False,
            "next_after": rows[-1]["id"] if rows else 0}, self.key if key is None else key)

    def take_templates(self, rows, key=None):
        return self.relay._zk_bio_take_templates(self.signed(key, rows))

    def enrol(self):
        """Ana enrols her right index finger at A; the relay's page reaches Odoo."""
        self.take_templates([self.template_row()])
        return self.env["zk.biometric.template"].search([("employee_id", "=",
                                                          self.employee.id)])

    def cells(self, employee=None):
        return self.env["zk.biometric.sync"].search(
            [("employee_id", "=", (employee or self.employee).id)])

    def cell(self, device, item="fingerprint"):
        return self.cells().filtered(lambda c: c.device_id == device and c.item == item)


__all__ = ["BiometricMixin", "KEY", "PHOTO", "RelayError", "TEMPLATE"]
