from datetime import datetime, timedelta

from odoo.tests import TransactionCase

from zk_rules.fingerprint import punch_fingerprint


class ZkCase(TransactionCase):
    """Fixtures: one relay (never contacted here), one terminal, one mapped employee."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.relay = cls.env["zk.relay"].create({
            "name": "Branch test", "url": "http://127.0.0.1:9", "token": "t0ken",
        })
        cls.device = cls.env["zk.device"].create({
            "serial": "CQZ0001", "name": "Entrance", "timezone": "Asia/Manila",
            "relay_id": cls.relay.id,
        })
        cls.employee = cls.env["hr.employee"].create({"name": "Ana Reyes", "tz": "Asia/Manila"})
        cls.mapping = cls.env["zk.device.user"].create({
            "device_id": cls.device.id, "pin": "0042", "employee_id": cls.employee.id,
        })
        cls.today = (datetime.now() - timedelta(days=1)).strftime("%Y-%m-%d")

    def import_events(self, events):
        """One relay page, then the attendance build the cron would run next."""
        result = self.env["zk.punch"]._import_relay_events(self.relay, events)
        while self.env["zk.daily.record"]._cron_compute_pending():
            pass
        return result

    def event(self, event_id, pin, local_time, status=0, serial=None):
        serial = serial or self.device.serial
        return {
            "id": event_id, "serial": serial, "pin": pin, "local_time": local_time,
            "timezone": "Asia/Manila", "status": status, "verify": 1, "workcode": "",
            "received_at": "2025-01-01T00:00:00+00:00",
            "fingerprint": punch_fingerprint(serial, pin, local_time),
        }


def office_calendar(env, name="Office 08-17", tz="Asia/Manila"):
    """Monday to Friday 08:00-12:00 and 13:00-17:00 with a lunch hour, in `tz`: the office
    week most tests of days, the CTO bank and payroll are written against."""
    return env["resource.calendar"].create({
        "name": name, "tz": tz, "attendance_ids": [(5, 0, 0)] + [
            (0, 0, {"name": f"d{d} {p}", "dayofweek": str(d), "hour_from": f, "hour_to": t,
                    "day_period": p})
            for d in range(5)
            for f, t, p in ((8, 12, "morning"), (12, 13, "lunch"), (13, 17, "afternoon"))],
    })
