"""``POST /zk/relay/biometric``: a push relay delivers a signed page of templates or punch
photos (relay/README.md, "Biometric data", push mode). Authenticated by the relay's delivery
token and verified by its signature like ``/zk/relay/push``; imported by the same code as the
pages Odoo pulls (hr_zk_biometric's zk.relay)."""

from odoo import http

from odoo.addons.hr_zk_attendance.controllers.relay_delivery import (
    _json,
    _one_side_page,
    _pushing_relay,
)


class RelayBiometric(http.Controller):
    @http.route("/zk/relay/biometric", type="http", auth="none", methods=["POST"], csrf=False,
                save_session=False, readonly=False)
    def biometric(self):
        env, relay, refused = _pushing_relay()
        if refused:
            return refused
        payload, refused = _one_side_page(
            env, relay, 0x7A6F, "a biometric page of this relay is being read")
        if refused:
            return refused
        return _json(*relay._zk_bio_receive(payload))
