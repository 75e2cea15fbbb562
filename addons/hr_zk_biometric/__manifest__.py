{
    "name": "ZKTeco Biometric Data (zk-odoo)",
    "summary": "Enrol once, use at every terminal, erase everywhere on departure: fingerprint "
    "and face templates and punch photos, encrypted, audited, under one group",
    "version": "18.0.1.0.0",
    "category": "Human Resources/Attendances",
    "website": "https://github.com/zk-odoo/zk-odoo",
    "author": "zk-odoo contributors",
    "maintainers": ["zk-odoo"],
    "license": "LGPL-3",
    "development_status": "Alpha",
    "depends": ["hr_zk_attendance"],
    "external_dependencies": {"python": ["zk_rules", "cryptography"]},
    "data": [
        "security/hr_zk_biometric_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron.xml",
        "views/zk_biometric_sync_views.xml",
        "views/zk_biometric_erasure_views.xml",
        "views/zk_punch_photo_views.xml",
        "views/hr_employee_views.xml",
        "views/zk_device_views.xml",
        "views/res_config_settings_views.xml",
        "views/hr_zk_biometric_menus.xml",
    ],
    "assets": {
        "web.assets_tests": ["hr_zk_biometric/static/tests/tours/*.js"],
    },
}
