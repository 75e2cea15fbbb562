import base64
import binascii
import logging

from odoo import api, fields, models

from odoo.addons.hr_zk_attendance.lib.relay_client import RelayError

from zk_rules.biometric_sync import template_problem
from zk_rules.signing import PageSignatureError, verify_page

from ..lib.biometric_client import BiometricClient

_logger = logging.getLogger(__name__)
BIO_PAGE = 200
BIOMETRIC_PATH = "/zk/relay/biometric"  # push mode: the relay posts its pages there
MAX_MINOR_VERSION = 9999  # template_upsert's minor_version range (relay biometric_commands)


def _minor_version(value):
    """The template's minor algorithm version as the relay's command API takes it (0-9999);
    0 when absent or unreadable (the terminal then uses its own)."""
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return 0
    return number if 0 <= number <= MAX_MINOR_VERSION else 0


def _text(value):
    """A page's value as text, False when absent (Format 0 is a format, kept as "0")."""
    return False if value is None or value is False or value == "" else str(value)


class ZkRelay(models.Model):
    """Biometric pages of a relay: templates and punch photos, pulled after the events with
    the link's token (scope `biometric`), verified like event pages, stored sealed."""

    _inherit = "zk.relay"

    biometric_cursor = fields.Integer(string="Templates cursor", readonly=True, copy=False)
    photo_cursor = fields.Integer(readonly=True, copy=False)
    bio_store_id = fields.Char(readonly=True, copy=False)
    bio_message = fields.Char(string="Biometric import", readonly=True, copy=False)

    def _bio_client(self):
        self.ensure_one()
        # sudo: the token is the administrators'; the import uses it without showing it.
        return BiometricClient(self.url, self.sudo().token)

    def _command_client(self):
        """Terminal commands, biometric kinds included: the relay's API (a URL), or the
        outbox of a push relay Odoo cannot reach."""
        self.ensure_one()
        return self._bio_client() if self.url else super()._command_client()

    def _pull_side_channels(self, client):
        more = super()._pull_side_channels(client)
        if self.env["zk.biometric.sealed"]._zk_key() and self.url:
            try:
                more = self._zk_bio_pull() or more
            except RelayError as exc:
                _logger.warning("zk relay %s: biometric pages not read: %s", self.name, exc)
                self.bio_message = str(exc)
        for follow in ("zk.biometric.sync", "zk.biometric.erasure.line"):
            try:
                self.env[follow]._zk_follow(self)
            except RelayError as exc:
                self.bio_message = str(exc)
        return more

    def _zk_bio_pull(self):
        """One page of templates and one of photos; True when the relay has more."""
        self.ensure_one()
        client = self._bio_client()
        templates = client.templates(self.biometric_cursor, BIO_PAGE)
        more = self._zk_bio_take_templates(templates)
        if not self.company_id.zk_keep_photos_on_relay:
            more = self._zk_bio_take_photos(client.photos(self.photo_cursor, BIO_PAGE)) or more
        self._zk_bio_ack_after_commit()
        return more

    def _zk_bio_verified(self, payload):
        """The page when signed by the relay's key and of this relay's store, else None."""
        try:
            if not self.public_key:
                raise PageSignatureError("no_key", "no public key registered for this relay")
            verify_page(payload, self.public_key)
        except PageSignatureError as exc:
            self.bio_message = self.env._("A biometric page was refused (%s); nothing of it "
                                          "was kept.", exc)
            return None
        if self.bio_store_id and payload.get("store_id") != self.bio_store_id:
            self.write({"biometric_cursor": 0, "photo_cursor": 0})
        self.bio_store_id = payload.get("store_id")
        return payload

    def _zk_bio_take_templates(self, payload):
        """Store a verified page of templates; returns whether the relay has more."""
        self.ensure_one()
        if self._zk_bio_verified(payload) is None:
            return False
        Template = self.env["zk.biometric.template"]
        start = self.biometric_cursor  # a row Odoo committed before is not taken twice
        kept, refused, unknown, employees = 0, [], 0, self.env["hr.employee"]
        devices = {d.serial: d for d in self.env["zk.device"].sudo().search(
            [("relay_id", "=", self.id)])}
        for row in payload.get("templates") or []:
            if int(row.get("id") or 0) <= start:
                continue
            device = devices.get(row.get("serial"))
            mapping = device and self.env["zk.device.user"].sudo().search(
                [("device_id", "=", device.id), ("pin", "=", str(row.get("pin") or "")),
                 ("employee_id", "!=", False)], limit=1)
            try:
                data = base64.b64decode(str(row.get("data") or ""), validate=True)
            except (binascii.Error, ValueError):
                data = b""
            problem = template_problem(row.get("kind"), row.get("index"), len(data),
                                       row.get("sub_index"))
            if problem:
                refused.append(problem)
                continue
            if not mapping:
                unknown += 1
                continue
            Template._zk_store(
                mapping.employee_id, row["kind"], int(row["index"]), data,
                sub_index=int(row.get("sub_index") or 0),
                minor_version=_minor_version(row.get("minor_version")), pin=mapping.pin,
                source_device_id=device.id, algorithm=row.get("algorithm"),
                template_format=_text(row.get("format")),
                valid=int(row.get("valid") or 1), relay_id=self.id,
                relay_template_id=int(row.get("id") or 0),
                received_at=fields.Datetime.now())
            employees |= mapping.employee_id
            kept += 1
        employees._zk_bio_reconcile()
        self.biometric_cursor = max(self.biometric_cursor, int(payload.get("next_after") or 0))
        self.bio_message = self._zk_bio_summary(kept, refused, unknown)
        return bool(payload.get("has_more"))

    def _zk_bio_summary(self, kept, refused, unknown):
        parts = [self.env._("%s template(s) kept", kept)]
        if unknown:
            parts.append(self.env._(
                "%s for PINs not matched to an employee (not kept: match the PIN, then "
                "press Read biometric data again)", unknown))
        if refused:
            parts.append(self.env._("%(count)s refused (%(why)s)", count=len(refused),
                                    why="; ".join(sorted(set(refused)))))
        return ", ".join(parts) + "."

    def _zk_bio_take_photos(self, payload):
        self.ensure_one()
        if self._zk_bio_verified(payload) is None:
            return False
        Photo = self.env["zk.punch.photo"].sudo()
        seen = set(Photo.search([("relay_id", "=", self.id), ("relay_photo_id", "in", [
            int(p.get("id") or 0) for p in payload.get("photos") or []])]).mapped(
            "relay_photo_id"))
        for row in payload.get("photos") or []:
            if int(row.get("id") or 0) in seen:
                continue
            try:
                data = base64.b64decode(str(row.get("data") or ""), validate=True)
            except (binascii.Error, ValueError):
                continue
            if not data:
                continue
            # sudo: photos are written by the system only (see zk.punch.photo).
            photo = Photo.create({
                "relay_id": self.id, "relay_photo_id": int(row.get("id") or 0),
                "company_id": self.company_id.id, "serial": row.get("serial"),
                "pin": row.get("pin") or False, "local_time": row.get("local_time"),
                "event_fingerprint": row.get("event_fingerprint") or False,
                "content_type": row.get("content_type") or "image/jpeg", "size": len(data),
                "received_at": fields.Datetime.now()})
            photo.data_sealed = base64.b64encode(Photo._zk_seal(data, photo._aad()))
            self.env["zk.audit.entry"]._log(photo, "biometric_photo_stored",
                                            after={"size": len(data)})
        Photo._zk_link_punches()
        self.photo_cursor = max(self.photo_cursor, int(payload.get("next_after") or 0))
        return bool(payload.get("has_more"))

    def _zk_bio_ack_after_commit(self):
        """Acknowledge to the relay once the imported pages are committed (HTTP only)."""
        client, name = self._bio_client(), self.name
        store, templates, photos = self.bio_store_id, self.biometric_cursor, self.photo_cursor

        @self.env.cr.postcommit.add
        def acknowledge():
            try:
                client.biometric_ack(store, templates, photos)
            except RelayError as exc:
                # Not fatal: the cursors are Odoo's; the next pull acknowledges again.
                _logger.info("zk relay %s: biometric ack deferred: %s", name, exc)

    def _zk_bio_receive(self, payload):
        """A page of templates or photos the relay pushed (its token was checked by the
        controller). Verified and imported by the code that imports pulled pages; returns
        (HTTP status, JSON body): `200 {"committed_up_to": N}`, the cursor Odoo keeps, from
        which the relay sends next (relay/README.md)."""
        self.ensure_one()
        if not self.env["zk.biometric.sealed"]._zk_key():
            return 409, {"error": "biometrics_off", "message": "Odoo has no biometric key "
                         "(zk_biometric_key in odoo.conf): templates and photos are not "
                         "accepted. Ask the Odoo administrator to set it."}
        kind = next((k for k in ("templates", "photos") if isinstance(payload, dict)
                     and isinstance(payload.get(k), list)), None)
        after = payload.get("after") if kind else None
        if kind is None or isinstance(after, bool) or not isinstance(after, int) or after < 0:
            return 400, {"error": "bad_request", "message": "expected a signed page of "
                         "templates or photos with 'after'"}
        field = "biometric_cursor" if kind == "templates" else "photo_cursor"
        if kind == "photos" and self.company_id.zk_keep_photos_on_relay:
            return 200, {"committed_up_to": self.photo_cursor, "wanted": False}
        try:
            if not self.public_key:
                raise PageSignatureError("no_key", "no public key registered for this relay")
            verify_page(payload, self.public_key)
        except PageSignatureError as exc:
            self.bio_message = self.env._("A biometric page was refused (%s); nothing of it "
                                          "was kept.", exc)
            return 400, {"error": "bad_signature", "message": str(exc)}
        if self.bio_store_id and payload.get("store_id") != self.bio_store_id and after:
            # A rebuilt relay: Odoo starts its new store from the beginning.
            self.write({"biometric_cursor": 0, "photo_cursor": 0,
                        "bio_store_id": payload.get("store_id")})
        elif after <= self[field]:
            if kind == "templates":
                self._zk_bio_take_templates(payload)
            else:
                self._zk_bio_take_photos(payload)
        return 200, {"committed_up_to": self[field]}

    @api.model
    def _enrol(self, request):
        status, body = super()._enrol(request)
        if status == 200:
            body["biometric_url"] = BIOMETRIC_PATH
        return status, body

    def action_zk_bio_reread(self):
        """Read every template and photo the relay holds again (after matching PINs)."""
        self.write({"biometric_cursor": 0, "photo_cursor": 0})
        self.env.ref("hr_zk_attendance.ir_cron_zk_pull_relays")._trigger()
        return True
