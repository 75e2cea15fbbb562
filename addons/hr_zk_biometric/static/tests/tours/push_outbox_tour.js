/** @odoo-module **/

import { registry } from "@web/core/registry";

// An attendance administrator opens a relay in push mode (no URL) and sees what waits for
// its terminals in words: the copy of a fingerprint, the user record, the terminal's name.
registry.category("web_tour.tours").add("hr_zk_biometric_push_outbox_tour", {
    steps: () => [
        {
            content: "The relay in push mode shows how many commands wait for it",
            trigger: 'button[name=action_view_outbox]:contains("Commands waiting"):contains("2")',
            run: "click",
        },
        {
            content: "The copy of the fingerprint is said in words, for the other terminal",
            trigger:
                '.o_data_row:has(td:contains("Copy Fingerprint: right index finger of user 0042")):has(td:contains("Warehouse"))',
        },
        {
            content: "... waiting for the relay to fetch it",
            trigger: '.o_data_row:has(td:contains("Copy Fingerprint")) .badge:contains("Waiting for the relay")',
        },
        {
            content: "The user record goes with it",
            trigger: '.o_data_row td:contains("Write user 0042 (Ana Reyes)")',
        },
        {
            content: "No command code on screen",
            trigger: ".o_list_view:not(:contains(template_upsert)):not(:contains(user_upsert))",
        },
    ],
});
