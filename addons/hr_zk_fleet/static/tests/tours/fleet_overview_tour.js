/** @odoo-module **/

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

// Issue 17: the attendance administrator opens the fleet overview (first Terminals entry),
// sees a red terminal card with its alert, opens it and finds the activity and the message.
registry.category("web_tour.tours").add("zk_fleet_overview", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open the Attendances app",
            trigger: '.o_app[data-menu-xmlid="hr_attendance.menu_hr_attendance_root"]',
            run: "click",
        },
        {
            content: "Open the Terminals menu",
            trigger: '.o_menu_sections [data-menu-xmlid="hr_zk_attendance.menu_zk_terminals_root"]',
            run: "click",
        },
        {
            content: "Fleet overview is its first entry",
            trigger: '.dropdown-menu .dropdown-item:first-child:contains("Fleet overview")',
        },
        {
            content: "Open the fleet overview",
            trigger: '.dropdown-item[data-menu-xmlid="hr_zk_fleet.menu_zk_fleet_overview_officer"]',
            run: "click",
        },
        {
            content: "The relay has its card with the delivery figures",
            trigger: '.o_kanban_record:contains("Branch Cebu"):contains("Delivery:")',
        },
        {
            content: "A healthy terminal is green",
            trigger: '.o_kanban_record .o_zk_fleet_ok:contains("Side door")',
        },
        {
            content: "... and shows its punches of the last days as bars",
            trigger: '.o_zk_fleet_ok .o_zk_punch_bars svg rect.o_zk_bar',
        },
        {
            content: "The terminal with an alert is red and says what is wrong",
            trigger: '.o_zk_fleet_alert:contains("Main entrance"):contains("Memory almost full")',
        },
        {
            content: "... with readable figures, no raw codes",
            trigger: '.o_zk_fleet_alert:contains("96% full"):contains("ahead")',
        },
        {
            content: "Open that terminal",
            trigger: '.o_kanban_record:has(.o_zk_fleet_alert) .o_zk_fleet_card:contains("Main entrance")',
            run: "click",
        },
        {
            content: "The terminal form says it needs attention",
            trigger: '.o_form_view .alert-danger:contains("Memory almost full")',
        },
        {
            content: "The alert smart button counts one open alert",
            trigger: 'button[name=action_view_fleet_alerts]:contains("1")',
        },
        {
            content: "The responsible has an activity for it",
            trigger: '.o-mail-Activity:contains("Memory almost full")',
        },
        {
            content: "The chatter tells what happened and what to do",
            trigger: '.o-mail-Message:contains("Alert: Memory almost full"):contains("delete old attendance records")',
        },
        {
            content: "Open the alerts from the smart button",
            trigger: "button[name=action_view_fleet_alerts]",
            run: "click",
        },
        {
            content: "The alert list shows the open alert in words",
            trigger: '.o_list_view .o_data_row:contains("Memory almost full"):contains("Open")',
        },
    ],
});
