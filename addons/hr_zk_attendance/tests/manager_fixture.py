"""A department, its manager (group_zk_manager) and one employee's Monday with overtime:
the data of the manager's journey, shared by its Odoo tests and its tour."""

from datetime import date, timedelta

from odoo.tests import new_test_user

from zk_rules.fingerprint import punch_fingerprint

from .common import office_calendar


def last_monday():
    today = date.today() - timedelta(days=1)
    return today - timedelta(days=(today.weekday() % 7) or 7)


def make_team(env, login="zk_review_manager"):
    relay = env["zk.relay"].create({"name": "Branch", "url": "http://127.0.0.1:9",
                                    "token": "t0ken"})
    device = env["zk.device"].create({"serial": "CQZ0001", "name": "Entrance",
                                      "timezone": "Asia/Manila", "relay_id": relay.id})
    calendar = office_calendar(env)
    manager = new_test_user(env, login, groups="base.group_user,hr_zk_attendance.group_zk_manager",
                            name="Maria Santos", tz="Asia/Manila")
    department = env["hr.department"].create({"name": "Operations"})
    department.manager_id = env["hr.employee"].create({"name": "Maria Santos",
                                                       "user_id": manager.id})
    employee = env["hr.employee"].create({
        "name": "Ana Reyes", "tz": "Asia/Manila", "department_id": department.id,
        "resource_calendar_id": calendar.id})
    env["zk.device.user"].create({"device_id": device.id, "pin": "0042",
                                  "employee_id": employee.id})
    return {"relay": relay, "device": device, "manager": manager, "department": department,
            "employee": employee, "calendar": calendar}


def punch_day(env, team, day, *times, first_id=100):
    """times: (HH:MM:SS, status). Imports them, pairs them and computes the day."""
    serial = team["device"].serial
    events = [{
        "id": first_id + n, "serial": serial, "pin": "0042", "local_time": f"{day} {t}",
        "timezone": "Asia/Manila", "status": s, "verify": 1, "workcode": "",
        "received_at": "2025-01-01T00:00:00+00:00",
        "fingerprint": punch_fingerprint(serial, "0042", f"{day} {t}"),
    } for n, (t, s) in enumerate(times)]
    env["zk.punch"]._import_relay_events(team["relay"], events)
    env["zk.daily.record"].sudo()._compute_range(team["employee"], day, day)
    return env["zk.daily.record"].search([("employee_id", "=", team["employee"].id),
                                          ("work_date", "=", day)])
