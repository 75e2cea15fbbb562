{
    "name": "Payroll Export (zk-odoo)",
    "summary": "Payroll-ready CSV per company and pay period, issued by a scheduled action at "
    "period close: immutable, reproducible, corrections that reference what they supersede",
    "version": "18.0.1.0.0",
    "category": "Human Resources/Payroll",
    "website": "https://github.com/zk-odoo/zk-odoo",
    "author": "zk-odoo contributors",
    "maintainers": ["zk-odoo"],
    "license": "LGPL-3",
    "development_status": "Alpha",
    "depends": ["hr_zk_attendance", "mail"],
    "external_dependencies": {"python": ["zk_rules"]},
    "data": [
        "security/hr_payroll_export_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron.xml",
        "views/payroll_export_batch_views.xml",
        "views/payroll_export_download_views.xml",
        "views/res_config_settings_views.xml",
        "views/hr_payroll_export_menus.xml",
    ],
    "assets": {"web.assets_tests": ["hr_payroll_export/static/tests/tours/*.js"]},
}
