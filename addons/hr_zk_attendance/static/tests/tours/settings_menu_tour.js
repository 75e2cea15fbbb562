/** @odoo-module **/

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

// Journey 5: the Odoo administrator finds Settings under Attendances > Configuration.
registry.category("web_tour.tours").add("zk_settings_menu", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open the Attendances app",
            trigger: '.o_app[data-menu-xmlid="hr_attendance.menu_hr_attendance_root"]',
            run: "click",
        },
        {
            content: "Open the Configuration menu",
            trigger: '.o_menu_sections [data-menu-xmlid="hr_attendance.menu_hr_attendance_settings"]',
            run: "click",
        },
        {
            content: "Settings is the first entry of Configuration",
            trigger: '.dropdown-menu .dropdown-item:first-child:contains("Settings")',
        },
        {
            content: "The ZKTeco entries are there too",
            trigger: '.dropdown-menu :contains("Relays")',
        },
        {
            content: "Open Settings",
            trigger: '.dropdown-item[data-menu-xmlid="hr_zk_attendance.menu_zk_settings"]',
            run: "click",
        },
        {
            content: "The attendance settings show the terminals' block",
            trigger: '.o_setting_container h2:contains("ZKTeco terminals")',
        },
        {
            content: "... with the overtime approval setting",
            trigger: '.o_setting_container :contains("Terminal overtime approval")',
        },
    ],
});
