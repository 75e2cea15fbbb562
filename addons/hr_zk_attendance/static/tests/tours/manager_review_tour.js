/** Journey 2 (issue 16): a department's manager reviews the days, approves less overtime
 * after seeing the punches, approves an adjustment and verifies the audit trail. */
import { registry } from "@web/core/registry";

function openReview(item) {
    return [
        {
            content: "Open the Review menu",
            trigger: ".o_menu_sections button:contains('Review')",
            run: "click",
        },
        {
            content: `Open ${item}`,
            trigger: `.dropdown-item:contains('${item}')`,
            run: "click",
        },
    ];
}

registry.category("web_tour.tours").add("zk_manager_review", {
    url: "/odoo/action-hr_zk_attendance.zk_daily_record_action",
    steps: () => [
        {
            content: "Daily records show regular hours as hours and minutes",
            trigger: ".o_list_view .o_data_row td[name='regular_hours']:contains('08:00')",
        },
        {
            content: "Overtime of the day in hours and minutes",
            trigger: ".o_list_view .o_data_row td[name='overtime_hours']:contains('02:00')",
        },
        {
            content: "Switch to the pivot",
            trigger: ".o_switch_view.o_pivot",
            run: "click",
        },
        {
            content: "The pivot sums overtime as hours and minutes",
            trigger: ".o_pivot .o_pivot_cell_value:contains('02:00')",
        },
        ...openReview("Overtime to approve"),
        {
            content: "Opens on lines to approve AND my team: two facets, not one OR'ed",
            trigger: ".o_searchview_facet:contains('To approve'):not(:contains('My team'))",
        },
        {
            content: "Open Ana's overtime",
            trigger: ".o_data_row td[name='employee_id']:contains('Ana Reyes')",
            run: "click",
        },
        {
            content: "The punches behind the overtime: check-out at 19:00 on the Entrance",
            trigger: ".o_field_widget[name='day_punches_html']:contains('19:00'):contains('Check-out'):contains('Entrance')",
        },
        {
            content: "Two hours of overtime",
            trigger: ".o_field_widget[name='hours']:contains('02:00')",
        },
        {
            content: "Approve less",
            trigger: ".o_form_view .o_statusbar_buttons button:contains('Approve less')",
            run: "click",
        },
        {
            content: "Enter 1:30",
            trigger: ".modal .o_field_widget[name='approve_hours'] input",
            run: "edit 1:30",
        },
        {
            content: "Say why",
            trigger: ".modal .o_field_widget[name='reason'] textarea",
            run: "edit Only 1:30 was authorised",
        },
        {
            content: "Confirm",
            trigger: ".modal button:contains('Confirm')",
            run: "click",
        },
        {
            content: "The line is approved",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Approved')",
        },
        {
            content: "For 1:30",
            trigger: ".o_field_widget[name='approved_hours']:contains('01:30')",
        },
        ...openReview("Adjustments"),
        {
            content: "Open Ana's request",
            trigger: ".o_data_row td[name='employee_id']:contains('Ana Reyes')",
            run: "click",
        },
        {
            content: "The day behind the request: a check-in and no check-out",
            trigger: ".o_field_widget[name='day_punches_html']:contains('Check-in')",
        },
        {
            content: "Approve",
            trigger: ".o_form_view .o_statusbar_buttons button:contains('Approve')",
            run: "click",
        },
        {
            content: "The request is approved",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Approved')",
        },
        ...openReview("Audit trail"),
        {
            content: "The audit trail names the actions",
            trigger: ".o_data_row:contains('Adjustment approved')",
        },
        {
            content: "Overtime decision too",
            trigger: ".o_data_row:contains('Overtime approved')",
        },
        {
            content: "Verify the audit trail",
            trigger: "button:contains('Verify audit trail')",
            run: "click",
        },
        {
            content: "The manager reads that the trail is intact",
            trigger: ".o_notification:contains('Audit trail intact')",
        },
    ],
});
