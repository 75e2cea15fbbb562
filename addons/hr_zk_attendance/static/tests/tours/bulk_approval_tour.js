/** A manager selects every overtime line of a week and approves them at once: the first
 * lines are decided at once, the rest show "Approval queued" until the scheduled job. */
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("zk_bulk_approval", {
    steps: () => [
        {
            content: "The lines of the week wait for a decision",
            trigger: ".o_list_view .o_data_row td[name='status']:contains('To approve')",
        },
        {
            content: "Select every line",
            trigger: ".o_list_view thead .o_list_record_selector input",
            run: "click",
        },
        {
            content: "Approve the selection",
            trigger: ".o_control_panel button[name='action_approve']:contains('Approve')",
            run: "click",
        },
        {
            content: "Told what was decided now and what follows",
            trigger: ".o_notification:contains('approved; the other'):contains('Approval queued')",
        },
        {
            content: "The queued lines say so in the list",
            trigger: ".o_list_view .o_data_row td[name='queued_decision']:contains('Approval queued')",
        },
        {
            content: "Only the two queued lines still wait (the approved ones left the list)",
            trigger: ".o_list_view tbody:not(:has(.o_data_row:nth-child(3))) .o_data_row:nth-child(2) td[name='queued_decision']:contains('Approval queued')",
        },
    ],
});
