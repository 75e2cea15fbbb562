{
    "name": "Payroll Export: terminal-day warning (zk-odoo)",
    "summary": "Before a payroll batch is issued, lists the terminal-days of its period that "
    "reconciliation did not confirm complete; installed by itself with both addons",
    "version": "18.0.1.0.0",
    "category": "Human Resources/Payroll",
    "website": "https://github.com/zk-odoo/zk-odoo",
    "author": "zk-odoo contributors",
    "maintainers": ["zk-odoo"],
    "license": "LGPL-3",
    "development_status": "Alpha",
    "depends": ["hr_payroll_export", "hr_zk_fleet"],
    "auto_install": True,
    "data": [
        "security/ir.model.access.csv",
        "views/payroll_export_batch_views.xml",
        "views/res_config_settings_views.xml",
    ],
    "assets": {
        "web.assets_tests": ["hr_payroll_export_fleet/static/tests/tours/*.js"],
    },
}
