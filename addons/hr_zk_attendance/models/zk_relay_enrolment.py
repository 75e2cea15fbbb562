import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from zk_rules.delivery import new_enrolment_code, new_token, normalise_code, secret_hash
from zk_rules.signing import key_id

from ..lib.relay_client import RelayError

_logger = logging.getLogger(__name__)

ENROL_CODE_HOURS = 24
DELIVERY_PATH = "/zk/relay/push"
COMMANDS_PATH = "/zk/relay/commands"  # push mode: the relay fetches its outbox there


class ZkRelayEnrolment(models.Model):
    """Enrolment and credentials of a relay: the one-time code, the relay's key, the push
    token (rotation, revocation) and the delivery mode it is told to use."""

    _inherit = "zk.relay"  # pylint: disable=consider-merging-classes-inherited

    def action_enrolment_code(self):
        """A one-time code (shown once, stored hashed) for `zk-relay enrol` on the Pi."""
        self.ensure_one()
        code = new_enrolment_code()
        expires = fields.Datetime.now() + timedelta(hours=ENROL_CODE_HOURS)
        # sudo: the code's hash is a system field; the manager asking is allowed to enrol.
        self.sudo().write({"enrol_code_hash": secret_hash(code),
                           "enrol_code_expires_at": expires,
                           "link_state": "waiting" if self.link_state in ("manual", "waiting")
                           else self.link_state})
        # sudo: web.base.url is a system parameter; only its value is shown.
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url") or ""
        command = f"zk-relay enrol --odoo {base} --code {code}"
        if self.delivery_mode == "pull":
            command += f" --url {self.url}" if self.url else " --url https://RELAY-ADDRESS:PORT"
        wizard = self.env["zk.relay.enrol.wizard"].create({
            "relay_id": self.id, "code": code, "expires_at": expires, "command": command,
        })
        return {
            "type": "ir.actions.act_window", "res_model": "zk.relay.enrol.wizard",
            "res_id": wizard.id, "view_mode": "form", "target": "new",
            "name": self.env._("Enrol %s", self.name),
        }

    def action_revoke(self):
        """Refuse this relay at once: its pushes get 403 and it is no longer pulled."""
        # sudo: the delivery token fields are system fields.
        self.sudo().write({"link_state": "revoked", "revoked_at": fields.Datetime.now(),
                           "odoo_token_next": False, "odoo_token_next_hash": False,
                           "enrol_code_hash": False, "enrol_code_expires_at": False})
        for relay in self:
            self.env["zk.audit.entry"]._log(
                relay, "relay_revoked", reason=self.env._("Relay %s revoked", relay.name))
        return True

    def action_rotate_token(self):
        """A new delivery token, handed to the relay in its next push answer; the old one
        is refused once the relay has used the new one."""
        for relay in self:
            if relay.link_state != "enrolled":
                raise UserError(self.env._(
                    "%s is not enrolled: create an enrolment code instead.", relay.name))
            token = new_token()
            # sudo: the delivery token fields are system fields.
            relay.sudo().write({"odoo_token_next": token,
                                "odoo_token_next_hash": secret_hash(token)})
            self.env["zk.audit.entry"]._log(
                relay, "relay_token_rotated",
                reason=self.env._("Delivery token of relay %s rotated", relay.name))
        return self._notify(self.env._("Token rotation started"),
                            self.env._("The relay receives its new token with the answer to "
                                       "its next page; the old token then stops working."),
                            "info")

    def action_switch_mode(self):
        """Pull <-> push. Odoo keeps one cursor per relay store for both modes."""
        self.ensure_one()
        target = "push" if self.delivery_mode == "pull" else "pull"
        if target == "push":
            if self.link_state != "enrolled":
                raise UserError(self.env._(
                    "Only an enrolled relay can push: create an enrolment code and run "
                    "`zk-relay enrol` on the relay."))
            try:
                self._client().set_mode("push")
            except RelayError as exc:
                raise UserError(self.env._(
                    "The relay could not be switched to push: %s", exc)) from None
        else:
            if not self.url:
                raise UserError(self.env._("Give the relay's URL first: pulling needs it."))
            try:
                self._client().set_mode("pull")
            except RelayError as exc:
                # Not needed: the relay also learns it from the answer to its next push.
                _logger.info("zk relay %s: mode not set on the relay now: %s", self.name, exc)
        self.write({"delivery_mode": target})
        self.env["zk.audit.entry"]._log(
            self, "relay_mode", reason=self.env._("Relay %(relay)s switched to %(mode)s",
                                                  relay=self.name, mode=target))
        return True

    @api.model
    def _enrol(self, request):
        """POST /zk/relay/enrol: a relay presents a code. Returns (status, JSON body)."""
        if not isinstance(request, dict):
            return 400, {"error": "bad_request", "message": "the body must be a JSON object"}
        code = normalise_code(str(request.get("code") or ""))
        relay = code and self.with_context(active_test=False).search(
            [("enrol_code_hash", "=", secret_hash(code))], limit=1)
        if not relay:
            return 403, {"error": "invalid_code", "message": "unknown or already used "
                         "enrolment code: create a new one in Odoo"}
        self.env.cr.execute("SELECT id FROM zk_relay WHERE id = %s FOR UPDATE", [relay.id])
        relay.invalidate_recordset()
        if relay.enrol_code_hash != secret_hash(code):
            return 403, {"error": "invalid_code", "message": "this code was just used"}
        if not relay.enrol_code_expires_at or relay.enrol_code_expires_at < fields.Datetime.now():
            relay.write({"enrol_code_hash": False})
            return 403, {"error": "code_expired", "message": "this enrolment code has "
                         "expired: create a new one in Odoo"}
        public_key, presented_id = request.get("public_key"), request.get("key_id")
        try:
            if not isinstance(public_key, str) or key_id(public_key) != presented_id:
                raise ValueError("key_id does not match the public key")
        except ValueError as exc:
            return 400, {"error": "bad_key", "message": str(exc)}
        relay_token, relay_url = request.get("relay_token"), request.get("relay_url")
        if not isinstance(relay_token, str) or not relay_token.strip() \
                or any(ch.isspace() for ch in relay_token.strip()):
            return 400, {"error": "bad_request", "message": "relay_token is missing"}
        if relay_url is not None and (not isinstance(relay_url, str)
                                      or not relay_url.startswith(("http://", "https://"))):
            return 400, {"error": "bad_request", "message": "relay_url must be http(s)"}
        if relay.delivery_mode == "pull" and not (relay_url or relay.url):
            return 400, {"error": "url_required", "message": "this relay is set to pull "
                         "mode: Odoo needs its address; run enrol again with --url"}
        token = new_token()
        relay.write({
            "public_key": public_key, "token": relay_token.strip(),
            "url": relay_url.rstrip("/") if relay_url else relay.url,
            "relay_version": str(request.get("version") or "")[:32] or False,
            "link_state": "enrolled", "enrolled_at": fields.Datetime.now(),
            "revoked_at": False, "enrol_code_hash": False, "enrol_code_expires_at": False,
            "odoo_token_hash": secret_hash(token), "odoo_token_next": False,
            "odoo_token_next_hash": False, "pull_failures": 0, "next_pull_at": False,
            "last_error": False,
        })
        self.env["zk.audit.entry"]._log(relay, "relay_enrolled", reason=self.env._(
            "Relay %(relay)s enrolled with key %(key)s", relay=relay.name, key=relay.key_id))
        devices = relay.with_context(active_test=False).device_ids
        return 200, {
            "relay_id": relay.id, "odoo_token": token, "mode": relay.delivery_mode,
            "delivery_url": DELIVERY_PATH, "commands_url": COMMANDS_PATH,
            "devices": [{"serial": d.serial, "timezone": d.timezone, "name": d.name or None,
                         "enabled": bool(d.active and d.state == "active")}
                        for d in devices if d.connection == "relay"],
        }

    @api.model
    def _authenticate_push(self, token):
        """The relay a delivery token belongs to, or (status, body) to refuse with."""
        digest = secret_hash(token)
        relay = self.with_context(active_test=False).search(
            ["|", ("odoo_token_hash", "=", digest), ("odoo_token_next_hash", "=", digest)],
            limit=1)
        if not relay:
            return None, (401, {"error": "unauthorized", "message": "unknown delivery token"})
        if relay.link_state == "revoked" or not relay.active:
            return None, (403, {"error": "revoked", "message": "this relay was revoked in "
                                "Odoo: enrol it again"})
        if relay.odoo_token_next_hash == digest:
            # The relay uses its rotated token: the old one stops working now.
            relay.write({"odoo_token_hash": digest, "odoo_token_next": False,
                         "odoo_token_next_hash": False,
                         "token_rotated_at": fields.Datetime.now()})
        return relay, None
