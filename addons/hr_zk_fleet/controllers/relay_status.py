"""``POST /zk/relay/status``: a push relay delivers its reconciliation days, terminal events
and health (relay/README.md, "Push mode"). Authenticated by the relay's delivery token and
verified by its signature, exactly like ``/zk/relay/push``."""

from odoo import http

from odoo.addons.hr_zk_attendance.controllers.relay_delivery import (
    _json,
    _push_limit,
    _pushing_relay,
    _read_json,
)


class RelayStatus(http.Controller):
    @http.route("/zk/relay/status", type="http", auth="none", methods=["POST"], csrf=False,
                save_session=False, readonly=False)
    def status(self):
        env, relay, refused = _pushing_relay()
        if refused:
            return refused
        # One status page at a time per relay (a transaction-scoped advisory lock, as for
        # event pages but its own key): a second one is told to retry.
        env.cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [0x7A6C, relay.id])
        if not env.cr.fetchone()[0]:
            return _json(429, {"error": "busy", "message": "a status page of this relay is "
                               "being read"}, **{"Retry-After": "1"})
        payload, refusal = _read_json(_push_limit(env))
        if refusal:
            return _json(*refusal)
        status, body = relay._receive_status(payload)
        return _json(status, body)
