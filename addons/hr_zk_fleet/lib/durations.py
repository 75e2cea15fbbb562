"""Durations in words for the screens ("2 h 5 min", "40 s"), never bare integers."""


def duration_text(env, seconds):
    seconds = int(round(abs(seconds)))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return env._("%(d)s d %(h)s h", d=days, h=hours)
    if hours:
        return env._("%(h)s h %(m)s min", h=hours, m=minutes)
    if minutes:
        return env._("%(m)s min %(s)s s", m=minutes, s=secs)
    return env._("%s s", secs)
