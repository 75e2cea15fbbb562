/** @odoo-module **/
/* Journey 3c: a payroll officer of a big company checks an issued batch against today's
 * data; the check goes to the background and the form tells how far it has come. */

import { registry } from "@web/core/registry";
import { openPayrollExportMenu } from "@hr_payroll_export/../tests/tours/payroll_menu_steps";

registry.category("web_tour.tours").add("zk_payroll_check_in_background", {
    url: "/odoo",
    steps: () => [
        ...openPayrollExportMenu("hr_payroll_export.menu_payroll_export_batch", "Batches"),
        {
            content: "Open the issued batch of 1-15 March",
            trigger: ".o_data_row:contains('Issued') td[name=name]:contains('1-15 Mar 2025')",
            run: "click",
        },
        {
            content: "Check it against today's data",
            trigger: ".o_form_view button[name=action_check_reproducible]",
            run: "click",
        },
        {
            content: "Told that the check runs in the background and where its result goes",
            trigger: ".o_notification:contains('3 employees are too many to compare at once'):contains('posted in this batch')",
        },
        {
            content: "The form tells how far the check has come",
            trigger: ".o_form_view .alert-info:contains('Checking against today'):contains('0 of 3 employees compared')",
        },
    ],
});
