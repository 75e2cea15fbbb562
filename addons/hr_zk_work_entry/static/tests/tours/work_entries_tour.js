/** @odoo-module **/
/* A payroll officer opens the work entries of the period and finds the terminals' days:
 * regular hours, approved overtime and the night shift, each naming its day. */

import { registry } from "@web/core/registry";
import { openPayrollExportMenu } from "@hr_payroll_export/../tests/tours/payroll_menu_steps";

registry.category("web_tour.tours").add("zk_work_entries_officer", {
    url: "/odoo",
    steps: () => [
        ...openPayrollExportMenu("hr_zk_work_entry.menu_zk_work_entry", "Work Entries"),
        {
            content: "The list keeps the entries made from the terminals' days",
            trigger: ".o_searchview_facet:contains(\"From the terminals' days\")",
        },
        {
            content: "Approved overtime of a workday is there, with its day",
            trigger: ".o_data_row:contains('Overtime, workday'):contains('Ana Reyes')",
        },
        {
            content: "The night shift is typed as night work",
            trigger: ".o_data_row:contains('Overtime at night, rest day')",
        },
        {
            content: "Regular hours use Odoo's Attendance type",
            trigger: ".o_data_row:contains('Attendance')",
        },
        {
            content: "Open the approved overtime",
            trigger: ".o_data_row td[name=work_entry_type_id]:contains('Overtime, workday')",
            run: "click",
        },
        {
            content: "The entry names the terminals' day it comes from",
            trigger: ".o_form_view .o_field_widget[name=zk_record_id]:contains('Ana Reyes')",
        },
    ],
});
