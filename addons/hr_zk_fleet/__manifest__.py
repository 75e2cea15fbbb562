{
    "name": "ZKTeco fleet health",
    "summary": "Per terminal and day proof that no punch is missing, terminal and relay health, "
    "alerts that a person receives, clock repair and operation-log events from the relays",
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
        "security/fleet_alerts_security.xml",
        "data/ir_cron_fleet_alerts.xml",
        "views/zk_device_day_views.xml",
        "views/zk_device_event_views.xml",
        "views/zk_device_views.xml",
        "views/zk_fleet_alert_views.xml",
        "views/zk_fleet_overview_views.xml",
        "views/res_config_settings_views.xml",
        "views/menus.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "hr_zk_fleet/static/src/fleet_chart/*",
        ],
        "web.assets_tests": ["hr_zk_fleet/static/tests/tours/*.js"],
    },
}
