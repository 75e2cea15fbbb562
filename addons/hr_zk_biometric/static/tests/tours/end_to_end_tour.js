/** @odoo-module **/
// End to end with a real relay and terminal simulators (tests/test_biometric_end_to_end.py).
// The Biometric data group: after enrolling once at the entrance, every terminal holds the
// fingerprint and face; erase; then, once the terminals answered, the erasure is complete.
import { registry } from "@web/core/registry";

const TABLE = ".o_zk_bio_sync_table";
const ERASURES = ".o_zk_bio_erasure_table";
const TERMINALS = ["Entrance", "Warehouse", "Canteen"];
const ITEMS = ["User record", "right index finger", "Face"];

registry.category("web_tour.tours").add("hr_zk_biometric_e2e_erase_tour", {
    steps: () => [
        {
            content: "Open the Biometrics tab",
            trigger: ".o_notebook a[name=zk_biometrics]",
            run: "click",
        },
        ...TERMINALS.flatMap((terminal) =>
            ITEMS.map((item) => ({
                content: `${item} in sync at the ${terminal} terminal`,
                trigger: `${TABLE} .o_data_row:contains('${terminal}'):contains('${item}') .badge.text-bg-success:contains('In sync')`,
            }))
        ),
        {
            content: "Nothing waiting or refused",
            trigger: `${TABLE}:not(:has(.badge:contains('Pending'))):not(:has(.badge:contains('Failed')))`,
        },
        {
            content: "Erase biometric data",
            trigger: "button.o_zk_bio_erase",
            run: "click",
        },
        {
            trigger: ".modal:contains('from every terminal, from the relay and from Odoo')",
        },
        {
            trigger: ".modal .modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "The erasure waits on each terminal",
            trigger: ".o_zk_bio_erasure_open:contains('Erasure in progress')",
        },
        ...TERMINALS.map((terminal) => ({
            trigger: `${ERASURES} .o_data_row:contains('${terminal}') .badge:contains('Waiting for the terminal')`,
        })),
        {
            content: "The copies are gone from the sync table",
            trigger: ".o_zk_bio_sync_empty:contains('Enrol them at any terminal')",
        },
    ],
});

registry.category("web_tour.tours").add("hr_zk_biometric_e2e_erased_tour", {
    steps: () => [
        {
            content: "Every terminal confirmed: erased everywhere",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Erased everywhere')",
        },
        {
            trigger: ".o_field_widget[name=progress]:contains('3 / 3')",
        },
        {
            trigger: ".o_field_widget[name=odoo_deleted]:contains('2 template(s), 0 photo(s)')",
        },
        ...TERMINALS.map((terminal) => ({
            content: `The ${terminal} terminal removed the person`,
            trigger: `.o_field_widget[name=line_ids] .o_data_row:contains('${terminal}'):contains('Removed from the terminal.') .badge.text-bg-success:contains('Erased')`,
        })),
        {
            content: "No raw result code on screen",
            trigger: ".o_field_widget[name=line_ids]:not(:contains('Return')):not(:contains('-10'))",
        },
    ],
});
