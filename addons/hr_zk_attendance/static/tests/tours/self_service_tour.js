/** Issue 18: a portal employee asks for a missing check-out from a flagged day; the manager
 * approves it in the backend; the employee sees the day corrected. */
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("zk_self_service_request", {
    url: "/my",
    steps: () => [
        {
            content: "The My attendance card on the portal home",
            trigger: ".o_portal_index_card a[href='/my/attendance']",
            run: "click",
        },
        {
            content: "The flagged day says what to do: Fix",
            trigger: "tr.table-warning a.o_zk_fix",
            run: "click",
        },
        {
            content: "The form is filled in from the day: a check-out at the scheduled end",
            trigger: ".o_zk_request_form input[name='time'][value='17:00']",
        },
        {
            content: "Check-out is chosen",
            trigger: ".o_zk_request_form input#zk_dir_out:checked",
        },
        {
            content: "The real time (a native time picker: set as the picker does)",
            trigger: ".o_zk_request_form input[name='time']",
            run() {
                const input = document.querySelector(".o_zk_request_form input[name='time']");
                input.value = "17:05";
                input.dispatchEvent(new Event("change", { bubbles: true }));
            },
        },
        {
            content: "Why",
            trigger: ".o_zk_request_form textarea[name='reason']",
            run: "edit Forgot to check out",
        },
        {
            content: "Send it",
            trigger: "button.o_zk_send_request",
            run: "click",
        },
        {
            content: "Sent, and waiting for the manager",
            trigger: ".alert-success:contains('Your request was sent')",
        },
        {
            content: "The request is listed as to approve",
            trigger: ".o_zk_requests .badge:contains('To approve')",
        },
    ],
});

registry.category("web_tour.tours").add("zk_self_service_approve", {
    url: "/odoo/action-hr_zk_attendance.zk_adjustment_action",
    steps: () => [
        {
            content: "Open Ana's request",
            trigger: ".o_data_row td[name='employee_id']:contains('Ana Reyes')",
            run: "click",
        },
        {
            content: "The day behind it: a check-in only",
            trigger: ".o_field_widget[name='day_punches_html']:contains('Check-in')",
        },
        {
            content: "Approve",
            trigger: ".o_form_view .o_statusbar_buttons button:contains('Approve')",
            run: "click",
        },
        {
            content: "Approved",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Approved')",
        },
    ],
});

registry.category("web_tour.tours").add("zk_self_service_corrected", {
    steps: () => [
        {
            content: "The day shows the approved check-out",
            trigger: ".o_zk_portal_punches:contains('17:05'):contains('Approved correction')",
        },
        {
            content: "Nothing is missing any more",
            trigger: "body:not(:has(.alert-warning))",
        },
        {
            content: "The request is approved",
            trigger: ".o_zk_requests .badge:contains('Approved')",
        },
    ],
});
