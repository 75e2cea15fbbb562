/** @odoo-module **/
/* Journey 3b: a payroll officer opens a batch the scheduled job is issuing, sees how far it
 * has come, and issues the rest at once. */

import { registry } from "@web/core/registry";
import { openPayrollExportMenu } from "@hr_payroll_export/../tests/tours/payroll_menu_steps";

registry.category("web_tour.tours").add("zk_payroll_issue_under_way", {
    url: "/odoo",
    steps: () => [
        ...openPayrollExportMenu("hr_payroll_export.menu_payroll_export_batch", "Batches"),
        {
            content: "Open the batch of 1-15 March, still to issue",
            trigger: ".o_data_row:contains('To issue') td[name=name]:contains('1-15 Mar 2025')",
            run: "click",
        },
        {
            content: "The form tells how far the scheduled job has come",
            trigger: ".o_form_view .alert-info:contains('Being issued by the scheduled job: 1 employee(s) written so far')",
        },
        {
            content: "Issue the rest now",
            trigger: ".o_form_view button[name=action_generate]",
            run: "click",
        },
        {
            content: "The batch is issued",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains('Issued')",
        },
        {
            content: "The progress note is gone, the rows are there",
            trigger: ".o_form_view:not(:has(.alert-info)) .o_field_widget[name=row_count]:contains('4')",
        },
    ],
});
