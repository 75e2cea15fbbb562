from odoo.addons.hr_cto_bank.tests.common import CtoCase
from odoo.addons.hr_payroll_export.tests.common import PayrollFixtures


class PayrollCtoCase(PayrollFixtures, CtoCase):
    """The CTO bank's fixtures (office calendar, Ana and Ben in the bank, users per group)
    and the payroll fixtures (semi-monthly periods, payroll users, Ana E001, Ben E002)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._payroll_fixtures()
