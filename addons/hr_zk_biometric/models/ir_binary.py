from werkzeug.exceptions import NotFound

from odoo import models

# Sealed biometric columns are never streamed: photos go through /zk_biometric/photo/<id>
# (group checked, audited), templates only to terminals.
SEALED_MODELS = ("zk.biometric.template", "zk.punch.photo")


class IrBinary(models.AbstractModel):
    """/web/content and /web/image answer 404 for biometric records, to everyone: /web/image
    would otherwise answer a refused record with its generic placeholder (200), and a member
    of the group has no use for the sealed bytes."""

    _inherit = "ir.binary"

    def _find_record(self, xmlid=None, res_model="ir.attachment", res_id=None,
                     access_token=None, *, field=None):
        if res_model in SEALED_MODELS:
            raise NotFound()
        record = super()._find_record(xmlid, res_model, res_id, access_token, field=field)
        if record._name in SEALED_MODELS:
            raise NotFound()
        return record
