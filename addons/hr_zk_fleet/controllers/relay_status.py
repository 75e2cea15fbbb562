"""``POST /zk/relay/status``: a push relay delivers its reconciliation days, terminal events
and health (relay/README.md, "Push mode"). Authenticated by the relay's delivery token and
verified by its signature, exactly like ``/zk/relay/push``."""

from odoo import http

from odoo.addons.hr_zk_attendance.controllers.relay_delivery import (
    _json,
    _one_side_page,
    _pushing_relay,
)


class RelayStatus(http.Controller):
    @http.route("/zk/relay/status", type="http", auth="none", methods=["POST"], csrf=False,
                save_session=False, readonly=False)
    def status(self):
        env, relay, refused = _pushing_relay()
        if refused:
            return refused
        payload, refused = _one_side_page(
            env, relay, 0x7A6C, "a status page of this relay is being read")
        if refused:
            return refused
        status, body = relay._receive_status(payload)
        return _json(status, body)
