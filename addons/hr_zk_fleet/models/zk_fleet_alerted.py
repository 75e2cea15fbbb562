import logging

from odoo import models

_logger = logging.getLogger(__name__)


class ZkFleetAlerted(models.AbstractModel):
    """What terminals and relays share about their alerts: they are evaluated as soon as a
    status page was imported (``health_at`` written), and never in the way of that import.
    Each model says what its problems are in ``_fleet_evaluate_alerts``."""

    _name = "zk.fleet.alerted"
    _description = "Alerts evaluated after a status import"

    def write(self, vals):
        result = super().write(vals)
        if "health_at" in vals:  # a status page was just imported: alerts follow at once
            self._fleet_evaluate_after_import()
        return result

    def _fleet_evaluate_after_import(self):
        """Alerts never stand in the way of an import: a failure is logged, and the
        scheduled evaluation tries again."""
        try:
            with self.env.cr.savepoint():
                self._fleet_evaluate_alerts()
        except Exception:  # pylint: disable=broad-except
            _logger.exception("fleet alerts of %s not evaluated after a status import",
                              self._name)

    def _fleet_evaluate_alerts(self, now=None):
        raise NotImplementedError
