/** @odoo-module **/
// Admin journey, step "map a PIN": a PIN the terminal reported is mapped to an employee whose
// time zone differs from the terminal's; the warning is seen, resolved in one click, and gone.
import { registry } from "@web/core/registry";

const ROW = ".o_data_row:contains('0090')";

registry.category("web_tour.tours").add("zk_pin_mapping", {
    url: "/odoo/action-hr_zk_attendance.zk_device_user_action",
    steps: () => [
        {
            content: "The PIN the terminal reported waits, not matched",
            trigger: `${ROW}:contains('HANA') .badge:contains('Not matched')`,
        },
        {
            content: "Choose its employee",
            trigger: `${ROW} td[name=employee_id]`,
            run: "click",
        },
        {
            trigger: ".o_selected_row td[name=employee_id] input",
            run: "edit Hana Paris",
        },
        {
            trigger: ".o-autocomplete--dropdown-item > a:contains('Hana Paris')",
            run: "click",
        },
        {
            trigger: ".o_list_button_save",
            run: "click",
        },
        {
            content: "The employee's zone shows in red beside the terminal's",
            trigger: `${ROW}.text-danger td[name=employee_tz]:contains('Europe/Paris')`,
        },
        {
            trigger: `${ROW} td[name=timezone]:contains('Asia/Manila')`,
        },
        {
            content: "Open the line",
            trigger: `${ROW} .o_list_record_open_form_view`,
            run: "click",
        },
        {
            content: "The warning names both zones and says what goes wrong",
            trigger: ".o_form_view .alert-danger:contains('Time zone differs from the terminal')" +
                ":contains('Europe/Paris'):contains('Asia/Manila'):contains('wrong hours')",
        },
        {
            content: "One click: use the terminal's zone",
            trigger: ".o_form_view .o_statusbar_buttons button:contains(\"Use the terminal's zone\")",
            run: "click",
        },
        {
            content: "Told what changed",
            trigger: ".o_notification:contains('Time zone set to Asia/Manila (was Europe/Paris)')",
        },
        {
            content: "The warning is gone, the zones agree",
            trigger: ".o_form_view .o_field_widget[name=employee_tz]:contains('Asia/Manila')",
        },
        {
            trigger: ".o_form_view:not(:has(.alert-danger))",
        },
    ],
});
