/** @odoo-module **/

import { registry } from "@web/core/registry";

// A payroll officer opens the batch to issue: a warning says terminal-days of the period
// were not confirmed, and the list names them; issuing stays possible.
registry.category("web_tour.tours").add("zk_payroll_unconfirmed_days", {
    steps: () => [
        {
            content: "The warning says how many terminal-days were not confirmed",
            trigger:
                '.o_form_view .alert-warning:contains("terminal-day(s) of this period were not confirmed complete"):has(.o_field_widget[name=fleet_day_count]:contains("2"))',
        },
        {
            content: "Issuing stays possible",
            trigger: ".o_form_view button[name=action_generate]",
        },
        {
            content: "Open the list of those days",
            trigger: '.o_notebook a:contains("Unconfirmed terminal days")',
            run: "click",
        },
        {
            content: "The day the terminal did not answer, in words",
            trigger:
                '.o_field_widget[name=fleet_day_ids] .o_data_row:contains("Not answered"):contains("The terminal refused the query"):contains("Gate")',
        },
        {
            content: "The day the terminal was offline",
            trigger:
                '.o_field_widget[name=fleet_day_ids] .o_data_row:contains("Terminal offline")',
        },
    ],
});
