/** @odoo-module **/
// HR admin in the Biometric data group: open an employee, Biometrics, read the sync table
// (one copy in sync, one refused with the terminal's reason), erase, see the erasure waiting
// on each terminal.
import { registry } from "@web/core/registry";

const TABLE = ".o_zk_bio_sync_table";
const ERASURES = ".o_zk_bio_erasure_table";

registry.category("web_tour.tours").add("hr_zk_biometric_erase_tour", {
    steps: () => [
        {
            content: "Open the Biometrics tab",
            trigger: ".o_notebook a[name=zk_biometrics]",
            run: "click",
        },
        {
            content: "Enrolled at the entrance: in sync there",
            trigger: `${TABLE} .o_data_row:contains('Entrance'):contains('right index finger') .badge:contains('In sync')`,
        },
        {
            content: "Copied to the warehouse terminal",
            trigger: `${TABLE} .o_data_row:contains('Warehouse'):contains('right index finger') .badge.text-bg-success:contains('In sync')`,
        },
        {
            content: "The canteen terminal refused it, and says why in words",
            trigger: `${TABLE} .o_data_row:contains('Canteen'):contains('right index finger'):contains("the terminal's memory is full") .badge.text-bg-danger:contains('Failed')`,
        },
        {
            content: "No raw code on screen",
            trigger: `${TABLE}:not(:contains('-1001'))`,
        },
        {
            content: "Erase biometric data",
            trigger: "button.o_zk_bio_erase",
            run: "click",
        },
        {
            content: "The confirmation says what happens",
            trigger: ".modal:contains('from every terminal, from the relay and from Odoo')",
        },
        {
            trigger: ".modal .modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "The erasure is shown until every terminal confirmed",
            trigger: ".o_zk_bio_erasure_open:contains('Erasure in progress')",
        },
        {
            trigger: `${ERASURES} .o_data_row:contains('Entrance') .badge:contains('Waiting for the terminal')`,
        },
        {
            trigger: `${ERASURES} .o_data_row:contains('Warehouse') .badge:contains('Waiting for the terminal')`,
        },
        {
            trigger: `${ERASURES} .o_data_row:contains('Canteen') .badge:contains('Waiting for the terminal')`,
        },
        {
            content: "The copies are gone from the sync table",
            trigger: ".o_zk_bio_sync_empty:contains('Enrol them at any terminal')",
        },
    ],
});
