from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from odoo import fields, models

# Decided in the Odoo layer (zk.daily.record._zone_exceptions), not by the engine: the engine
# sees one zone per employee and cannot know the terminals' zones.
TIMEZONE_MISMATCH = "timezone_mismatch"


class ZkDayException(models.Model):
    """An exception of a day (the engine's codes of E10.3, plus the terminal time-zone
    mismatch decided in Odoo), shown as a tag on daily records."""

    _name = "zk.day.exception"
    _description = "Daily Record Exception"
    _order = "code"
    _rec_name = "name"

    code = fields.Char(required=True, readonly=True)
    name = fields.Char(required=True, translate=True)
    color = fields.Integer()
    informational = fields.Boolean(help="Informational codes do not change the day's status.")

    _sql_constraints = [("code_unique", "UNIQUE(code)", "Exception codes are unique.")]


def _zone(name):
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def zones_differ(zone_a, zone_b, instants=None):
    """True when two IANA zones read a different wall-clock time at one of `instants` (aware
    or naive UTC datetimes), i.e. when a punch read in one zone lands at another hour in the
    other. Zones that agree (Asia/Manila and Asia/Singapore, both UTC+8) do not differ: the
    payroll is the same. Without instants: now, mid-January and mid-July of this year, so a
    zone with summer time differs from one without. An unknown zone differs from any other.
    """
    if zone_a == zone_b:
        return False
    tz_a, tz_b = _zone(zone_a), _zone(zone_b)
    if tz_a is None or tz_b is None:
        return True
    if not instants:
        now = datetime.now(UTC)
        instants = [now, now.replace(month=1, day=15), now.replace(month=7, day=15)]
    for instant in instants:
        aware = instant if instant.tzinfo else instant.replace(tzinfo=UTC)
        if aware.astimezone(tz_a).utcoffset() != aware.astimezone(tz_b).utcoffset():
            return True
    return False
