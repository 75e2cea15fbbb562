/** @odoo-module **/
/* The steps every payroll journey starts with: Employees > Payroll Export > one of its
 * menus (given by its XML id). */

import { stepUtils } from "@web_tour/tour_service/tour_utils";

export function openPayrollExportMenu(menuXmlid, content) {
    return [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open the Employees app",
            trigger: '.o_app[data-menu-xmlid="hr.menu_hr_root"]',
            run: "click",
        },
        {
            content: "Open the Payroll Export menu",
            trigger: '.o_main_navbar [data-menu-xmlid="hr_payroll_export.menu_payroll_export_root"]',
            run: "click",
        },
        {
            content,
            trigger: `.dropdown-item[data-menu-xmlid="${menuXmlid}"]`,
            run: "click",
        },
    ];
}
