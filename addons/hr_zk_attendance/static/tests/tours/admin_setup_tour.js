/** @odoo-module **/

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

// Journey 1, the attendance administrator. The test seeds what a browser cannot do (the
// relay process, a terminal registered on it, its punches, running `zk-relay enrol`) and
// passes the relay's address in sessionStorage ("zk_relay_url").
const relayUrl = () => sessionStorage.getItem("zk_relay_url");

// Part 1: create the relay, get the enrolment code; the dialog's command uses the form's URL.
registry.category("web_tour.tours").add("zk_admin_setup", {
    steps: () => [
        {
            content: "The empty list says what a relay is and what to do",
            trigger: '.o_view_nocontent:contains("Connect your first branch relay")',
        },
        {
            content: "Create a relay",
            trigger: ".o_list_button_add",
            run: "click",
        },
        {
            content: "A new relay offers no action before it is saved",
            trigger: '.o_form_view .alert-info:contains("Give the relay a name")',
        },
        {
            content: "... no Import now, no Test connection",
            trigger:
                ".o_form_view:not(:has(button[name=action_pull_now])):not(:has(button[name=action_test_connection]))",
        },
        {
            content: "Name it",
            trigger: ".o_field_widget[name=name] input",
            run: "edit Branch Cebu",
        },
        {
            content: "Give the address Odoo reaches it at",
            trigger: ".o_field_widget[name=url] input",
            run: (actions) => actions.edit(relayUrl()),
        },
        {
            content: "Save",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Ask for an enrolment code",
            trigger: 'button[name=action_enrolment_code]:contains("Enrolment code")',
            run: "click",
        },
        {
            content: "The command to run on the relay carries the form's URL",
            trigger: `.modal .o_field_widget[name=command]:contains("--url ${relayUrl()}")`,
        },
        {
            content: "... and no placeholder",
            trigger: ".modal .o_field_widget[name=command]:not(:contains('<'))",
        },
        {
            content: "Close the dialog",
            trigger: '.modal-footer button:contains("Done")',
            run: "click",
        },
        {
            content: "The relay waits for its enrolment",
            trigger: '.o_statusbar_status .o_arrow_button_current:contains("Waiting for enrolment")',
        },
    ],
});

// Part 2 (after `zk-relay enrol` ran on the relay): the terminal registered on the relay shows
// up waiting for approval; the administrator approves it.
registry.category("web_tour.tours").add("zk_admin_setup_approve", {
    steps: () => [
        {
            content: "The relay is enrolled",
            trigger: '.o_statusbar_status .o_arrow_button_current:contains("Enrolled")',
        },
        {
            content: "Refresh the relay's terminals",
            trigger: 'button[name=action_sync_devices]:contains("Refresh terminals")',
            run: "click",
        },
        {
            content: "The notification says what happened",
            trigger:
                '.o_notification:contains("1 new terminal(s) waiting for approval: CQZ7231460123")',
        },
        {
            content: "Open the relay's terminals",
            trigger: "button[name=action_view_devices]",
            run: "click",
        },
        {
            content: "The terminal waits for approval",
            trigger:
                '.o_data_row:contains("CQZ7231460123"):contains("Front door"):contains("Waiting for approval") td[name=serial]',
            run: "click",
        },
        {
            content: "The form explains what approving does",
            trigger: '.o_form_view .alert-info:contains("imports its punches only once")',
        },
        {
            content: "It has the zone the relay has",
            trigger: ".o_field_widget[name=timezone] select",
            run() {
                const shown = this.anchor.options[this.anchor.selectedIndex].textContent;
                if (!shown.includes("Asia/Manila")) {
                    throw new Error(`zone shown: ${shown}, expected Asia/Manila`);
                }
            },
        },
        {
            content: "Approve it",
            trigger: 'button[name=action_approve]:contains("Approve terminal")',
            run: "click",
        },
        {
            content: "It is active",
            trigger: '.o_statusbar_status .o_arrow_button_current:contains("Active")',
        },
        {
            content: "The chatter keeps the approval",
            trigger: '.o-mail-Message:contains("Terminal approved")',
        },
    ],
});

// Part 3: import now, then read the punch log as a person would.
registry.category("web_tour.tours").add("zk_admin_setup_import", {
    steps: () => [
        {
            content: "Import now",
            trigger: 'button[name=action_pull_now]:contains("Import now")',
            run: "click",
        },
        {
            content: "The notification counts the new punches",
            trigger: '.o_notification:contains("3 new punch(es) imported")',
        },
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
            content: "Open the punch log",
            trigger: '.dropdown-item[data-menu-xmlid="hr_zk_attendance.menu_zk_punch"]',
            run: "click",
        },
        {
            content: "The check-in: employee, terminal time, terminal, status by name",
            trigger:
                '.o_data_row:contains("Carla Santos"):contains("08:01:10"):contains("Front door (CQZ7231460123)"):contains("Check-in (0)")',
        },
        {
            content: "The check-out, verified by fingerprint",
            trigger:
                '.o_data_row:contains("Carla Santos"):contains("17:05:00"):contains("Check-out (1)"):contains("Fingerprint (1)")',
        },
        {
            content: "An unmapped PIN is named by its PIN and says why it waits",
            trigger: '.o_data_row:contains("0099"):contains("Unknown PIN"):contains("not mapped")',
        },
        {
            content: "No hash anywhere in the list",
            trigger: ".o_list_view:not(:has(th[data-name=fingerprint]))",
        },
    ],
});
