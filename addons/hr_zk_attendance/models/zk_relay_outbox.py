import json
from datetime import timedelta

from odoo import api, fields, models

from zk_rules.biometric_sync import command_outcome, item_label

from ..lib.relay_client import RelayError

OUTBOX_STATES = [("waiting", "Waiting for the relay"), ("taken", "On the relay"),
                 ("done", "Done"), ("failed", "Failed"), ("refused", "Refused by the relay")]
RELAY_CLOSED = ("done", "failed", "timed_out", "refused")
HAND_OUT = 50
KEEP_CLOSED_DAYS = 30  # closed commands are deleted after this (their result was followed)
# The relay refuses a template the terminal could not use for the reason the terminal itself
# would answer -30 (algorithm version mismatch): the cell shows "Not compatible" either way.
NOT_COMPATIBLE_CODE = -30


class OutboxClient:
    """The command part of the relay's API for a relay Odoo cannot reach (push mode, no URL):
    commands wait in zk.relay.outbox until the relay fetches them (POST /zk/relay/commands)
    and report back there. Same calls and answers as RelayClient / BiometricClient, so the
    user registry, the sync table and erasures work the same with either."""

    def __init__(self, relay):
        # sudo: the outbox is the system's bookkeeping; who may queue was decided by the caller.
        self.relay = relay.sudo()
        self.outbox = relay.env["zk.relay.outbox"].sudo()

    def queue_command(self, serial, kind, **params):
        return self.outbox._zk_queue(self.relay, serial, kind, params)

    def queue_typed(self, serial, kind, params):
        return self.outbox._zk_queue(self.relay, serial, kind, dict(params))

    def command(self, command_id):
        row = self.outbox.browse(int(command_id)).exists()
        if not row or row.relay_id != self.relay:
            raise RelayError(self.relay.env._(
                "Command %(command)s is not in the outbox of relay %(relay)s.",
                command=command_id, relay=self.relay.name))
        return row._zk_as_command()


class ZkRelayOutbox(models.Model):
    """Commands for a relay Odoo cannot call (push mode, no URL): typed like the relay's
    command API, waiting until the relay fetches them, then followed by the results it
    reports. The id is the command id the user registry, the sync table and erasures keep."""

    _name = "zk.relay.outbox"
    _description = "Relay Command Outbox"
    _order = "id"

    relay_id = fields.Many2one("zk.relay", required=True, index=True, ondelete="cascade",
                               readonly=True)
    company_id = fields.Many2one(related="relay_id.company_id", store=True)
    serial = fields.Char(required=True, readonly=True)
    device_id = fields.Many2one("zk.device", string="Terminal", readonly=True,
                                ondelete="set null")
    kind = fields.Char(required=True, readonly=True)
    summary = fields.Char(string="What", compute="_compute_summary")
    params = fields.Text(readonly=True, help="The command's fields (never biometric data).")
    state = fields.Selection(OUTBOX_STATES, default="waiting", required=True, readonly=True,
                             index=True)
    relay_state = fields.Char(readonly=True)
    relay_command_id = fields.Integer(readonly=True)
    return_code = fields.Integer(readonly=True)
    return_known = fields.Boolean(readonly=True)
    error = fields.Char(readonly=True)
    message = fields.Char(readonly=True)
    taken_at = fields.Datetime(readonly=True)
    done_at = fields.Datetime(readonly=True)

    @api.depends("kind", "params")
    def _compute_summary(self):
        for row in self:
            params = json.loads(row.params or "{}")
            pin, index = params.get("pin", ""), params.get("index")
            row.summary = {
                "user_upsert": self.env._("Write user %(pin)s (%(name)s)", pin=pin,
                                          name=params.get("name", "")),
                "user_delete": self.env._("Remove user %s", pin),
                "user_erase": self.env._("Erase user %s and all their biometric data", pin),
                "template_upsert": self.env._(
                    "Copy %(what)s of user %(pin)s",
                    what=item_label(params.get("kind", ""), index), pin=pin),
                "template_delete": self.env._("Delete biometric data of user %s", pin),
                "attlog_query": self.env._("Send the punches from %(start)s to %(end)s again",
                                           start=params.get("start"), end=params.get("end")),
                "check": self.env._("Connect again (and set the clock)"),
                "info": self.env._("Report its capacity and versions"),
            }.get(row.kind, row.kind)

    # ------------------------------------------------------------------ queue
    @api.model
    def _zk_queue(self, relay, serial, kind, params):
        """Queue a command for the relay: its answer as the relay's command API gives it."""
        if "data" in params:
            # Only hr_zk_biometric may queue a template: it seals it (see its override).
            raise RelayError(self.env._("A template cannot be queued without the biometric "
                                        "module."))
        device = self.env["zk.device"].with_context(active_test=False).search(
            [("relay_id", "=", relay.id), ("serial", "=", serial)], limit=1)
        row = self.create({"relay_id": relay.id, "serial": serial, "kind": kind,
                           "device_id": device.id, "params": json.dumps(params, sort_keys=True)})
        return row._zk_as_command()

    def _zk_wire_params(self):
        """The command's fields as the relay takes them."""
        self.ensure_one()
        return json.loads(self.params or "{}")

    def _zk_forget_secret(self):
        """The relay took the command: what only it needed leaves Odoo (biometric override)."""
        return True

    def _zk_as_command(self):
        self.ensure_one()
        state = self.relay_state or "queued"
        code = self.return_code if self.return_known else None
        error = None
        if state == "refused":
            state, error = "failed", self.message or self.error
            if self.error == "not_compatible":
                code = NOT_COMPATIBLE_CODE
        elif self.error == "lost":
            error = self.env._("the relay no longer has this command")
        return {"id": self.id, "serial": self.serial, "kind": self.kind, "state": state,
                "return_code": code, "error": error}

    # ------------------------------------------------------------------ the relay's door
    @api.model
    def _zk_exchange(self, relay, payload):
        """POST /zk/relay/commands: the relay reports results, Odoo answers the commands that
        wait. Returns (HTTP status, JSON body)."""
        results = payload.get("results") if isinstance(payload, dict) else None
        if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
            return 400, {"error": "bad_request", "message": "expected {\"results\": [...]}"}
        self._zk_take_results(relay, results)
        self._zk_follow(relay)
        self.search([("relay_id", "=", relay.id), ("state", "in", ("done", "failed", "refused")),
                     ("done_at", "<", fields.Datetime.now() - timedelta(days=KEEP_CLOSED_DAYS))],
                    limit=HAND_OUT).unlink()
        waiting = self.search([("relay_id", "=", relay.id), ("state", "=", "waiting")],
                              limit=HAND_OUT + 1)
        return 200, {"commands": [{"outbox_id": row.id, "serial": row.serial,
                                   "kind": row.kind, "params": row._zk_wire_params()}
                                  for row in waiting[:HAND_OUT]],
                     "has_more": len(waiting) > HAND_OUT, **self._zk_exchange_extra(relay)}

    @api.model
    def _zk_exchange_extra(self, relay):
        """More for the relay in the answer (hr_zk_biometric: its biometric cursors)."""
        return {}

    @api.model
    def _zk_take_results(self, relay, results):
        rows = {row.id: row for row in self.search([
            ("relay_id", "=", relay.id),
            ("id", "in", [r.get("outbox_id") for r in results
                          if isinstance(r.get("outbox_id"), int)])])}
        now = fields.Datetime.now()
        for item in results:
            row = rows.get(item.get("outbox_id"))
            state = item.get("state")
            if not row or not isinstance(state, str) or row.state in ("done", "failed",
                                                                       "refused"):
                continue
            code = item.get("return_code")
            known = isinstance(code, int) and not isinstance(code, bool)
            error = str(item.get("error") or "")[:64] or False
            # What a person reads: the relay's sentence for a refusal, else the terminal's
            # answer in words (never the raw result line).
            message = str(item.get("message") or "")[:500] if state == "refused" else \
                command_outcome(row.kind, state, code if known else None,
                                item.get("message") or None).message
            vals = {"relay_state": state[:20], "return_code": code if known else 0,
                    "return_known": known, "error": error, "message": message or False}
            if isinstance(item.get("command_id"), int):
                vals["relay_command_id"] = item["command_id"]
            if row.state == "waiting":
                vals["taken_at"] = now
            if state in RELAY_CLOSED:
                vals.update(state={"done": "done", "refused": "refused"}.get(state, "failed"),
                            done_at=now)
            else:
                vals["state"] = "taken"
            row.write(vals)
            row._zk_forget_secret()

    @api.model
    def _zk_follow(self, relay):
        """After results: the records that wait for them follow (overridden to add more)."""
        return self.env["zk.device.user"]._follow_commands(relay)

    @api.model
    def _zk_abandon(self, relay):
        """The relay now has a URL (switched to pull): commands still in its outbox will never
        be reported, and the records waiting for them would read another command's result
        under the same id from the relay's API. They are closed here, and the records that
        waited are sent again the way they are now sent (overridden to add more)."""
        rows = self.search([("relay_id", "=", relay.id), ("state", "in", ("waiting", "taken"))])
        if not rows:
            return rows
        rows.write({"state": "failed", "done_at": fields.Datetime.now(), "message": self.env._(
            "Not followed any more: the relay was switched to pull mode.")})
        rows._zk_forget_secret()
        # sudo: the PIN registry's command state is the system's bookkeeping.
        lines = self.env["zk.device.user"].sudo().with_context(active_test=False).search([
            ("device_id.relay_id", "=", relay.id), ("sync_state", "=", "pending"),
            ("command_id", "in", rows.ids)])
        for kind in set(lines.mapped("command_kind")):
            lines.filtered(lambda ln, k=kind: ln.command_kind == k)._queue(kind)
        return rows
