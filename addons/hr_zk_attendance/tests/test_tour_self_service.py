from odoo.tests import HttpCase, tagged

from .screens import save_screens
from .self_service_fixture import make_self_service


class SelfServiceTourMixin:
    """Issue 18 in Chromium: the portal employee asks, the manager approves in the backend,
    the employee sees the day corrected."""

    shots = ""

    def journey(self, approve_in_browser=True):
        team = make_self_service(self.env)
        record = team["ana_record"]
        self.start_tour("/my", "zk_self_service_request", login=team["portal_user"].login)
        adjustment = self.env["zk.adjustment"].search([("employee_id", "=",
                                                        team["employee"].id)])
        self.assertEqual((adjustment.state, adjustment.reason),
                         ("to_approve", "Forgot to check out"))
        self.assertEqual(adjustment.activity_ids.user_id, team["manager"])
        if approve_in_browser:
            self.start_tour("/odoo/action-hr_zk_attendance.zk_adjustment_action",
                            "zk_self_service_approve", login=team["manager"].login)
        else:
            adjustment.with_user(team["manager"]).action_approve()
        self.assertEqual(adjustment.state, "approved")
        self.assertFalse(record.missing_check_out)
        self.start_tour(f"/my/attendance/day/{record.id}", "zk_self_service_corrected",
                        login=team["portal_user"].login)
        return team


@tagged("post_install", "-at_install")
class TestTourSelfService(SelfServiceTourMixin, HttpCase):
    def test_issue18_self_service_journey_desktop(self):
        team = self.journey()
        record = team["ana_record"]
        save_screens(self, team["portal_user"].login, [
            ("/my", ".o_portal_index_card a[href='/my/attendance']", "portal_home.png"),
            ("/my/attendance?filterby=all", ".o_portal_my_doc_table", "portal_attendance.png"),
            (f"/my/attendance/day/{record.id}", ".o_zk_portal_punches", "portal_day.png"),
            (f"/my/attendance/request?record_id={record.id}", ".o_zk_request_form",
             "portal_request.png"),
        ])
        save_screens(self, team["ben_user"].login, [
            ("/odoo/action-hr_zk_attendance.zk_my_days_action", ".o_list_view .o_data_row",
             "backend_my_days.png"),
        ])


@tagged("post_install", "-at_install")
class TestTourSelfServicePhone(SelfServiceTourMixin, HttpCase):
    browser_size = "390x844"
    touch_enabled = True

    def test_issue18_self_service_journey_phone(self):
        # The employee's side on a phone; the manager approves at a desk (the desktop test
        # plays that part in the browser).
        team = self.journey(approve_in_browser=False)
        record = team["ana_record"]
        self.assertEqual(record.worked_minutes, 480)
        save_screens(self, team["portal_user"].login, [
            ("/my/attendance?filterby=all", ".o_portal_my_doc_table",
             "portal_attendance_phone.png"),
            (f"/my/attendance/day/{record.id}", ".o_zk_portal_punches", "portal_day_phone.png"),
            (f"/my/attendance/request?record_id={record.id}", ".o_zk_request_form",
             "portal_request_phone.png"),
        ], size=(390, 844))
