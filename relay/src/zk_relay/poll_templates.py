"""Reading the fingerprint templates of a polled (pyzk) terminal (issue 19): people enrol fingers
at the terminal's keypad, and a polled terminal does not upload them, so the poller reads the
terminal's template table on a schedule and the store keeps each new or changed one sealed
(``store/biometric_readback.py``).

* Only with a biometric key, and at most every ``poll_templates_interval_seconds`` per terminal
  (default 900; 0: never), not on every poll: pyzk's ``get_templates`` reads the whole table
  (about 0.5-1.5 KiB per finger; a terminal full at 3 000 fingers is some 1.5-4.5 MiB).
* On the poll's connection, after the queued commands (so a template Odoo just sent is known
  as sent before it is read back): ``get_fp_version()`` (the algorithm major version, e.g. 10)
  and ``get_templates()``; each entry's ``uid`` is mapped to the PIN with the users the same
  poll read. An entry whose uid has no user (or a user whose PIN is not usable) is skipped.
* A failing template read does not fail the poll (the punches are read already): it is logged
  and tried again after the interval.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from zk_relay.store import ReadTemplate
from zk_rules.terminal_records import user_from_pyzk

log = logging.getLogger("zk_relay.poller")


@dataclass(slots=True)
class TemplateRead:
    """What one read of a terminal's template table gave."""

    fp_version: int | None = None
    templates: list[ReadTemplate] = field(default_factory=list)
    skipped: int = 0  # entries whose uid has no (usable) user


def read_templates(conn: Any, users: list[Any]) -> TemplateRead:
    """The terminal's fingerprint templates with their PINs (pyzk calls on ``conn``)."""
    try:
        version = int(conn.get_fp_version() or 0)
    except Exception:  # noqa: BLE001 - the version is extra: the templates still count
        version = 0
    pin_of: dict[int, str] = {}
    for item in users:
        try:
            pin_of[int(item.uid)] = user_from_pyzk(item)["pin"]
        except (ValueError, AttributeError, TypeError):
            continue
    out = TemplateRead(version if version > 0 else None)
    for finger in conn.get_templates() or []:
        pin = pin_of.get(int(finger.uid))
        if pin is None:
            out.skipped += 1
            continue
        out.templates.append(ReadTemplate(pin, int(finger.fid), int(finger.valid),
                                          bytes(finger.template)))
    return out


class TemplateSchedule:
    """When each terminal's templates are read next (monotonic seconds, injected clock)."""

    def __init__(self, interval: float, clock: Callable[[], float]) -> None:
        self.interval = interval
        self.clock = clock
        self.next_due: dict[str, float] = {}

    def due(self, serial: str, keyed: bool) -> bool:
        """True when a poll of ``serial`` now should read its templates: a key, reading on,
        and the first poll or the interval past since the last read."""
        if not keyed or self.interval <= 0:
            return False
        return self.clock() >= self.next_due.get(serial, float("-inf"))

    def read_done(self, serial: str) -> None:
        """A read was made (or tried): the next one after the interval."""
        self.next_due[serial] = self.clock() + self.interval

    def forget(self, serial: str) -> None:
        self.next_due.pop(serial, None)


__all__ = ["TemplateRead", "TemplateSchedule", "read_templates"]
