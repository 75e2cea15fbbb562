import base64
import re
import unicodedata
from datetime import UTC, timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from zk_rules.payroll import (
    PayrollInputError,
    apply_correction,
    canonical_json,
    correction_batch,
)

# Set only by this model's own methods: the one path that may write an issued batch.
_INTERNAL = "payroll_export_internal"
# Context key: the attachment being created is a payroll file, kept out of the text index.
NO_INDEX = "payroll_export_no_index"
KINDS = [("full", "Full file"), ("correction_diff", "Correction: differences"),
         ("correction_full", "Correction: full replacement")]
MANAGER_GROUP = "hr_payroll_export.group_payroll_manager"
# What a person may set; everything else is written by the batch's own methods.
USER_FIELDS = {"company_id", "period_start", "period_end", "force_reason"}
# Daily records locked per write when a batch is issued.
LOCK_CHUNK = 2000
# The last draft batch the scheduled issue tried in its current round (0: none).
CLOSE_POSITION = "hr_payroll_export.close_position"
# Chunks of employees (payroll_export_batch_inputs.EXPORT_CHUNK) a scheduled run issues
# before it commits: a few seconds of work, so ten runs in a row stay in a worker's limits.
ISSUE_CHUNKS_PER_RUN = 1


def leave_kind(name, cto=False):
    """The payroll leave kind of an Odoo leave type: `cto`, or its name as [a-z][a-z0-9_]*."""
    if cto:
        return "cto"
    text = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    if not slug or not slug[0].isalpha():
        slug = f"leave_{slug}".rstrip("_")
    return slug


def period_label(start, end):
    """1-15 Mar 2025; 26 Feb - 10 Mar 2025; 20 Dec 2024 - 5 Jan 2025."""
    if not start or not end:
        return ""
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}-{end.day} {end:%b %Y}"
    if start.year == end.year:
        return f"{start.day} {start:%b} - {end.day} {end:%b %Y}"
    return f"{start.day} {start:%b %Y} - {end.day} {end:%b %Y}"


def employee_code(employee):
    """The payroll key: registration number (when a module adds it), else the badge."""
    registration = employee["registration_number"] \
        if "registration_number" in employee._fields else False
    return registration or employee.barcode or f"#{employee.id}"


class PayrollExportBatch(models.Model):
    """One payroll file of a company and pay period (issue 9, layout zk-payroll-csv/1).

    An issued batch keeps its bytes and their SHA-256 forever; a correction is a new batch
    that supersedes it. The bytes come from ``zk_rules.payroll`` only.
    """

    _name = "payroll.export.batch"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Payroll Export Batch"
    _order = "period_start desc, company_id, id desc"

    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one("res.company", required=True, index=True,
                                 default=lambda self: self.env.company)
    period_start = fields.Date(required=True, index=True)
    period_end = fields.Date(required=True)
    state = fields.Selection([("draft", "To issue"), ("issued", "Issued")], default="draft",
                             required=True, readonly=True, index=True, tracking=True)
    kind = fields.Selection(KINDS, default="full", required=True, readonly=True)
    supersedes_id = fields.Many2one("payroll.export.batch", readonly=True,
                                    ondelete="restrict", index=True)
    superseded_by_ids = fields.One2many("payroll.export.batch", "supersedes_id",
                                        "Superseded by", readonly=True)
    superseded = fields.Boolean(compute="_compute_superseded", store=True)
    # Nobody reads the file through the ORM, RPC or /web/content (the group holds nobody): it
    # is served by /payroll_export/download/<id> only, which logs every download (issue 9).
    file = fields.Binary(attachment=True, readonly=True, copy=False,
                         groups="hr_payroll_export.group_payroll_file_unlogged")
    filename = fields.Char(readonly=True, copy=False)
    sha256 = fields.Char("File SHA-256", readonly=True, copy=False)
    inputs_sha256 = fields.Char("Inputs SHA-256", readonly=True, copy=False)
    supersedes_sha256 = fields.Char("Supersedes file SHA-256", readonly=True, copy=False)
    config_json = fields.Text("Layout settings", readonly=True, copy=False)
    row_count = fields.Integer("Rows", readonly=True, copy=False)
    blocking_reasons = fields.Text(readonly=True, copy=False,
                                   help="Why the last attempt was refused: what to do first.")
    blocked_count = fields.Integer("Blocking days", readonly=True, copy=False)
    forced = fields.Boolean(readonly=True, copy=False)
    force_reason = fields.Text(copy=False, help="A manager's reason to export although days "
                               "are provisional or overtime waits for approval.")
    issued_at = fields.Datetime(readonly=True, copy=False)
    issued_by = fields.Many2one("res.users", readonly=True, copy=False)
    download_ids = fields.One2many("payroll.export.download", "batch_id", readonly=True)
    issue_progress = fields.Char(compute="_compute_issue_progress",
                                 help="How far the scheduled job has come with this issue.")
    check_progress = fields.Char(compute="_compute_check_progress",
                                 help="How far the checks running in the background have come.")

    _sql_constraints = [("supersedes_unique", "UNIQUE(supersedes_id)",
                         "A batch is superseded by one correction at most; correct the latest.")]

    @api.depends("company_id", "period_start", "period_end", "kind")
    def _compute_name(self):
        for batch in self:
            period = period_label(batch.period_start, batch.period_end)
            label = f"{batch.company_id.name or ''}, {period}"
            kinds = dict(self._fields["kind"]._description_selection(self.env))
            batch.name = label if batch.kind == "full" \
                else f"{label} ({kinds.get(batch.kind, batch.kind)})"

    @api.depends("superseded_by_ids.state")
    def _compute_superseded(self):
        for batch in self:
            batch.superseded = any(b.state == "issued" for b in batch.superseded_by_ids)

    def _compute_issue_progress(self):
        for batch in self:
            parts = batch._parts() if batch.state == "draft" and batch.id else None
            if not parts:
                batch.issue_progress = False
                continue
            locked = len(parts.filtered("days_locked"))
            if locked:
                batch.issue_progress = self.env._(
                    "Being issued by the scheduled job: every employee is written; the days "
                    "of %(locked)s of %(total)s groups of employees are locked. The file "
                    "appears here when it is done.", locked=locked, total=len(parts))
            else:
                batch.issue_progress = self.env._(
                    "Being issued by the scheduled job: %(count)s employee(s) written so far. "
                    "It goes on by itself; the file appears here when it is done.",
                    count=f"{sum(parts.mapped('employee_count')):,}")

    def _compute_check_progress(self):
        Check = self.env["payroll.export.check"]
        for batch in self:
            checks = Check._under_way(batch) if batch.id else Check
            batch.check_progress = " ".join(check._progress() for check in checks) or False

    @api.constrains("company_id", "period_start", "period_end", "supersedes_id")
    def _check_period(self):
        for batch in self:
            if batch.supersedes_id:
                old = batch.supersedes_id
                if (old.company_id, old.period_start, old.period_end) != (
                        batch.company_id, batch.period_start, batch.period_end):
                    raise ValidationError(self.env._(
                        "A correction is for the company and period it supersedes."))
                continue
            policy = batch.company_id._payroll_period_policy()
            period = policy.period_containing(batch.period_start)
            if (period.start, period.end) != (batch.period_start, batch.period_end):
                raise ValidationError(self.env._(
                    "%(start)s..%(end)s is not a pay period of %(company)s (%(period)s is).",
                    start=batch.period_start, end=batch.period_end,
                    company=batch.company_id.name, period=period.label))
            if self.search_count([("company_id", "=", batch.company_id.id),
                                  ("period_start", "=", batch.period_start),
                                  ("supersedes_id", "=", False), ("id", "!=", batch.id)]):
                raise ValidationError(self.env._(
                    "%(company)s already has a batch for %(start)s..%(end)s; issue a "
                    "correction of it instead.", company=batch.company_id.name,
                    start=batch.period_start, end=batch.period_end))

    # ------------------------------------------------------------------ immutability
    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.context.get(_INTERNAL):
            for vals in vals_list:
                if set(vals) - USER_FIELDS:
                    raise AccessError(self.env._(
                        "A payroll batch is created with its company and period only; the "
                        "file, its hashes and corrections come from the batch's actions."))
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.context.get(_INTERNAL):
            if any(b.state == "issued" for b in self):
                raise UserError(self.env._("An issued payroll batch never changes; issue a "
                                           "correction instead."))
            if set(vals) - USER_FIELDS:
                raise AccessError(self.env._(
                    "The state, file and hashes of a payroll batch are written by its "
                    "actions only."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_issued(self):
        if any(b.state == "issued" for b in self):
            raise UserError(self.env._("An issued payroll batch can never be deleted."))

    def _internal(self):
        return self.with_context(**{_INTERNAL: True})

    def _content(self):
        """The stored bytes of this batch, for the addon's own code (never handed out here)."""
        self.ensure_one()
        # sudo: the file field is readable by no group (see its definition); access to the
        # batch itself was checked by the caller's read of `self`.
        self.check_access("read")
        return base64.b64decode(self.sudo().file or b"")

    def _file_attachment(self):
        # sudo: as in _content.
        self.check_access("read")
        return self.env["ir.attachment"].sudo().search([
            ("res_model", "=", self._name), ("res_field", "=", "file"),
            ("res_id", "=", self.id)], limit=1)

    def _file_slice(self, offset, size):
        """`size` bytes of the stored file from `offset`, read from the file store without
        loading the rest (a check walks a big file a chunk at a time)."""
        self.ensure_one()
        attachment = self._file_attachment()
        if attachment.store_fname:
            with open(attachment._full_path(attachment.store_fname), "rb") as handle:
                handle.seek(offset)
                return handle.read(size)
        return (attachment.raw or b"")[offset:offset + size]

    def _file_size(self):
        self.ensure_one()
        return self._file_attachment().file_size

    def _effective_content(self):
        """The full file in force after this batch (its diffs applied to what it corrects)."""
        self.ensure_one()
        content = self._content()
        if self.kind != "correction_diff":
            return content
        return apply_correction(self.supersedes_id._effective_content(), content,
                                self._layout())

    # ------------------------------------------------------------------ generation
    def _generate(self, force_reason=None, raise_blocked=True):
        """Build and issue this draft batch at once; False (reasons stored) while days block it."""
        return self._issue_step(force_reason, raise_blocked)[0] == "issued"

    def _issue_step(self, force_reason=None, raise_blocked=True, chunks=None):
        """One step of issuing this draft: (state, employees written now, steps left), state
        "issued", "blocked" or "more" (steps are left).

        A first issue goes in three phases, `chunks` chunks of employees a step (None: all
        at once): each chunk rendered and stored as a part; then, unless days block it, the
        days of each part locked (and what other addons hang on the lock); then the file
        written from the parts. The scheduled job commits after each step, so a killed run
        goes on after its last step, and the memory is that of one chunk, never of the
        company. A correction compares rows with the issued file and builds at once."""
        self.ensure_one()
        if self.state != "draft":
            raise UserError(self.env._("This batch is already issued."))
        if self.supersedes_id:
            full, blocked, records = self._build()
            if not self._may_issue(blocked, force_reason, raise_blocked):
                return "blocked", 0, 0
            self._lock_days(records)
            self._store_issued(full, blocked, force_reason)
            return "issued", 0, 0
        try:
            written, left = self._write_parts(chunks)
            if left:
                return "more", written, left
            parts = self._parts()
            blocked = sorted(parts._blocked(), key=lambda b: (b.employee_code, b.work_date))
            if not self._may_issue(blocked, force_reason, raise_blocked, parts):
                return "blocked", written, 0
            left = self._lock_parts(chunks)
            if left:
                return "more", written, left
            full = self._assemble_parts()
        except PayrollInputError as error:
            raise UserError(self.env._("The payroll file cannot be built: %s", error)) \
                from error
        self._store_issued(full, blocked, force_reason)
        self._parts().unlink()
        return "issued", written, 0

    def _may_issue(self, blocked, force_reason=None, raise_blocked=True, parts=None):
        """Whether the batch may be issued with these blocking days: yes without any, or with a
        manager's reason. Otherwise the reasons are stored (and raised when asked) and the
        parts dropped: the days will change before the next try."""
        if not blocked or force_reason:
            return True
        lines = [f"{b.employee_code} {b.employee_name} {b.work_date}: {b.reason}"
                 for b in blocked]
        self._internal().write({"blocking_reasons": "\n".join(lines),
                                "blocked_count": len(blocked)})
        if parts:
            parts.unlink()
        if raise_blocked:
            raise UserError(self.env._(
                "The period %(period)s cannot be exported yet; resolve these days first "
                "(or a payroll manager forces it with a reason):\n%(lines)s",
                period=self._period().label, lines="\n".join(lines)))
        return False

    def _lock_days(self, records):
        """Exported days change only by audited correction from now on."""
        # sudo: exported days are locked by the system, whoever issues.
        for start in range(0, len(records), LOCK_CHUNK):
            records[start:start + LOCK_CHUNK].sudo().write({"locked": True})
            self.env.flush_all()
            records[start:start + LOCK_CHUNK].invalidate_recordset()

    def _store_issued(self, full, blocked, force_reason=None):
        """Store the built batch (a correction: its differences with the file it corrects)
        as issued, with its hashes, and tell the audit trail."""
        kind, batch = "full", full
        if self.supersedes_id:
            mode = self.company_id.payroll_correction_mode or "diff"
            batch = correction_batch(self.supersedes_id._effective_content(), full, mode)
            kind = batch.kind
        name = batch.filename()
        self._store_file(batch.content)
        self._internal().write({
            "state": "issued", "kind": kind, "filename": name, "sha256": batch.sha256,
            "inputs_sha256": batch.inputs_sha256,
            "supersedes_sha256": batch.supersedes_sha256 or False,
            "config_json": canonical_json(_config_dict(batch.config)),
            "row_count": batch.row_count, "blocking_reasons": "\n".join(
                f"{b.employee_code} {b.work_date}: {b.reason}" for b in blocked) or False,
            "blocked_count": len(blocked), "forced": bool(blocked), "issued_at":
            fields.Datetime.now(), "issued_by": self.env.uid,
        })
        self._close_officer_activities()
        self.env["zk.audit.entry"]._log(
            self, "payroll_issue", after={"sha256": batch.sha256, "kind": kind,
                                          "inputs_sha256": batch.inputs_sha256,
                                          "rows": batch.row_count,
                                          "forced_days": len(blocked)},
            reason=force_reason if blocked else None)

    def _store_file(self, content):
        """The file as the attachment of the `file` field, written from its bytes: no base64
        copy and no type guessing (each a copy of the file in memory), and no text index (the
        payroll rows stay out of ir_attachment's index_content column)."""
        self.ensure_one()
        # sudo: the file's attachment is writable by no group; this is the one path that
        # stores it (an issued batch never changes: there is no earlier file to replace).
        self.env["ir.attachment"].sudo().with_context(**{NO_INDEX: True}).create({
            "name": "file", "res_model": self._name, "res_field": "file", "res_id": self.id,
            "type": "binary", "raw": content, "mimetype": "text/csv"})
        self.invalidate_recordset(["file"])

    def action_generate(self):
        for batch in self:
            batch._generate()
        return True

    def action_force_generate(self):
        """A payroll manager issues despite blocking days; the reason goes to the audit."""
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._("Only payroll managers can force an export."))
        for batch in self:
            reason = (batch.force_reason or "").strip()
            if not reason:
                raise UserError(self.env._("Forcing an export needs a reason."))
            batch._generate(force_reason=reason)
        return True

    def action_correct(self):
        """A correction of this issued batch from today's data (diff or full, per setting).

        While days block it, the correction stays a draft listing them (a payroll manager may
        force it; the scheduled action tries it again at each run)."""
        self.ensure_one()
        pending = self.superseded_by_ids.filtered(lambda b: b.state == "draft")
        if self.state != "issued" or (self.superseded_by_ids and not pending):
            raise UserError(self.env._("Only the latest issued batch of a period is "
                                       "corrected."))
        correction = pending or self._internal().create({
            "company_id": self.company_id.id, "period_start": self.period_start,
            "period_end": self.period_end, "supersedes_id": self.id})
        correction.with_context(**{_INTERNAL: False})._generate(raise_blocked=False)
        return {"type": "ir.actions.act_window", "res_model": self._name,
                "res_id": correction.id, "view_mode": "form"}

    def action_download(self):
        """Open the logged download route (the only way to the file)."""
        self.ensure_one()
        if self.state != "issued":
            raise UserError(self.env._("Only issued batches are downloaded."))
        self.check_access("read")
        return {"type": "ir.actions.act_url", "target": "self",
                "url": f"/payroll_export/download/{self.id}"}

    def _download(self):
        """The issued file's bytes, logged (download log and audit trail) in the same
        transaction as the response that carries them."""
        self.ensure_one()
        if self.state != "issued":
            raise UserError(self.env._("Only issued batches are downloaded."))
        content = self._content()
        self.env["payroll.export.download"]._log(self)
        self.env["zk.audit.entry"]._log(self, "payroll_download",
                                        after={"sha256": self.sha256})
        return content

    def _rebuilt_content(self):
        """The bytes this batch would have if generated now from the current data."""
        self.ensure_one()
        full, _blocked, _records = self._build(stream=not self.supersedes_id)
        if not self.supersedes_id:
            return full.content
        mode = "diff" if self.kind == "correction_diff" else "full"
        return correction_batch(self.supersedes_id._effective_content(), full, mode).content

    def _reproducible_message(self, same):
        return (self.env._("Generated again from today's data: the same bytes.") if same
                else self.env._("Today's data gives another file: issue a correction."))

    def action_check_reproducible(self):
        """Today's data against the issued file: at once, or for a big full file in the
        background (payroll.export.check), its result then posted in the messages."""
        self.ensure_one()
        if self.state != "issued":
            raise UserError(self.env._("Only issued batches are checked."))
        if not self.supersedes_id:
            check = self.env["payroll.export.check"]._in_background(self, "reproducible")
            if check:
                return check._started_notification()
        same = self._rebuilt_content() == self._content()
        return {"type": "ir.actions.client", "tag": "display_notification",
                "params": {"title": self.name, "message": self._reproducible_message(same),
                           "type": "success" if same else "warning", "sticky": True}}

    def _post_check_result(self, result, user):
        """A background check's (ok, message) in the batch's messages, addressed to the
        person who asked for it."""
        _ok, message = result
        if message:
            body = Markup("<p>%s</p>%s") % (
                self.env._("Checked in the background, as %(user)s asked:", user=user.name),
                message)
            self._internal().message_post(body=body, partner_ids=user.partner_id.ids,
                                          subtype_xmlid="mail.mt_note")

    # ------------------------------------------------------------------ scheduled
    @api.model
    def _cron_close_periods(self, now=None):
        """Create the draft batch of every period that closed since the last run, then take
        one step of one draft per run: a chunk of its employees, or the file once every chunk
        is stored (Odoo's batch cron API runs it again at once while steps remain, each run
        its own commit): a killed run goes on after the last chunk it committed. A blocked
        period stays a draft batch with its reasons and is tried again next round."""
        now = now or fields.Datetime.now()
        until = now.replace(tzinfo=UTC)
        companies = self.env["res.company"].search([("payroll_export_auto", "=", True)])
        for company in companies:
            last = company.payroll_last_close_check or (now - timedelta(days=1))
            for period in company._payroll_period_policy().closed_between(
                    last.replace(tzinfo=UTC), until):
                if not self.search_count([("company_id", "=", company.id),
                                          ("period_start", "=", period.start),
                                          ("supersedes_id", "=", False)]):
                    self.create({"company_id": company.id, "period_start": period.start,
                                 "period_end": period.end})
            company.payroll_last_close_check = now
        # sudo: the round's position is the scheduled job's own bookkeeping.
        params = self.env["ir.config_parameter"].sudo()
        after = int(params.get_param(CLOSE_POSITION) or 0)
        domain = [("company_id", "in", companies.ids), ("state", "=", "draft")]
        batch = self.search([*domain, ("id", ">", after)], order="id", limit=1)
        state, left = "blocked", 0
        if batch:
            try:
                with self.env.cr.savepoint():
                    state, _written, left = batch._issue_step(raise_blocked=False,
                                                              chunks=ISSUE_CHUNKS_PER_RUN)
            except UserError as error:
                batch._internal().write({"blocking_reasons": str(error)})
            if state == "blocked":
                batch._schedule_officer_activities()
        # A batch with chunks left is tried again next run (the position stays before it).
        others = self.search_count([*domain, ("id", ">", batch.id)]) if batch else 0
        steps_left = others + (left if state == "more" else 0)
        position = after if state == "more" else batch.id
        params.set_param(CLOSE_POSITION, str(position) if steps_left else "0")
        self.env.flush_all()
        self.env.invalidate_all()
        self.env["ir.cron"]._notify_progress(done=len(batch), remaining=steps_left)
        return steps_left


def _config_dict(config):
    return {"granularity": config.granularity, "separator": config.separator,
            "unit": config.unit, "decimals": config.decimals,
            "leave_kinds": list(config.leave_kinds)}
