"""What an approver reads about a day: its punches, as a small table (no model here).

Shared by daily records, overtime lines and adjustments, so the three forms say the same.
"""

import json

from markupsafe import Markup


def hours_minutes(minutes):
    """90 -> '1:30'; None -> ''. Hours and minutes as float_time shows them."""
    if minutes is None or minutes is False:
        return ""
    sign = "-" if minutes < 0 else ""
    minutes = abs(int(minutes))
    return f"{sign}{minutes // 60}:{minutes % 60:02d}"


def day_punches_html(record):
    """The punches a daily record was computed from, in time order: local time (as the
    terminal showed it), terminal, status by name, and what the engine made of it."""
    env = record.env
    if not record.result_json:
        return False
    result = json.loads(record.result_json)
    used = result.get("punch_ids") or []
    collapsed = set(result.get("collapsed_punch_ids") or [])
    ignored = set(result.get("ignored_punch_ids") or [])
    ids = list(dict.fromkeys([*used, *collapsed, *ignored]))
    if not ids:
        return Markup("<p class='text-muted mb-0'>%s</p>") % env._("No punches on this day.")
    punches = env["zk.punch"].browse(ids).exists().sorted(lambda p: (p.timestamp_utc, p.id))
    rows = []
    for punch in punches:
        when = punch.local_time or ""
        if when[:10] == str(record.work_date):
            when = when[11:16]
        else:
            when = f"{when[:10]} {when[11:16]}"
        if punch.source == "adjustment":
            where = env._("Approved adjustment")
        else:
            where = punch.device_id.name or punch.serial or ""
        note = ""
        if punch.id in collapsed:
            note = env._("Double tap: counted once")
        elif punch.id in ignored:
            note = env._("Not counted")
        rows.append(Markup("<tr><td>%s</td><td>%s</td><td>%s</td><td class='text-muted'>%s</td>"
                           "</tr>") % (when, where, punch.status_label or "", note))
    head = Markup("<tr><th>%s</th><th>%s</th><th>%s</th><th></th></tr>") % (
        env._("Time"), env._("Terminal"), env._("Punch"))
    return Markup("<table class='table table-sm o_zk_day_punches mb-0'><thead>%s</thead>"
                  "<tbody>%s</tbody></table>") % (head, Markup("").join(rows))


def day_intervals_text(record):
    """'08:00 → 12:01, 12:59 → 17:02': the intervals in local time; the date only when an
    end falls on another day; '?' for a missing punch."""
    if not record.result_json:
        return False
    intervals = json.loads(record.result_json).get("intervals") or []

    def bound(value):
        if not value:
            return "?"
        return value[11:16] if value[:10] == str(record.work_date) else \
            f"{value[8:10]}/{value[5:7]} {value[11:16]}"

    return "\n".join(f"{bound(iv.get('start'))} → {bound(iv.get('end'))}"
                     for iv in intervals) or False
