{
    "name": "Work Entries: CTO leave (zk-odoo)",
    "summary": "Leave taken from the CTO bank makes Odoo's compensatory time-off work "
    "entries; installed by itself with both addons",
    "version": "18.0.1.0.0",
    "category": "Human Resources/Payroll",
    "website": "https://github.com/zk-odoo/zk-odoo",
    "author": "zk-odoo contributors",
    "maintainers": ["zk-odoo"],
    "license": "LGPL-3",
    "development_status": "Alpha",
    "depends": ["hr_zk_work_entry", "hr_cto_bank"],
    "auto_install": True,
    "data": ["data/hr_leave_type_data.xml"],
}
