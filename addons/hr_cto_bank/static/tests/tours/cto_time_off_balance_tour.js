/** @odoo-module **/
/* An employee in the CTO bank opens Time Off and reads their CTO balance (7.5 hours, from
 * the bank) on the card of the CTO type, then sees it again when choosing the type for a
 * new request. */

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

const CARD = ".o_timeoff_card:has(.o_timeoff_name:contains('Compensatory Time-Off (CTO)'))";

registry.category("web_tour.tours").add("zk_cto_time_off_balance", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open the Time Off app",
            trigger: '.o_app[data-menu-xmlid="hr_holidays.menu_hr_holidays_root"]',
            run: "click",
        },
        {
            content: "The CTO card shows the bank's balance: 7.5",
            trigger: `${CARD} .o_timeoff_duration:contains('7.5')`,
        },
        {
            content: "... as hours available",
            trigger: `${CARD} .o_timeoff_details:contains('hours'):contains('available')`,
        },
        {
            content: "... with the first expiry of its credits",
            trigger: `${CARD} .o_timeoff_validity:contains('valid until')`,
        },
        {
            content: "... and no allocation details (there is no allocation)",
            trigger: `${CARD}:not(:has(.o_timeoff_info))`,
        },
        {
            content: "Request time off",
            trigger: "button.btn-time-off",
            run: "click",
        },
        {
            content: "Look for the CTO type",
            trigger: ".modal div[name='holiday_status_id'] input",
            run: "edit Compensatory",
        },
        {
            content: "The type names the hours remaining",
            trigger:
                ".ui-autocomplete .ui-menu-item a:contains('Compensatory Time-Off (CTO) (7.5 hours remaining)')",
        },
    ],
});
