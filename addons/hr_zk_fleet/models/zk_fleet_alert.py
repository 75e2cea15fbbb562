import logging

from odoo import api, fields, models
from odoo.tools import SQL

from zk_rules import fleet_alerts as fa

_logger = logging.getLogger(__name__)

PROBLEMS = [(code, title) for code, title in fa.TITLES.items()]


class ZkFleetAlert(models.Model):
    """One problem of one terminal or relay, open while it lasts (issue 17).

    At most one open alert per (record, problem): a partial unique index holds it. Opening
    one gives the responsible user an activity and posts on the record's chatter; a
    condition that clears closes its alert and marks the activity done ("Resolved: ...").
    A report (log cleared, page refused, gaps found...) stays open until a person marks its
    activity done: that acknowledges every report up to its mark."""

    _name = "zk.fleet.alert"
    _description = "Terminal or relay alert"
    _order = "closed_at desc nulls first, opened_at desc, id desc"
    _rec_name = "problem"

    device_id = fields.Many2one("zk.device", string="Terminal", ondelete="cascade", index=True,
                                readonly=True)
    relay_id = fields.Many2one("zk.relay", ondelete="cascade", index=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    problem = fields.Selection(PROBLEMS, required=True, readonly=True)
    detail = fields.Text(readonly=True, help="What happened and what to check.")
    state = fields.Selection(
        [("open", "Open"), ("resolved", "Resolved"), ("acknowledged", "Acknowledged")],
        default="open", required=True, readonly=True, index=True,
        help="Resolved: the condition cleared by itself. Acknowledged: a person marked the "
        "activity done.")
    mark = fields.Integer(readonly=True, help="Highest report (event, page, day revision) "
                          "this alert covers; acknowledging it acknowledges these.")
    opened_at = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
    closed_at = fields.Datetime(readonly=True)
    user_id = fields.Many2one("res.users", string="Responsible", readonly=True)
    activity_id = fields.Many2one("mail.activity", readonly=True, ondelete="set null")
    record_name = fields.Char(string="Terminal or relay", compute="_compute_record_name")

    _sql_constraints = [
        ("one_record", "CHECK ((device_id IS NULL) <> (relay_id IS NULL))",
         "An alert belongs to one terminal or one relay."),
    ]

    def init(self):
        # partial unique indexes: one OPEN alert per (record, problem); closed ones pile up
        for column in ("device_id", "relay_id"):
            self.env.cr.execute(SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS %s ON zk_fleet_alert (%s, problem)"
                " WHERE state = 'open' AND %s IS NOT NULL",
                SQL.identifier(f"zk_fleet_alert_open_{column}"), SQL.identifier(column),
                SQL.identifier(column)))

    @api.depends("device_id", "relay_id")
    def _compute_record_name(self):
        for alert in self:
            alert.record_name = (alert.device_id or alert.relay_id).display_name

    def _problem_title(self):
        self.ensure_one()
        return dict(PROBLEMS)[self.problem]

    def _record(self):
        self.ensure_one()
        return self.device_id or self.relay_id

    # ------------------------------------------------------------------ syncing
    @api.model
    def _sync(self, record, problems, user):
        """Open, update and close the alerts of `record` (a zk.device or zk.relay) so that
        exactly the problems in `problems` ({code: fa.Problem}) are open."""
        column = "device_id" if record._name == "zk.device" else "relay_id"
        open_alerts = self.search([(column, "=", record.id), ("state", "=", "open")])
        by_code = {alert.problem: alert for alert in open_alerts}
        for code, problem in problems.items():
            alert = by_code.get(code)
            if alert:
                if (alert.detail, alert.mark) != (problem.sentence, problem.mark):
                    alert.write({"detail": problem.sentence, "mark": problem.mark})
                    if alert.activity_id:
                        alert.activity_id.note = problem.sentence
                continue
            self._open(record, column, problem, user)
        for code, alert in by_code.items():
            if code not in problems and code not in fa.REPORTS:
                alert._close("resolved")

    @api.model
    def _open(self, record, column, problem, user):
        alert = self.create({
            column: record.id, "company_id": record.company_id.id, "problem": problem.code,
            "detail": problem.sentence, "mark": problem.mark, "user_id": user.id,
        })
        if user:
            alert.activity_id = record.activity_schedule(
                "mail.mail_activity_data_todo", user_id=user.id,
                summary=problem.title, note=problem.sentence)
        record.message_post(
            body=self.env._("Alert: %(title)s. %(detail)s", title=problem.title,
                   detail=problem.sentence),
            subtype_xmlid="mail.mt_note")
        _logger.info("fleet alert opened: %s %s on %s", problem.code, record._name, record.id)
        return alert

    def _close(self, state):
        for alert in self:
            title = dict(PROBLEMS)[alert.problem]
            activity = alert.activity_id
            alert.write({"state": state, "closed_at": fields.Datetime.now(),
                         "activity_id": False})
            if state != "resolved":
                continue
            message = self.env._("Resolved: %(title)s.", title=title)
            if activity.exists():
                activity.action_feedback(feedback=message)
            else:
                alert._record().message_post(body=message, subtype_xmlid="mail.mt_note")

    def _activity_done(self):
        """A person marked the alert's activity done: a report is acknowledged (closed), a
        condition stays open without a new activity until it clears (no flood)."""
        for alert in self.filtered(lambda a: a.state == "open"):
            if alert.problem in fa.REPORTS:
                alert._close("acknowledged")
            else:
                alert.activity_id = False

    @api.model
    def _acknowledged(self, column, record_id):
        """{problem: highest mark a person acknowledged} for a record."""
        rows = self._read_group([(column, "=", record_id), ("state", "=", "acknowledged")],
                                ["problem"], ["mark:max"])
        return dict(rows)

    def action_open_record(self):
        self.ensure_one()
        record = self._record()
        return {"type": "ir.actions.act_window", "res_model": record._name,
                "res_id": record.id, "view_mode": "form", "views": [(False, "form")]}

    # ------------------------------------------------------------------ cron
    @api.model
    def _cron_evaluate(self):
        """Evaluate every active terminal and relay of every company."""
        # sudo: the cron runs as the scheduler's user; alerts are for every company
        self.env["zk.relay"].sudo().search([("active", "=", True)])._fleet_evaluate_alerts()
        self.env["zk.device"].sudo().search([("active", "=", True)])._fleet_evaluate_alerts()
