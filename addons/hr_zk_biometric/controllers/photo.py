from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import request


class ZkPunchPhotoController(http.Controller):
    """Punch photos are opened here only: the group and the record are checked, the photo
    is unsealed in memory, the reading is audited, and nothing is cached by the browser."""

    @http.route("/zk_biometric/photo/<int:photo_id>", type="http", auth="user")
    def photo(self, photo_id):
        try:
            photo = request.env["zk.punch.photo"].browse(photo_id).exists()
            if not photo:
                raise request.not_found()
            data = photo._zk_open()
            content_type = photo.content_type or "image/jpeg"
        except (AccessError, MissingError):
            raise request.not_found() from None
        except UserError as exc:
            return request.make_response(str(exc), status=409,
                                         headers=[("Content-Type", "text/plain")])
        return request.make_response(data, headers=[
            ("Content-Type", content_type if content_type.startswith("image/")
             else "application/octet-stream"),
            ("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff")])
