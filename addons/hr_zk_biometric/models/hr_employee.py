from odoo import api, fields, models

GROUP = "hr_zk_biometric.group_zk_biometric"
MEMBERSHIP_FIELDS = {"zk_bio_terminal_mode", "zk_bio_device_ids", "work_location_id",
                     "company_id"}


class HrEmployee(models.Model):
    _inherit = "hr.employee"

    zk_bio_terminal_mode = fields.Selection(
        [("branch", "All terminals of the work location"), ("custom", "Chosen terminals")],
        string="Biometric terminals", default="branch", required=True, groups=GROUP,
        help="Where this employee's fingerprints and face are copied. All terminals of the "
        "work location (all of the company's when no work location is set), or a choice.")
    zk_bio_device_ids = fields.Many2many("zk.device", string="Chosen terminals", groups=GROUP)
    zk_bio_effective_device_ids = fields.Many2many(
        "zk.device", string="Terminals", compute="_compute_zk_bio_effective", groups=GROUP)
    zk_bio_sync_ids = fields.One2many("zk.biometric.sync", "employee_id", groups=GROUP,
                                      string="Sync state per terminal")
    zk_bio_template_ids = fields.One2many("zk.biometric.template", "employee_id",
                                          groups=GROUP, string="Templates")
    zk_bio_erasure_ids = fields.One2many("zk.biometric.erasure", "employee_id", groups=GROUP,
                                         string="Erasures")
    zk_bio_erasure_line_ids = fields.One2many(
        "zk.biometric.erasure.line", "employee_id", groups=GROUP,
        string="Erasure on each terminal")
    zk_bio_erasure_open = fields.Boolean(compute="_compute_zk_bio_erasure_open", groups=GROUP)
    zk_bio_erasure_open_line_ids = fields.Many2many(
        "zk.biometric.erasure.line", compute="_compute_zk_bio_erasure_open", groups=GROUP,
        string="Erasure waiting on")
    zk_bio_off_message = fields.Char(compute="_compute_zk_bio_off_message", groups=GROUP)
    zk_bio_sync_count = fields.Integer(compute="_compute_zk_bio_counts", groups=GROUP)
    zk_bio_failed_count = fields.Integer(compute="_compute_zk_bio_counts", groups=GROUP)

    @api.depends("zk_bio_terminal_mode", "zk_bio_device_ids", "work_location_id")
    def _compute_zk_bio_effective(self):
        for employee in self:
            employee.zk_bio_effective_device_ids = employee._zk_bio_devices()

    @api.depends("zk_bio_erasure_ids.state")
    def _compute_zk_bio_erasure_open(self):
        for employee in self:
            open_erasures = employee.zk_bio_erasure_ids.filtered(lambda e: e.state != "done")
            employee.zk_bio_erasure_open = bool(open_erasures)
            employee.zk_bio_erasure_open_line_ids = open_erasures.line_ids

    def _compute_zk_bio_off_message(self):
        message = self.env["zk.biometric.sealed"]._zk_off_message()
        for employee in self:
            employee.zk_bio_off_message = message

    @api.depends("zk_bio_sync_ids.state")
    def _compute_zk_bio_counts(self):
        for employee in self:
            employee.zk_bio_sync_count = len(employee.zk_bio_sync_ids)
            employee.zk_bio_failed_count = len(employee.zk_bio_sync_ids.filtered(
                lambda c: c.state == "failed"))

    # ------------------------------------------------------------------ membership
    def _zk_bio_devices(self):
        """The terminals this employee's biometric data belongs on."""
        self.ensure_one()
        # sudo: membership is computed for the system's copies; it reads terminals only.
        employee = self.sudo()
        if employee.zk_bio_terminal_mode == "custom":
            return employee.zk_bio_device_ids.filtered(lambda d: d.state == "active")
        domain = [("company_id", "=", employee.company_id.id), ("state", "=", "active")]
        if employee.work_location_id:
            domain.append(("work_location_id", "=", employee.work_location_id.id))
        return self.env["zk.device"].sudo().search(domain)

    def _zk_bio_pin(self, device):
        """The employee's PIN on this terminal, else the PIN they have elsewhere."""
        self.ensure_one()
        # sudo: the registry of PINs is read to address commands.
        mappings = self.env["zk.device.user"].sudo().search(
            [("employee_id", "=", self.id)], order="id")
        here = mappings.filtered(lambda m: m.device_id == device)
        return (here or mappings)[:1].pin or False

    def _zk_bio_reconcile(self):
        """Membership changed or a template arrived: new terminals get pending cells (and a
        PIN mapping), terminals left get an erasure."""
        if not self.env["zk.biometric.sealed"]._zk_key():
            return  # biometric sync is off: nothing is copied
        Sync = self.env["zk.biometric.sync"].sudo()
        for employee in self:
            if not employee.active:
                continue
            cells = Sync.search([("employee_id", "=", employee.id)])
            if not cells and not employee.sudo().zk_bio_template_ids:
                continue  # no biometric enrolment: nothing to copy
            devices = employee._zk_bio_devices()
            known = self.env["zk.device.user"].sudo().search([("employee_id", "=", employee.id)])
            for device in devices - known.device_id:
                pin = employee._zk_bio_pin(device)
                if pin:
                    self.env["zk.device.user"].sudo().create(
                        {"device_id": device.id, "pin": pin, "employee_id": employee.id})
            Sync._zk_plan(employee, devices)
            left = (cells.device_id | known.filtered("active").device_id) - devices
            if left:
                employee._zk_bio_erase("left_terminal", left)

    # ------------------------------------------------------------------ erasure
    def action_zk_bio_erase(self):
        """Button "Erase biometric data" (confirmed in the form)."""
        for employee in self:
            employee._zk_bio_erase("request")
        return True

    def _zk_bio_erase(self, reason, devices=None):
        """user_erase on every terminal (or these), templates and photos deleted in Odoo
        unless only some terminals are left, and an erasure record to follow."""
        self.ensure_one()
        # sudo: erasure is done by the system for whoever triggers it (archiving, the
        # departure date, the group's button); every step is written to the audit trail.
        employee = self.sudo()
        mappings = self.env["zk.device.user"].sudo().with_context(active_test=False).search(
            [("employee_id", "=", employee.id)])
        cells = employee.zk_bio_sync_ids
        everywhere = devices is None
        targets = (cells.device_id | mappings.device_id) if everywhere else devices
        deleted = ""
        cells.filtered(lambda c: c.device_id in targets).unlink()
        if everywhere:
            templates = employee.zk_bio_template_ids
            photos = self.env["zk.punch.photo"].sudo().search(
                [("employee_id", "=", employee.id)])
            deleted = self.env._("%(templates)s template(s), %(photos)s photo(s)",
                                 templates=len(templates), photos=len(photos))
            templates.unlink()
            photos.unlink()
        if not targets and not deleted:
            return self.env["zk.biometric.erasure"]
        erasure = self.env["zk.biometric.erasure"].sudo().create({
            "employee_id": employee.id, "company_id": employee.company_id.id,
            "requested_by": self.env.uid, "requested_at": fields.Datetime.now(),
            "reason": reason, "odoo_deleted": deleted or False,
            "line_ids": [(0, 0, {"device_id": device.id,
                                 "pin": (mappings.filtered(lambda m, d=device: m.device_id == d)
                                         [:1].pin or employee._zk_bio_pin(device))})
                         for device in targets],
        })
        self.env["zk.audit.entry"]._log(erasure, "biometric_erase_requested", after={
            "reason": reason, "terminals": targets.mapped("serial"),
            "deleted_in_odoo": deleted or False})
        erasure.line_ids._zk_send()
        erasure._zk_check_done()
        return erasure

    def write(self, vals):
        result = super().write(vals)
        if vals.get("active") is False or vals.get("departure_date"):
            today = fields.Date.context_today(self)
            for employee in self.filtered(lambda e: not e.active or (
                    e.departure_date and e.departure_date <= today)):
                employee._zk_bio_erase_if_enrolled()
        elif MEMBERSHIP_FIELDS & set(vals):
            self._zk_bio_reconcile()
        return result

    def _zk_bio_erase_if_enrolled(self):
        self.ensure_one()
        employee = self.sudo()
        open_erasure = employee.zk_bio_erasure_ids.filtered(
            lambda e: e.reason in ("departure", "request") and e.state != "done")
        if (employee.zk_bio_template_ids or employee.zk_bio_sync_ids) and not open_erasure:
            self._zk_bio_erase("departure")

    @api.model
    def _cron_zk_bio_departures(self):
        """Departure dates reached: the employee's biometric data is erased everywhere."""
        today = fields.Date.context_today(self)
        employees = self.sudo().with_context(active_test=False).search(
            [("departure_date", "<=", today), "|", ("zk_bio_template_ids", "!=", False),
             ("zk_bio_sync_ids", "!=", False)])
        for employee in employees:
            employee._zk_bio_erase_if_enrolled()
        return employees
