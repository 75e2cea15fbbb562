{
    "name": "Payroll Export: CTO bank (zk-odoo)",
    "summary": "Fills the payroll file's CTO columns from the compensatory time-off bank; "
    "installed by itself when both Payroll Export and the CTO bank are",
    "version": "18.0.1.0.0",
    "category": "Human Resources/Payroll",
    "website": "https://github.com/zk-odoo/zk-odoo",
    "author": "zk-odoo contributors",
    "maintainers": ["zk-odoo"],
    "license": "LGPL-3",
    "development_status": "Alpha",
    "depends": ["hr_payroll_export", "hr_cto_bank"],
    "external_dependencies": {"python": ["zk_rules"]},
    "auto_install": True,
}
