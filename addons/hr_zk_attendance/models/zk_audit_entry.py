import json

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from zk_rules.hashchain import entry_hash, first_broken

# Only _log() may create entries: the context key below is set there and nowhere else.
_WRITING = "zk_audit_writing"


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

    _sql_constraints = [("seq_unique", "UNIQUE(seq)", "Audit entries are numbered once.")]

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

    @api.model
    def action_verify_chain(self):
        broken = self._first_broken_seq()
        if broken is None:
            count = self.sudo().search_count([])  # sudo: count the whole chain
            title, kind = self.env._("Audit trail intact"), "success"
            message = self.env._("All %s entries match their hashes.", count)
        else:
            title, kind = self.env._("Audit trail TAMPERED"), "danger"
            message = self.env._("Entry #%s does not match its hash: it or an entry before "
                                 "it was changed in the database.", broken)
        return {"type": "ir.actions.client", "tag": "display_notification",
                "params": {"title": title, "message": message, "type": kind, "sticky": True}}


def _dump(value):
    if value is None or value is False:
        return False
    return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
