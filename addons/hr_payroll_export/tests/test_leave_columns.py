from datetime import date, timedelta

from odoo.tests import tagged

from .common import PayrollCase, next_weekday


@tagged("post_install", "-at_install")
class TestLeaveColumns(PayrollCase):
    """Approved leave in the file without the CTO bank: each leave kind in its column, as
    the daily records count the leave's working time (zk.daily.record's public methods)."""

    def test_e4_3_half_day_leave_and_half_day_worked(self):
        """Sick leave in the morning, punches in the afternoon: the leave column has the
        morning, regular time the afternoon, no undertime (E4.3: expected = 8 h - 4 h)."""
        monday = next_weekday(0, date.today() - timedelta(days=14))
        self.sick_leave(monday, (8.0, 12.0))
        self.import_events([self.event(1, "0042", f"{monday} 13:00:00", 0),
                            self.event(2, "0042", f"{monday} 17:00:00", 1)])
        record, cells = self.export_row(monday)
        self.assertEqual((record.leave_minutes, record.regular_minutes), (240, 240))
        self.assertEqual(cells["leave_sick_leave_hours"], "4.00")
        self.assertEqual(cells["regular_hours"], "4.00")
        self.assertEqual(cells["undertime_hours"], "0.00")
        self.assertEqual(cells["leave_cto_hours"], "0.00")

    def test_e4_3_two_leave_kinds_on_one_day_each_in_its_column(self):
        """Sick leave in the morning, another kind in the afternoon: 4 h in the sick column,
        4 h in `other` (a kind without a column of its own), the day on leave."""
        monday = next_weekday(0, date.today() - timedelta(days=14))
        self.sick_leave(monday, (8.0, 12.0))
        self.sick_leave(monday, (13.0, 17.0), type_name="Family Leave")
        record, cells = self.export_row(monday)
        self.assertEqual((record.leave_minutes, record.status), (480, "on_leave"))
        self.assertEqual(cells["leave_sick_leave_hours"], "4.00")
        self.assertEqual(cells["leave_other_hours"], "4.00")
        self.assertEqual(cells["leave_cto_hours"], "0.00")
        self.assertEqual((cells["cto_used_hours"], cells["cto_lots_minutes"]), ("0.00", ""))
