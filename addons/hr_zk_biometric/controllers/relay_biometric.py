"""``POST /zk/relay/biometric``: a push relay delivers a signed page of templates or punch
photos (relay/README.md, "Biometric data", push mode). Authenticated by the relay's delivery
token and verified by its signature like ``/zk/relay/push``; imported by the same code as the
pages Odoo pulls (hr_zk_biometric's zk.relay)."""

from odoo import http

from odoo.addons.hr_zk_attendance.controllers.relay_delivery import (
    _json,
    _push_limit,
    _pushing_relay,
    _read_json,
)


class RelayBiometric(http.Controller):
    @http.route("/zk/relay/biometric", type="http", auth="none", methods=["POST"], csrf=False,
                save_session=False, readonly=False)
    def biometric(self):
        env, relay, refused = _pushing_relay()
        if refused:
            return refused
        # One biometric page at a time per relay (its own advisory key): a second one is told
        # to retry.
        env.cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [0x7A6F, relay.id])
        if not env.cr.fetchone()[0]:
            return _json(429, {"error": "busy", "message": "a biometric page of this relay is "
                               "being read"}, **{"Retry-After": "1"})
        payload, refusal = _read_json(_push_limit(env))
        if refusal:
            return _json(*refusal)
        return _json(*relay._zk_bio_receive(payload))
