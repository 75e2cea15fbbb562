/** Issue 23: an attendance administrator finds the approved overtime that the CTO bank did
 * not credit and reads why on the line, in words. */
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("zk_cto_not_credited", {
    url: "/odoo/action-hr_zk_attendance.zk_overtime_line_action",
    steps: () => [
        {
            content: "Remove the default filters (to approve, my team)",
            trigger: ".o_searchview_facet:contains('To approve') .o_facet_remove",
            run: "click",
        },
        {
            trigger: ".o_searchview_facet:contains('My team') .o_facet_remove",
            run: "click",
        },
        {
            content: "Open the filters",
            trigger: ".o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            content: "Only the overtime the bank did not credit",
            trigger: ".o_filter_menu .dropdown-item:contains('Not credited to the CTO bank')",
            run: "click",
        },
        {
            content: "Maria's approved overtime is listed as not credited",
            trigger: ".o_data_row:contains('Maria Santos') td[name='cto_state']:contains('Not credited')",
        },
        {
            content: "Her credited line is not: one row only",
            trigger: ".o_list_view tbody:not(:has(.o_data_row ~ .o_data_row))",
        },
        {
            content: "Open it",
            trigger: ".o_data_row td[name='employee_id']:contains('Maria Santos')",
            run: "click",
        },
        {
            content: "The line says why, in words",
            trigger: ".o_form_view .o_cto_not_credited:contains('Not credited: Maria Santos joined the CTO bank on 3 Dec 2026, after this overtime.')",
        },
    ],
});
