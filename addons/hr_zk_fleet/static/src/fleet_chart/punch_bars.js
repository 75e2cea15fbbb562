/** @odoo-module **/
// A small bar chart of a terminal's punches per day (last 14 days), drawn as SVG from the
// JSON field `punches_by_day`: [{day, label, count}]. The busiest day fills the height.

import { Component } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { standardFieldProps } from "@web/views/fields/standard_field_props";

const WIDTH = 210;
const HEIGHT = 36;

export class PunchBarsField extends Component {
    static template = "hr_zk_fleet.PunchBarsField";
    static props = { ...standardFieldProps };

    get days() {
        return Array.isArray(this.props.record.data[this.props.name])
            ? this.props.record.data[this.props.name]
            : [];
    }

    get total() {
        return this.days.reduce((sum, d) => sum + d.count, 0);
    }

    get bars() {
        const days = this.days;
        const max = Math.max(1, ...days.map((d) => d.count));
        const step = WIDTH / Math.max(days.length, 1);
        return days.map((d, i) => {
            const h = d.count ? Math.max(2, Math.round((d.count / max) * (HEIGHT - 2))) : 1;
            return {
                key: d.day,
                x: Math.round(i * step + 1),
                y: HEIGHT - h,
                width: Math.max(2, Math.round(step - 3)),
                height: h,
                empty: !d.count,
                title: `${d.label}: ${d.count} punches`,
            };
        });
    }

    get width() {
        return WIDTH;
    }

    get height() {
        return HEIGHT;
    }
}

registry.category("fields").add("zk_fleet_punch_bars", {
    component: PunchBarsField,
    supportedTypes: ["json"],
});
