import json

from odoo import fields, models
from odoo.exceptions import UserError

from zk_rules.signing import PageSignatureError, verify_page


class ZkRelayPage(models.Model):
    """One page of events as a relay signed it: the proof a punch came from that relay unaltered.

    Accepted pages keep their signed JSON, so anyone can verify them again later with the
    relay's public key; refused pages (unsigned, forged, altered, malformed) are kept with the
    reason, and nothing of them was imported.
    """

    _name = "zk.relay.page"
    _description = "Signed Relay Page"
    _order = "id desc"
    _rec_name = "display_label"

    relay_id = fields.Many2one("zk.relay", required=True, readonly=True, index=True,
                               ondelete="cascade")
    company_id = fields.Many2one(related="relay_id.company_id", store=True)
    via = fields.Selection([("pull", "Pulled by Odoo"), ("push", "Pushed by the relay")],
                           required=True, readonly=True)
    state = fields.Selection([("accepted", "Accepted"), ("refused", "Refused")],
                             required=True, readonly=True, index=True)
    reason = fields.Selection([
        ("unsigned", "Unsigned"), ("malformed", "Malformed signature"),
        ("unknown_key", "Unknown key"), ("bad_signature", "Forged or altered"),
        ("no_key", "No key registered"), ("bad_shape", "Not a page"),
    ], readonly=True)
    message = fields.Char(readonly=True)
    store_id = fields.Char(readonly=True)
    after = fields.Integer(readonly=True)
    next_after = fields.Integer(readonly=True)
    event_count = fields.Integer(readonly=True)
    imported_count = fields.Integer(compute="_compute_imported_count",
                                    help="New punches this page brought.")
    key_id = fields.Char(readonly=True)
    signature = fields.Char(readonly=True)
    payload = fields.Text(readonly=True, help="The page exactly as parsed, signature included.")
    punch_ids = fields.One2many("zk.punch", "page_id", string="Punches")
    display_label = fields.Char(compute="_compute_display_label")

    def _compute_imported_count(self):
        counts = dict(self.env["zk.punch"]._read_group(
            [("page_id", "in", self.ids)], ["page_id"], ["__count"]))
        for page in self:
            page.imported_count = counts.get(page, 0)

    def _compute_display_label(self):
        for page in self:
            page.display_label = self.env._(
                "%(relay)s: events %(first)s-%(last)s (%(state)s)",
                relay=page.relay_id.name, first=page.after + 1, last=page.next_after,
                state=dict(self._fields["state"].selection).get(page.state))

    def write(self, vals):
        if vals:
            raise UserError(self.env._("A received page is evidence: it cannot be changed."))
        return super().write(vals)

    def action_verify_again(self):
        """Check the stored page against the relay's registered key, now."""
        self.ensure_one()
        try:
            verify_page(json.loads(self.payload or "null"), self.relay_id.public_key or "")
        except (PageSignatureError, ValueError) as exc:
            return self.relay_id._notify(self.env._("Signature does NOT verify"), str(exc),
                                         "danger")
        return self.relay_id._notify(
            self.env._("Signature verifies"),
            self.env._("This page was signed by key %(key)s of relay %(relay)s and is "
                       "unaltered.", key=self.key_id, relay=self.relay_id.name), "success")
