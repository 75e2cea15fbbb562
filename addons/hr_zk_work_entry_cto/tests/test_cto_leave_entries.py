from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestCtoLeaveEntries(TransactionCase):
    def test_cto_leave_type_makes_compensatory_work_entries(self):
        leave_type = self.env.ref("hr_cto_bank.leave_type_cto")
        self.assertEqual(leave_type.work_entry_type_id,
                         self.env.ref("hr_work_entry_contract.work_entry_type_compensatory"))
