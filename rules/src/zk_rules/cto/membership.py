"""Which approved overtime the bank credits, given when the employee joined it (issue 23).

C1 credits approved overtime "for employees on whom CTO is enabled"; this module says from which
work date on. An employee joins the bank (opts in) on a date. The credit follows the overtime's
**work date** (C3: the earned date is the work date), never the date it was approved, so the
result does not depend on how fast a manager decided:

* ``opt_in`` (default): overtime worked on or after the opt-in date is credited; earlier
  overtime never is.
* ``period_start``: the bank also takes the overtime worked since the first day of the pay
  period that holds the opt-in date (the caller knows the pay periods; without them it is the
  first day of the calendar month). When the employee joins, the approved overtime of that
  range is credited once, with the same idempotency key as any credit (C1).

An employee who is not in the bank earns nothing. An opt-in date that is unknown (the employee
joined before the date was recorded) restricts nothing: every approved line may be credited.
"""

from __future__ import annotations

from datetime import date

from zk_rules.cto.inputs import CtoInputError

BACKDATE_MODES = ("opt_in", "period_start")
DEFAULT_BACKDATE_MODE = "opt_in"

# Why an approved overtime line earns nothing (the caller words it for people).
NOT_IN_BANK = "not_in_bank"
BEFORE_JOINING = "before_joining"


def month_start(day: date) -> date:
    return day.replace(day=1)


def first_creditable_date(
    opt_in: date | None, mode: str = DEFAULT_BACKDATE_MODE, period_start: date | None = None
) -> date | None:
    """The first work date the bank credits for a member who joined on ``opt_in``.

    ``period_start`` is the first day of the pay period holding ``opt_in`` (``period_start``
    mode only; the month's first day when not given). None: no limit (opt-in date unknown).
    """
    if mode not in BACKDATE_MODES:
        raise CtoInputError(
            "policy.backdate", f"must be one of {', '.join(BACKDATE_MODES)}, got {mode!r}"
        )
    if opt_in is None:
        return None
    if mode == "opt_in":
        return opt_in
    start = month_start(opt_in) if period_start is None else period_start
    if start > opt_in:
        raise CtoInputError(
            "period_start", f"{start} is after the opt-in date {opt_in}: not its pay period"
        )
    return start


def not_credited_reason(
    work_date: date,
    *,
    member: bool,
    opt_in: date | None,
    mode: str = DEFAULT_BACKDATE_MODE,
    period_start: date | None = None,
) -> str | None:
    """None when approved overtime of ``work_date`` is creditable; else why not
    (:data:`NOT_IN_BANK` or :data:`BEFORE_JOINING`)."""
    if not member:
        return NOT_IN_BANK
    first = first_creditable_date(opt_in, mode, period_start)
    if first is not None and work_date < first:
        return BEFORE_JOINING
    return None
