import logging

from odoo import api, models, tools
from odoo.exceptions import AccessError, UserError

from ..lib.biometric_crypto import BiometricKeyError, SealBroken, load_key, seal, unseal

_logger = logging.getLogger(__name__)

GROUP = "hr_zk_biometric.group_zk_biometric"
KEY_OPTION = "zk_biometric_key"


class ZkBiometricSealed(models.AbstractModel):
    """Sealing of biometric values with the server's key (odoo.conf `zk_biometric_key`).

    The key is read from the configuration file on every use and never stored in the
    database; without it the feature is off (nothing biometric is fetched or kept) and the
    screens say so. Only members of the Biometric data group may open a sealed value, and
    every opening is audited.
    """

    _name = "zk.biometric.sealed"
    _description = "Sealed biometric value (mixin)"

    @api.model
    def _zk_key(self):
        """The key, or None when none is configured. A malformed key is an error, logged
        without its value, and counts as no key (the feature stays off)."""
        try:
            return load_key(tools.config.get(KEY_OPTION))
        except BiometricKeyError as exc:
            _logger.error("hr_zk_biometric: %s", exc)
            return None

    @api.model
    def _zk_off_message(self):
        """None when biometric sync is on, else what a person should do."""
        if self._zk_key():
            return None
        if tools.config.get(KEY_OPTION):
            return self.env._(
                "Biometric sync is off: the encryption key in the server configuration is "
                "not usable (it must be 32 random bytes in base64). Ask your administrator "
                "to correct zk_biometric_key in odoo.conf.")
        return self.env._(
            "Biometric sync is off: no encryption key in the server configuration. Ask your "
            "administrator to set zk_biometric_key in odoo.conf.")

    @api.model
    def _zk_seal(self, data, aad):
        key = self._zk_key()
        if not key:
            raise UserError(self._zk_off_message())
        return seal(key, data, aad)

    def _zk_check_group(self):
        if not self.env.su and not self.env.user.has_group(GROUP):
            raise AccessError(self.env._(
                "Only members of the Biometric data group may open biometric data."))

    def _zk_unseal(self, sealed, aad):
        self._zk_check_group()
        key = self._zk_key()
        if not key:
            raise UserError(self._zk_off_message())
        try:
            return unseal(key, sealed, aad)
        except SealBroken as exc:
            raise UserError(self.env._(
                "This biometric value cannot be opened (%s): the server's key changed or "
                "the database was altered. Erase it and enrol again.", exc)) from None
