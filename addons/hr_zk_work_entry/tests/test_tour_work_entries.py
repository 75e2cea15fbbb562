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
        period = self.company._payroll_period_policy().period_containing(self.days[0])
        batch = self.Batch.create({"company_id": self.company.id,
                                   "period_start": period.start, "period_end": period.end})
        batch._generate(force_reason="screenshot of a forced batch")
        save_screens(self, "admin", [
            (f"/odoo/action-hr_payroll_export.payroll_export_batch_action/{batch.id}",
             ".o-mail-Message", "batch_work_entry_check.png"),
            ("/odoo/action-hr_attendance.action_hr_attendance_settings",
             ".o_field_widget[name=zk_work_entry_deduct_late]", "settings.png",
             ".o_field_widget[name=zk_work_entry_deduct_undertime]"),
        ])
        save_screens(self, "payroll_officer", [
            ("/odoo/action-hr_zk_work_entry.hr_zk_work_entry_action?view_type=pivot",
             ".o_pivot", "work_entries_pivot.png"),
        ])
