"""From Odoo records to the plain figures zk_rules.fleet_alerts reasons on."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from odoo import fields

from zk_rules import fleet_alerts as fa

RECENT_DAYS = 14


def thresholds(company):
    return fa.Thresholds(
        silent_minutes=max(company.zk_fleet_silent_minutes or 60, 1),
        drift_seconds=max(company.zk_fleet_drift_seconds or 120, 1),
        memory_percent=min(max(company.zk_fleet_memory_percent or 90, 1), 100),
        not_delivered_minutes=max(company.zk_fleet_not_delivered_minutes or 30, 1),
    )


def working_hours(company):
    """(weekday, from, to) of the company's working schedule; None when it has none."""
    calendar = company.resource_calendar_id
    if not calendar or not calendar.attendance_ids:
        return None
    return [(int(a.dayofweek), a.hour_from, a.hour_to)
            for a in calendar.attendance_ids if not a.display_type]


def local_now(device, now):
    zone = ZoneInfo(device.timezone or "UTC")
    return now.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone).replace(tzinfo=None)


def terminal_figures(device, now=None):
    now = now or fields.Datetime.now()
    since = fields.Date.to_string(now.date() - timedelta(days=RECENT_DAYS))
    days = [(fields.Date.to_string(d.day), d.state, d.gaps_filled, d.revision)
            for d in device.device_day_ids if fields.Date.to_string(d.day) >= since]
    events = [(e.relay_event_id or e.id, e.kind, e.detail or "")
              for e in device.device_event_ids]
    return fa.TerminalFigures(
        now=now, local_now=local_now(device, now), last_seen=device.last_seen or None,
        punches_last_hour=device.punches_last_hour,
        punches_usual_last_hour=device.punches_usual_last_hour,
        clock_drift_seconds=device.clock_drift_seconds,
        clock_drift_known=device.clock_drift_known,
        memory_percent=device.memory_percent, memory_known=device.memory_known,
        events=events, days=days, working_hours=working_hours(device.company_id))


def relay_figures(relay, now=None):
    return fa.RelayFigures(
        now=now or fields.Datetime.now(), delivery_lag_seconds=relay.delivery_lag_seconds,
        unacked_events=relay.unacked_events, pages_refused=relay.relay_pages_refused,
        last_page_refused=relay.last_page_refused or "", health_at=relay.health_at or None)
