"""Attendances and daily records now come from one engine run (one scheduled action).

The former action "build attendances from punches" is data with noupdate: an upgrade would
keep it, calling a method that no longer exists. It goes; punches still waiting for it are
picked up by "attendances and daily records of changed days".
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    cron = env.ref("hr_zk_attendance.ir_cron_zk_build_attendances", raise_if_not_found=False)
    if cron:
        cron.unlink()
