import json
from datetime import datetime

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL, format_date, format_datetime

from zk_rules.hashchain import entry_hash, first_broken

from .zk_day_view import hours_minutes

# Only _log() may create entries: the context key below is set there and nowhere else.
_WRITING = "zk_audit_writing"
# Keys of before/after that are for machines (shown on the Technical page only).
TECHNICAL_KEYS = {"sha256", "inputs_sha256", "hash", "fingerprint", "inputs_fingerprint",
                  "token", "key", "key_id", "punch_ids", "collapsed_punch_ids",
                  "ignored_punch_ids", "presence_in_schedule_minutes"}


class ZkAuditEntry(models.Model):
    """Immutable audit trail of manual changes, chained by hash (issue 7, C11 scheme).

    Entries are created by the system only, never written or deleted through the ORM — not
    even by the administrator — and `action_verify_chain` names the first entry an edit in
    the database broke.
    """

    _name = "zk.audit.entry"
    _description = "Attendance Audit Entry"
    _order = "seq desc"
    _rec_name = "seq"

    seq = fields.Integer(readonly=True, required=True, index=True)
    timestamp = fields.Datetime(readonly=True, required=True)
    actor_id = fields.Many2one("res.users", readonly=True, required=True, ondelete="restrict")
    company_id = fields.Many2one("res.company", readonly=True)
    action = fields.Char(readonly=True, required=True)
    model = fields.Char(readonly=True, required=True)
    res_id = fields.Integer(readonly=True)
    record_name = fields.Char(readonly=True)
    before = fields.Text(readonly=True, help="Field values before the change (JSON).")
    after = fields.Text(readonly=True, help="Field values after the change (JSON).")
    reason = fields.Text(readonly=True)
    prev_hash = fields.Char(readonly=True)
    hash = fields.Char(readonly=True)
    # What people read: the action and the record by their labels, the change as fields.
    action_label = fields.Char("Action", compute="_compute_labels")
    model_label = fields.Char("Record type", compute="_compute_labels")
    changes_html = fields.Html("Changes", compute="_compute_changes_html", sanitize=False)

    _sql_constraints = [("seq_unique", "UNIQUE(seq)", "Audit entries are numbered once.")]

    @api.depends("action", "record_name")
    def _compute_display_name(self):
        for entry in self:
            entry.display_name = f"{entry.action_label} — {entry.record_name or ''}"

    @api.depends("action", "model")
    def _compute_labels(self):
        labels = self._action_labels()
        for entry in self:
            entry.action_label = labels.get(entry.action) or (
                (entry.action or "").replace("_", " ").capitalize())
            model = self.env["ir.model"]._get(entry.model) if entry.model else None
            entry.model_label = model.name if model else (entry.model or "")

    def _action_labels(self):
        return {
            "overtime_approved": self.env._("Overtime approved"),
            "overtime_refused": self.env._("Overtime refused"),
            "overtime_to_approve": self.env._("Overtime back to approval"),
            "overtime_decision": self.env._("Overtime decision"),
            "adjustment_approved": self.env._("Adjustment approved"),
            "adjustment_refused": self.env._("Adjustment refused"),
            "recompute": self.env._("Day recomputed"),
            "mapping_change": self.env._("Biometric user mapping changed"),
            "relay_enrolled": self.env._("Relay enrolled"),
            "relay_revoked": self.env._("Relay revoked"),
            "relay_token_rotated": self.env._("Relay token rotated"),
            "relay_mode": self.env._("Relay switched between push and pull"),
            "payroll_issue": self.env._("Payroll batch issued"),
            "payroll_download": self.env._("Payroll file downloaded"),
        }

    @api.depends("model", "before", "after")
    def _compute_changes_html(self):
        for entry in self:
            entry.changes_html = entry._changes_html()

    def _changes_html(self):
        """before/after JSON as rows "field: old -> new", labelled and formatted."""
        self.ensure_one()
        before, after = _load(self.before), _load(self.after)
        if not isinstance(before, dict) or not isinstance(after, dict):
            before, after = ({"value": before} if before is not None else {},
                             {"value": after} if after is not None else {})
        keys = [k for k in dict.fromkeys([*before, *after]) if k not in TECHNICAL_KEYS]
        if not keys:
            return False
        Model = self.env[self.model] if self.model in self.env else None
        rows = []
        for key in keys:
            old = self._format_value(Model, key, before.get(key)) if key in before else ""
            new = self._format_value(Model, key, after.get(key)) if key in after else ""
            rows.append(Markup("<tr><td class='fw-bold'>%s</td><td>%s</td>"
                               "<td class='text-center'>→</td><td>%s</td></tr>")
                        % (self._field_label(Model, key), old, new))
        head = Markup("<tr><th>%s</th><th>%s</th><th></th><th>%s</th></tr>") % (
            self.env._("Field"), self.env._("Before"), self.env._("After"))
        return Markup("<table class='table table-sm o_zk_audit_changes mb-0'><thead>%s</thead>"
                      "<tbody>%s</tbody></table>") % (head, Markup("").join(rows))

    def _field_label(self, Model, key):
        if Model is not None:
            hours = key.replace("_minutes", "_hours") if key.endswith("_minutes") else \
                f"{key}_hours"
            field = Model._fields.get(hours) if hours in Model._fields else \
                Model._fields.get(key)
            if field is not None:
                return field._description_string(self.env)
        return key.replace("_", " ").capitalize()

    def _format_value(self, Model, key, value):
        """One value as a person reads it: labels, names, hours and minutes, local times."""
        env = self.env
        if value is None or value == "":
            return "—"
        field = Model._fields.get(key) if Model is not None else None
        if isinstance(value, bool):
            return env._("Yes") if value else env._("No")
        if field is not None and field.type == "selection":
            return dict(field._description_selection(env)).get(value, value)
        if field is not None and field.type == "many2one" and isinstance(value, int):
            # sudo: the name of a record this entry already names (read for display only).
            target = env[field.comodel_name].sudo().browse(value).exists()
            return target.display_name if target else f"#{value}"
        if field is not None and field.type in ("datetime", "date") and isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                return value
            if field.type == "date":
                return format_date(env, moment.date())
            return format_datetime(env, moment.replace(tzinfo=None), dt_format="short")
        if key == "exceptions" and isinstance(value, list):
            names = {e.code: e.name for e in env["zk.day.exception"].search(
                [("code", "in", value)])}
            return ", ".join(names.get(code, code) for code in value) or "—"
        if key == "intervals" and isinstance(value, list):
            return ", ".join(f"{(iv.get('start') or '?')[11:16] or '?'} → "
                             f"{(iv.get('end') or '?')[11:16] or '?'}"
                             for iv in value if isinstance(iv, dict)) or "—"
        if key == "overtime_lines" and isinstance(value, list):
            kinds = dict(env["zk.overtime.line"]._fields["kind"]._description_selection(env))
            return ", ".join(f"{kinds.get(line.get('kind'), line.get('kind'))} "
                             f"{hours_minutes(line.get('minutes'))}"
                             for line in value if isinstance(line, dict)) or "—"
        if key == "revoked_overtime" and isinstance(value, list):
            kinds = dict(env["zk.overtime.line"]._fields["kind"]._description_selection(env))
            return ", ".join(kinds.get(k, k) for k in value)
        if isinstance(value, dict):
            minutes = key.endswith("_minutes")
            parts = []
            for k, v in value.items():
                shown = hours_minutes(v) if minutes and isinstance(v, int) and \
                    not isinstance(v, bool) else self._format_value(None, k, v)
                parts.append(f"{k.replace('_', ' ')}: {shown}")
            return ", ".join(parts)
        if isinstance(value, int) and (key.endswith("minutes") or key.startswith("overtime_")):
            return hours_minutes(value)
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return str(value)

    def _payload(self):
        self.ensure_one()
        return {
            "seq": self.seq, "timestamp": fields.Datetime.to_string(self.timestamp),
            "actor": self.actor_id.id, "company": self.company_id.id or None,
            "action": self.action, "model": self.model, "res_id": self.res_id,
            "record_name": self.record_name or "", "before": self.before or "",
            "after": self.after or "", "reason": self.reason or "",
        }

    @api.model
    def _log(self, records, action, before=None, after=None, reason=None):
        """Append one entry per record. Gapless numbering under a transaction lock."""
        # Serialise writers: seq and prev_hash must follow the committed last entry.
        self.env.cr.execute(SQL("SELECT pg_advisory_xact_lock(%s)", 0x7A6B_A0D1))
        last = self.sudo().search([], order="seq desc", limit=1)  # sudo: read the chain head
        seq, prev = (last.seq, last.hash) if last else (0, "")
        entries = self.browse()
        for record in records:
            seq += 1
            values = {
                "seq": seq, "timestamp": fields.Datetime.now(), "actor_id": self.env.uid,
                "company_id": record.company_id.id if "company_id" in record else False,
                "action": action, "model": record._name, "res_id": record.id,
                "record_name": record.display_name,
                "before": _dump(before.get(record.id) if isinstance(before, dict) and
                                record.id in before else before),
                "after": _dump(after.get(record.id) if isinstance(after, dict) and
                               record.id in after else after),
                "reason": reason or False,
            }
            # sudo + sentinel: everyone's actions are audited, nobody may write entries.
            entry = self.sudo().with_context(**{_WRITING: True}).create(values)
            digest = entry_hash(prev, entry._payload())
            entry.with_context(**{_WRITING: True}).write({"prev_hash": prev, "hash": digest})
            prev = digest
            entries |= entry
        return entries

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.context.get(_WRITING):
            raise AccessError(self.env._("Audit entries are written by the system only."))
        return super().create(vals_list)

    def write(self, vals):
        if not (self.env.context.get(_WRITING) and set(vals) <= {"prev_hash", "hash"}
                and not any(self.mapped("hash"))):
            raise AccessError(self.env._("Audit entries can never be changed."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise AccessError(self.env._("Audit entries can never be deleted."))

    @api.model
    def _first_broken_seq(self):
        # sudo: verify the whole chain, which means reading all of it.
        entries = self.sudo().search([], order="seq")  # pylint: disable=no-search-all
        return first_broken((e.seq, e.prev_hash or "", e.hash or "", e._payload())
                            for e in entries)

    def action_verify_trail(self):
        """The list's button (called on the selected entries, none needed): the whole chain."""
        return self.browse().action_verify_chain()

    @api.model
    def action_verify_chain(self):
        broken = self._first_broken_seq()
        if broken is None:
            count = self.sudo().search_count([])  # sudo: count the whole chain
            title, kind = self.env._("Audit trail intact"), "success"
            message = self.env._("All %s entries match their hashes.", count)
        else:
            title, kind = self.env._("Audit trail tampered"), "danger"
            message = self.env._("Entry #%s no longer matches what was recorded: it, or an "
                                 "entry before it, was changed directly in the database. Check "
                                 "who has database access and restore it from a backup.",
                                 broken)
        return {"type": "ir.actions.client", "tag": "display_notification",
                "params": {"title": title, "message": message, "type": kind, "sticky": True}}


def _load(value):
    if not value:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return value


def _dump(value):
    if value is None or value is False:
        return False
    return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
