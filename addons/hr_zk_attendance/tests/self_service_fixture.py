"""Two employees of one department with self-service: Ana (portal user, granted through
Odoo's portal wizard from her work contact) and Ben (internal user without attendance
rights), their manager, and a flagged day each (a check-in and no check-out)."""

from datetime import timedelta

from odoo.tests import new_test_user

from zk_rules.fingerprint import punch_fingerprint

from .manager_fixture import last_monday, make_team, punch_day


def grant_portal(env, employee, email):
    """Odoo's own grant flow, as the employee form's button starts it."""
    employee.work_email = email
    action = employee.action_zk_grant_portal()
    wizard = env["portal.wizard"].browse(action["res_id"])
    wizard.user_ids.action_grant_access()
    user = wizard.user_ids.user_id
    user.password = user.login  # as new_test_user does: tours log in with the login
    return user


def make_self_service(env):
    team = make_team(env, login="zk_ss_manager")
    ana = team["employee"]
    team["portal_user"] = grant_portal(env, ana, "ana.reyes@example.com")
    ben_user = new_test_user(env, "zk_ss_ben", groups="base.group_user", name="Ben Cruz",
                             tz="Asia/Manila")
    ben = env["hr.employee"].create({
        "name": "Ben Cruz", "tz": "Asia/Manila", "department_id": team["department"].id,
        "resource_calendar_id": team["calendar"].id, "user_id": ben_user.id})
    env["zk.device.user"].create({"device_id": team["device"].id, "pin": "0077",
                                  "employee_id": ben.id})
    team.update(ben=ben, ben_user=ben_user)
    day = last_monday() + timedelta(days=1)  # a Tuesday
    team["day"] = day
    team["ana_record"] = punch_day(env, team, day, ("08:00:00", 0), first_id=500)
    team["ben_record"] = punch_ben(env, team, day, ("08:00:00", 0))
    return team


def punch_ben(env, team, day, *times):
    serial = team["device"].serial
    events = [{
        "id": 900 + n, "serial": serial, "pin": "0077", "local_time": f"{day} {t}",
        "timezone": "Asia/Manila", "status": s, "verify": 1, "workcode": "",
        "received_at": "2025-01-01T00:00:00+00:00",
        "fingerprint": punch_fingerprint(serial, "0077", f"{day} {t}"),
    } for n, (t, s) in enumerate(times)]
    env["zk.punch"]._import_relay_events(team["relay"], events)
    env["zk.daily.record"].sudo()._compute_range(team["ben"], day, day)
    return env["zk.daily.record"].search([("employee_id", "=", team["ben"].id),
                                          ("work_date", "=", day)])
