{
    "name": "ZKTeco Attendance (zk-odoo)",
    "summary": "Relays, ZKTeco terminals, biometric user registry and scheduled punch import "
    "into Attendances, exactly once and in the right time zone",
    "version": "18.0.1.0.0",
    "category": "Human Resources/Attendances",
    "website": "https://github.com/zk-odoo/zk-odoo",
    "author": "zk-odoo contributors",
    "maintainers": ["zk-odoo"],
    "license": "LGPL-3",
    "development_status": "Alpha",
    "depends": ["hr_attendance"],
    "external_dependencies": {"python": ["zk_rules", "requests"]},
    "data": [
        "security/hr_zk_attendance_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron.xml",
        "views/zk_relay_views.xml",
        "views/zk_device_views.xml",
        "views/zk_device_user_views.xml",
        "views/zk_punch_views.xml",
        "views/hr_zk_attendance_menus.xml",
    ],
}
