from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError

from .zk_day_exception import zones_differ


class HrEmployee(models.Model):
    _inherit = "hr.employee"

    zk_user_ids = fields.One2many("zk.device.user", "employee_id", string="Terminal PINs",
                                  groups="hr_attendance.group_hr_attendance_officer")
    zk_terminal_tz = fields.Char(
        string="Terminals' time zone", compute="_compute_zk_tz_warning", compute_sudo=True,
        groups="hr_attendance.group_hr_attendance_officer",
        help="The time zone of the terminals this employee is mapped on, when they agree.")
    zk_tz_warning = fields.Char(
        string="Time zone warning", compute="_compute_zk_tz_warning", compute_sudo=True,
        groups="hr_attendance.group_hr_attendance_officer")

    @api.depends("tz", "zk_user_ids.active", "zk_user_ids.device_id.timezone",
                 "zk_user_ids.device_id.name")
    def _compute_zk_tz_warning(self):
        for employee in self:
            lines = employee.zk_user_ids.filtered("active")
            zones = sorted(set(lines.device_id.mapped("timezone")))
            employee.zk_terminal_tz = zones[0] if len(zones) == 1 else False
            own = employee.tz or employee._get_tz()
            differing = lines.filtered(lambda ln, own=own: zones_differ(own, ln.device_id.timezone))
            if not differing:
                employee.zk_tz_warning = False
                continue
            terminals = ", ".join(sorted({
                f"{ln.device_id.name or ln.device_id.serial} ({ln.device_id.timezone})"
                for ln in differing}))
            employee.zk_tz_warning = self.env._(
                "This employee's time zone is %(own)s but they punch on %(terminals)s. Their "
                "punches are read in %(own)s, so check-ins, check-outs, lateness and overtime "
                "land at the wrong hours. Set the employee's time zone to the terminal's "
                "(Work Information ▸ Timezone), or correct the terminal's zone if it is the "
                "terminal that is wrong.", own=own, terminals=terminals)

    def _zk_has_default_tz(self):
        """True when nobody chose this employee's time zone, as far as Odoo 18 can tell.

        In Odoo 18 the zone of an employee (resource.resource.tz) is required, so it is never
        empty once saved: when nobody picks one, Odoo fills it in from the working hours (the
        company's working hours unless others are chosen), else from the zone of the user who
        creates the employee, else UTC. So "the default" is an empty zone or the zone of the
        company's working hours (Settings ▸ Employees ▸ Company Working Hours), or UTC when the
        company has none. Any other zone was chosen by a person and is kept.
        """
        self.ensure_one()
        company_tz = self.company_id.resource_calendar_id.tz or "UTC"
        return not self.tz or self.tz == company_tz

    def _zk_adopt_terminal_zone(self, zone, terminal, automatic=True):
        """Set the employee's zone to a terminal's one, and say so on the employee."""
        self.ensure_one()
        previous = self.tz
        # sudo: an attendance officer maps PINs without the right to edit employees; the only
        # change made here is the zone of the terminal the employee punches on, and it is
        # written down in the employee's chatter (author: the officer).
        self.sudo().tz = zone
        body = self.env._(
            "Time zone set to %(zone)s (was %(previous)s), the zone of terminal %(terminal)s "
            "where this employee punches.", zone=zone, previous=previous or "-",
            terminal=terminal.display_name)
        if automatic:
            body = self.env._("%(body)s It was the company's default zone, so the terminal's "
                              "was taken when the PIN was mapped.", body=body)
        self.sudo().message_post(body=Markup("<p>%s</p>") % body,
                                 author_id=self.env.user.partner_id.id)
        return body

    def action_zk_use_terminal_zone(self):
        """One click: the employee takes the zone of the terminals they punch on."""
        self.ensure_one()
        lines = self.sudo().zk_user_ids.filtered("active")
        zones = set(lines.device_id.mapped("timezone"))
        if len(zones) != 1:
            raise UserError(self.env._(
                "This employee is mapped on terminals in several time zones (%s): choose the "
                "employee's zone by hand under Work Information ▸ Timezone.",
                ", ".join(sorted(zones)) or "-"))
        zone = zones.pop()
        body = self._zk_adopt_terminal_zone(zone, lines[0].device_id, automatic=False)
        return _notify(self.env._("Time zone updated"), body)

    def write(self, vals):
        zones = {employee.id: employee.tz for employee in self} if "tz" in vals else {}
        result = super().write(vals)
        if vals.get("active") is False or vals.get("departure_date"):
            # Archived, or departed (a departure date in the future waits for its day or the
            # archiving): their terminal users are removed and closed, kept for history.
            today = fields.Date.context_today(self)
            self.env["zk.device.user"]._close_for_employees(self.filtered(
                lambda e: not e.active or (e.departure_date and e.departure_date <= today)))
        if zones:
            self.filtered(lambda e: e.tz != zones[e.id])._zk_reread_punches()
        return result

    def action_zk_grant_portal(self):
        """Self-service for an employee without an Odoo user: Odoo's own portal grant flow,
        for the employee's work contact (the partner the portal user gets)."""
        self.ensure_one()
        if not self.work_contact_id:
            self._create_work_contacts()
        if not self.work_contact_id.email:
            raise UserError(self.env._("Give %(name)s a work email first: the portal "
                                       "invitation is sent there.", name=self.name))
        wizard = self.env["portal.wizard"].create({"partner_ids": self.work_contact_id.ids})
        return wizard._action_open_modal()

    def _zk_reread_punches(self):
        """The zone changed: their punches are paired and their days computed again in the new
        zone (exported days stay as exported; a correction needs a reason)."""
        # sudo: the punch log is written by the system; a zone change is enough to ask for it.
        punches = self.env["zk.punch"].sudo().search(
            [("employee_id", "in", self.ids), ("state", "=", "done")])
        if not punches:
            return
        punches.write({"pairing_pending": True, "record_pending": True})
        self.env.ref("hr_zk_attendance.ir_cron_zk_compute_daily").sudo()._trigger()


def _notify(title, message, kind="success"):
    """A notification, then the form reloaded so the banner reflects the change."""
    return {"type": "ir.actions.client", "tag": "display_notification", "params": {
        "title": title, "message": message, "type": kind, "sticky": False,
        "next": {"type": "ir.actions.client", "tag": "soft_reload"}}}
