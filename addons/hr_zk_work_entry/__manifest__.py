{
    "name": "Work Entries from ZKTeco Days (zk-odoo)",
    "summary": "Contracts whose work entries come from the terminals' daily records: worked "
    "time, approved overtime by kind, night hours, lateness, undertime and absence, typed for "
    "payroll rules and kept in step with the payroll export",
    "version": "18.0.1.0.0",
    "category": "Human Resources/Payroll",
    "website": "https://github.com/zk-odoo/zk-odoo",
    "author": "zk-odoo contributors",
    "maintainers": ["zk-odoo"],
    "license": "LGPL-3",
    "development_status": "Alpha",
    "depends": [
        "hr_zk_attendance",
        "hr_payroll_export",
        "hr_work_entry_contract",
        "hr_work_entry_holidays",
    ],
    "external_dependencies": {"python": ["zk_rules"]},
    "data": [
        "security/ir.model.access.csv",
        "data/hr_work_entry_type_data.xml",
        "views/hr_contract_views.xml",
        "views/hr_work_entry_views.xml",
        "views/payroll_export_batch_views.xml",
        "views/res_config_settings_views.xml",
        "views/hr_zk_work_entry_menus.xml",
    ],
    "assets": {"web.assets_tests": ["hr_zk_work_entry/static/tests/tours/*.js"]},
}
