import logging
import resource

from odoo import models

_logger = logging.getLogger(__name__)

# A run of a scheduled job starts only with this many seconds of the cron worker's CPU limit
# left; the longest chunk measured at 10,000 employees took 12 s of wall clock, less of CPU
# (bench/company_month.py).
RUN_ALLOWANCE = 25


def budget_left(cpu_limit, cpu_used):
    """Seconds of CPU left before the worker is killed in this unit of work; None when no
    CPU limit is set (threaded server: no worker is killed)."""
    if cpu_limit == resource.RLIM_INFINITY or cpu_limit <= 0:
        return None
    return cpu_limit - cpu_used


class IrCron(models.Model):
    """Chunked jobs (a chunk a run, the next run at once) stop before the cron worker's CPU
    limit instead of being killed in the middle of a chunk. Odoo gives a cron worker a new
    limit (`limit_time_cpu` more than it used) before each unit of work, and one unit runs
    every job that is ready, each up to ten runs in a row (batch cron API): a job whose
    next run might not fit in what is left waits for the next unit (a trigger now), which
    starts with the whole budget again. The wall-clock limit is kept by the chunks' size
    (ten runs of the longest chunk fit in it)."""

    _inherit = "ir.cron"

    def _callback(self, cron_name, server_action_id):
        left = self._zk_budget_left()
        if left is not None and left < RUN_ALLOWANCE:
            _logger.info("Job %r (%s) goes on in the next unit of work of a cron worker: "
                         "%.0f s of CPU left in this one", cron_name, self.id, left)
            self._trigger()
            return None
        return super()._callback(cron_name, server_action_id)

    @staticmethod
    def _zk_budget_left():
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return budget_left(resource.getrlimit(resource.RLIMIT_CPU)[0],
                           usage.ru_utime + usage.ru_stime)
