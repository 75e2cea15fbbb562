{
    "name": "ZKTeco fleet health",
    "summary": "Per terminal and day proof that no punch is missing, terminal and relay health, "
    "clock repair and operation-log events from the zk-odoo relays",
    "version": "18.0.1.0.0",
    "category": "Human Resources/Attendances",
    "website": "https://github.com/zk-odoo/zk-odoo",
    "author": "zk-odoo contributors",
    "maintainers": ["zk-odoo"],
    "license": "LGPL-3",
    "development_status": "Alpha",
    "depends": ["hr_zk_attendance"],
    "external_dependencies": {"python": ["zk_rules", "requests", "cryptography"]},
    "auto_install": True,
    "data": [
        "security/hr_zk_fleet_security.xml",
        "security/ir.model.access.csv",
        "views/zk_device_day_views.xml",
        "views/zk_device_event_views.xml",
        "views/zk_device_views.xml",
    ],
    "assets": {
        "web.assets_tests": ["hr_zk_fleet/static/tests/tours/*.js"],
    },
}
