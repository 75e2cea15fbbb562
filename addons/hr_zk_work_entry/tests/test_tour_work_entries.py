from odoo.tests import HttpCase, tagged

from odoo.addons.hr_zk_attendance.tests.screens import save_screens

from .common import WorkEntryCase


@tagged("post_install", "-at_install")
class TestTourWorkEntries(WorkEntryCase, HttpCase):
    """A payroll officer (not an administrator) opens Work Entries and sees the terminals'
    days."""

    def test_officer_sees_the_terminals_days(self):
        self.week_of_stories()
        self.start_tour("/odoo", "zk_work_entries_officer", login="payroll_officer")
        contract_url = f"/odoo/action-hr_contract.action_hr_contract/{self.contract.id}"
        save_screens(self, "admin", [
            ("/odoo/action-hr_zk_work_entry.hr_zk_work_entry_action", ".o_data_row",
             "work_entries_list.png"),
            (contract_url, ".o_form_view", "contract_source.png", None,
             "a[name=information]"),
        ])
        save_screens(self, "payroll_officer", [
            ("/odoo/action-hr_zk_work_entry.hr_zk_work_entry_action?view_type=pivot",
             ".o_pivot", "work_entries_pivot.png"),
        ])
