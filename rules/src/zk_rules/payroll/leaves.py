"""Leave minutes of one day by kind: the ``leaves`` of a payroll day (LAYOUT.md, leave columns).

The daily engine counts one number per day, ``leave_minutes`` (E4.3: the approved leave of the
date, at most the scheduled time). Payroll needs it by kind when a day mixes kinds (half a day
of sick leave and half a day of CTO). :func:`split_leave_minutes` shares the engine's number
among the kinds of the day's leaves, weighted by each kind's working time on that date as the
HR system counts it, so that the columns always add up to ``leave_minutes``.
"""

from __future__ import annotations

from collections.abc import Mapping

from zk_rules.payroll.inputs import LEAVE_KIND, PayrollInputError, require_int

OTHER = "other"


def split_leave_minutes(leave_minutes: int, weights: Mapping[str, int],
                        field: str = "leaves") -> dict[str, int]:
    """``{kind: minutes}`` adding up to ``leave_minutes`` (kinds with 0 minutes left out).

    * ``leave_minutes`` 0: nothing.
    * no kind with a positive weight (a leave the day no longer matches): all of it is
      ``other``.
    * weights adding up to ``leave_minutes`` (the usual case: a morning of one kind and an
      afternoon of another, 240 + 240 of a 480-minute day): the weights as they are.
    * otherwise the minutes are shared in proportion to the weights (one kind: all of it):
      each kind gets the whole part of its share, the minutes left go one by one to the largest
      remainders, ties to the kind that sorts first. Integer arithmetic, so the result does
      not depend on the order of ``weights``.
    """
    total = require_int(leave_minutes, "leave_minutes")
    clean: dict[str, int] = {}
    for kind in sorted(weights):
        if not isinstance(kind, str) or not LEAVE_KIND.fullmatch(kind):
            raise PayrollInputError(
                field, f"leave kind must match [a-z][a-z0-9_]*, got {kind!r}"
            )
        minutes = require_int(weights[kind], f"{field}.{kind}")
        if minutes:
            clean[kind] = minutes
    if not total:
        return {}
    weight = sum(clean.values())
    if not weight:
        return {OTHER: total}
    if weight == total:
        return clean
    shares = {kind: divmod(total * minutes, weight) for kind, minutes in clean.items()}
    result = {kind: whole for kind, (whole, _rest) in shares.items()}
    left = total - sum(result.values())
    for kind in sorted(shares, key=lambda k: (-shares[k][1], k))[:left]:
        result[kind] += 1
    return {kind: minutes for kind, minutes in result.items() if minutes}
