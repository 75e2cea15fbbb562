import logging
import resource
import time

from odoo import models
from odoo.tools import config

_logger = logging.getLogger(__name__)

# A run of a scheduled job starts only with this many seconds of the cron worker's CPU and
# wall-clock limits left; the longest chunk measured at 10,000 employees took 12 s
# (bench/company_month.py).
RUN_ALLOWANCE = 25
# When this worker's current unit of work began, keyed by its CPU limit: Odoo gives a cron
# worker a new CPU limit (`limit_time_cpu` more than it used) before each unit of work, and
# one unit runs every job that is ready, each up to ten runs in a row (batch cron API).
_unit_started = {}


def budget_left(cpu_limit, cpu_used, started, now, real_limit):
    """Seconds left before the worker is killed over its CPU or wall-clock limit in this
    unit of work; None when no CPU limit is set (threaded server: no worker is killed)."""
    if cpu_limit in (resource.RLIM_INFINITY, -1) or cpu_limit <= 0:
        return None
    left = cpu_limit - cpu_used
    if real_limit and real_limit > 0:
        left = min(left, real_limit - (now - started))
    return left


class IrCron(models.Model):
    """Chunked jobs (a chunk a run, the next run at once) stop before the worker's limits
    instead of being killed in the middle of a chunk: a job whose next run might not fit
    in what is left of this unit of work waits for the next one (a trigger now), which
    starts with the whole budget again."""

    _inherit = "ir.cron"

    def _callback(self, cron_name, server_action_id):
        left = self._zk_budget_left()
        if left is not None and left < RUN_ALLOWANCE:
            _logger.info("Job %r (%s) goes on in the next unit of work of a cron worker: "
                         "%.0f s left of this one's limits", cron_name, self.id, left)
            self._trigger()
            return None
        return super()._callback(cron_name, server_action_id)

    @staticmethod
    def _zk_budget_left():
        cpu_limit = resource.getrlimit(resource.RLIMIT_CPU)[0]
        usage = resource.getrusage(resource.RUSAGE_SELF)
        now = time.monotonic()
        started = _unit_started.setdefault(cpu_limit, now)
        if len(_unit_started) > 1:  # a new unit of work: forget the older ones
            for key in [key for key in _unit_started if key != cpu_limit]:
                del _unit_started[key]
        real = config["limit_time_real_cron"]
        if real is None or real < 0:
            real = config["limit_time_real"]
        return budget_left(cpu_limit, usage.ru_utime + usage.ru_stime, started, now, real)
