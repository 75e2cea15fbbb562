/** @odoo-module **/
// HR admin in the Biometric data group: an employee whose palm came as two templates sees a
// row for each on every terminal ("Palm" and "Palm, template 2"), not one overwriting the
// other, and no raw sub-template or version number.
import { registry } from "@web/core/registry";

const TABLE = ".o_zk_bio_sync_table";

registry.category("web_tour.tours").add("hr_zk_biometric_sub_template_tour", {
    steps: () => [
        {
            content: "Open the Biometrics tab",
            trigger: ".o_notebook a[name=zk_biometrics]",
            run: "click",
        },
        {
            content: "Enrolled at the entrance: both palm templates in sync there",
            trigger: `${TABLE} .o_data_row:contains('Entrance'):contains('Palm, template 2') .badge:contains('In sync')`,
        },
        {
            content: "The first palm template has its own row at the warehouse, copied",
            trigger: `${TABLE} .o_data_row:contains('Warehouse'):not(:contains('template 2')):contains('Palm') .badge.text-bg-success:contains('In sync')`,
        },
        {
            content: "The second one is refused there, with the terminal's reason in words",
            trigger: `${TABLE} .o_data_row:contains('Warehouse'):contains('Palm, template 2'):contains("the terminal's memory is full") .badge.text-bg-danger:contains('Failed')`,
        },
        {
            content: "The canteen took both",
            trigger: `${TABLE} .o_data_row:contains('Canteen'):contains('Palm, template 2') .badge.text-bg-success:contains('In sync')`,
        },
        {
            content: "No raw code on screen",
            trigger: `${TABLE}:not(:contains('-1001')):not(:contains('sub_index')):not(:contains('palm:1'))`,
        },
    ],
});
