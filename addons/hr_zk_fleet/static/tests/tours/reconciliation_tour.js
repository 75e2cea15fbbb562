/** @odoo-module **/

import { registry } from "@web/core/registry";

// The attendance administrator looks at the terminal-days: the one that needs a look is on
// top, its state and reason in words; its form offers "Check again"; the terminal's form
// shows the day under its Reconciliation tab.
registry.category("web_tour.tours").add("zk_fleet_reconciliation", {
    steps: () => [
        {
            content: "The day that needs a look is on top, in words",
            trigger:
                '.o_data_row:first:contains("Not answered"):contains("The terminal refused the query"):contains("Main entrance")',
        },
        {
            content: "A confirmed day is listed below it",
            trigger: '.o_data_row:eq(1):contains("Confirmed")',
        },
        {
            content: "Open the day that needs a look",
            trigger: '.o_data_row:first td[name=day]',
            run: "click",
        },
        {
            content: "Its form says what happened and offers to check again",
            trigger:
                '.o_form_view:has(.o_statusbar_status .o_arrow_button_current:contains("Not answered")):has(button[name=action_check_again])',
        },
        {
            content: "The day names its terminal",
            trigger: '.o_form_view .o_field_widget[name=device_id]:contains("Main entrance")',
        },
    ],
});

registry.category("web_tour.tours").add("zk_fleet_terminal", {
    steps: () => [
        {
            content: "The terminal shows how many days need a look",
            trigger: 'button[name=action_view_device_days]:contains("1"):contains("Days to look at")',
        },
        {
            content: "Its clock drift in words",
            trigger: '.o_field_widget[name=clock_drift_text]:contains("2 min 11 s behind")',
        },
        {
            content: "Open the Reconciliation tab",
            trigger: '.o_notebook a:contains("Reconciliation")',
            run: "click",
        },
        {
            content: "The day is there with its reason",
            trigger:
                '.o_field_widget[name=device_day_ids] .o_data_row:contains("Not answered"):contains("The terminal refused the query")',
        },
        {
            content: "Open the Events tab",
            trigger: '.o_notebook a:contains("Events")',
            run: "click",
        },
        {
            content: "The log cleared at the terminal is listed in words",
            trigger:
                '.o_field_widget[name=device_event_ids] .o_data_row:contains("Attendance log cleared at the terminal")',
        },
    ],
});
