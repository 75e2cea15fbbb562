/** @odoo-module **/
/* Journey 3: a payroll officer issues the payroll file of a closed period, downloads it and
 * finds the download logged under their name. */

import { rpc } from "@web/core/network/rpc";
import { registry } from "@web/core/registry";
import { openPayrollExportMenu } from "@hr_payroll_export/../tests/tours/payroll_menu_steps";

registry.category("web_tour.tours").add("zk_payroll_issue", {
    url: "/odoo",
    steps: () => [
        ...openPayrollExportMenu("hr_payroll_export.menu_payroll_export_batch", "Batches"),
        {
            content: "The batch of 1-15 March waits to be issued",
            trigger: ".o_data_row:contains('1-15 Mar 2025'):contains('To issue')",
        },
        {
            content: "Open it",
            trigger: ".o_data_row td[name=name]:contains('1-15 Mar 2025')",
            run: "click",
        },
        {
            content: "The officer has a to-do on it",
            trigger: ".o-mail-Activity:contains('Issue the payroll file')",
        },
        {
            content: "Issue the file",
            trigger: ".o_form_view button[name=action_generate]",
            run: "click",
        },
        {
            content: "The batch is issued",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains('Issued')",
        },
        {
            content: "Issued by the officer, with its rows",
            trigger: ".o_field_widget[name=issued_by]:contains('Paula Santos')",
        },
        {
            content: "The to-do is done",
            trigger: ".o-mail-Chatter:not(:has(.o-mail-Activity))",
        },
        {
            content: "Download the file",
            trigger: ".o_form_view button[name=action_download]",
            run: "click",
        },
        {
            // The file arrives by a navigation of its own, which the list below may
            // overtake on the server: wait until the download's request is done, as a person
            // would by looking at the saved file.
            content: "The file was served",
            trigger: ".o_form_view",
            async run() {
                for (let attempt = 0; attempt < 100; attempt++) {
                    const served = await rpc("/web/dataset/call_kw", {
                        model: "payroll.export.download",
                        method: "search_count",
                        args: [[["user_id.name", "=", "Paula Santos"]]],
                        kwargs: {},
                    });
                    if (served) {
                        return;
                    }
                    await new Promise((resolve) => setTimeout(resolve, 100));
                }
                throw new Error("The download was never served");
            },
        },
        {
            content: "Open the Payroll Export menu",
            trigger: '.o_main_navbar [data-menu-xmlid="hr_payroll_export.menu_payroll_export_root"]',
            run: "click",
        },
        {
            content: "Downloads",
            trigger: '.dropdown-item[data-menu-xmlid="hr_payroll_export.menu_payroll_export_download"]',
            run: "click",
        },
        {
            content: "The download is logged under the officer's name",
            trigger: ".o_data_row:contains('Paula Santos'):contains('1-15 Mar 2025')",
        },
    ],
});
