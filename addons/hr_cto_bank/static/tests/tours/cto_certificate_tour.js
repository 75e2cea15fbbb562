/** @odoo-module **/
/* Journey 4: an HR officer prints the Certificate of COC Earned of an employee for a month
 * and reads the employee's figures in it (the preview is the HTML of the same report). */

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

registry.category("web_tour.tours").add("zk_cto_certificate", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open the Time Off app",
            trigger: '.o_app[data-menu-xmlid="hr_holidays.menu_hr_holidays_root"]',
            run: "click",
        },
        {
            content: "Open the CTO Bank menu",
            trigger: '.o_main_navbar [data-menu-xmlid="hr_cto_bank.menu_hr_cto_bank"]',
            run: "click",
        },
        {
            content: "Certificates of COC Earned",
            trigger: '.dropdown-item[data-menu-xmlid="hr_cto_bank.menu_hr_cto_certificate"]',
            run: "click",
        },
        {
            content: "The dialog says what it prints",
            trigger: ".modal:contains('One certificate per employee')",
        },
        {
            content: "Pick January",
            trigger: ".modal .o_field_widget[name=month] select",
            run: 'select "1"',
        },
        {
            content: "Type the year",
            trigger: ".modal .o_field_widget[name=year] input",
            run: "edit 2026",
        },
        {
            content: "Pick the employee",
            trigger: ".modal .o_field_widget[name=employee_ids] input",
            run: "edit Ana",
        },
        {
            content: "Choose Ana Reyes",
            trigger: ".o-autocomplete--dropdown-item:contains('Ana Reyes')",
            run: "click",
        },
        {
            content: "The employee is chosen, the year reads as a year (not 2,026)",
            trigger: ".modal .o_field_widget[name=employee_ids] .o_tag:contains('Ana Reyes')",
        },
        {
            trigger: ".modal .o_field_widget[name=year] input:value(2026)",
        },
        {
            content: "Preview the certificate",
            trigger: ".modal button[name=action_preview]",
            run: "click",
        },
        {
            content: "The certificate names the employee and the month",
            trigger: ".o_action iframe:iframe .page:contains('Ana Reyes'):contains('January 2026')",
        },
        {
            content: "COC earned in the month: 5:30 hours",
            trigger: ".o_action iframe:iframe .o_coc_earned:contains('5:30')",
        },
        {
            content: "Balance: 5:30 hours",
            trigger: ".o_action iframe:iframe .o_coc_balance:contains('5:30')",
        },
        {
            content: "Both lots of the month are listed",
            trigger: ".o_action iframe:iframe .o_coc_lots tbody:contains('2:30'):contains('3:00')",
        },
    ],
});
