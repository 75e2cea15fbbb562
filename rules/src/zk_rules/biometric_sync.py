"""Biometric sync rules (issue 19): what a terminal's answer means for one cell of the
sync table, which templates a terminal can take, and which arriving templates are refused.

Plain data in, plain data out: the Odoo layer (hr_zk_biometric) maps records in and out.
Result codes are the terminals' `Return=` values (adms-protocol.md §4.8).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The relay's kinds (BIODATA Type 1, 2, 8, 7, 9); a visible-light face is a face template of
# the newer algorithm, often several sub-templates of one No.
KINDS = ("fingerprint", "face", "palm", "finger_vein", "visible_face")
# Largest template accepted (bytes, decoded). ZKTeco fingerprint templates are ~0.5-2 KiB,
# face and palm ones a few KiB, visible-light face templates up to a few tens of KiB.
MAX_TEMPLATE_BYTES = {"fingerprint": 4096, "finger_vein": 8192, "palm": 32768,
                      "face": 65536, "visible_face": 65536}
# BIODATA `Index` (the sub-template of one No) the relay accepts: 0-99.
MAX_SUB_INDEX = 99
FINGER_NAMES = ("left little finger", "left ring finger", "left middle finger",
                "left index finger", "left thumb", "right thumb", "right index finger",
                "right middle finger", "right ring finger", "right little finger")

RESULT_TEXT = {
    -1001: "the terminal's memory is full",
    -1007: "the terminal's memory is full",
    -30: "algorithm version mismatch",
    -9: "template rejected as invalid",
    -11: "template rejected as invalid",
    -12: "template rejected as invalid",
    -10: "user not on the terminal",
    -1002: "command not supported by this firmware",
}
# Codes after which the cell is not compatible rather than failed.
NOT_COMPATIBLE_CODES = {-30}
# A delete or erase of a user the terminal does not have has nothing left to do.
ABSENT_CODES = {-10}
ERASING_KINDS = {"user_erase", "user_delete", "template_delete"}


@dataclass(frozen=True)
class Outcome:
    state: str  # synced | pending | failed | not_compatible
    message: str


def result_text(code: object) -> str:
    """The terminal's answer code as words a person reads."""
    try:
        number = int(str(code))
    except (TypeError, ValueError):
        return "the terminal gave no answer code"
    return RESULT_TEXT.get(number, f"the terminal refused it (error {number})")


def command_outcome(kind: str, state: str, return_code: object = None,
                    error: str | None = None) -> Outcome:
    """A relay command's state and result code -> the cell's state and message."""
    erasing = kind in ERASING_KINDS
    if state == "done":
        return Outcome("synced", "Removed from the terminal." if erasing else
                       "On the terminal.")
    if state in ("failed", "expired", "cancelled"):
        try:
            code = int(str(return_code))
        except (TypeError, ValueError):
            code = None
        if erasing and code in ABSENT_CODES:
            return Outcome("synced", "Not on the terminal (nothing to remove).")
        if code in NOT_COMPATIBLE_CODES:
            return Outcome("not_compatible",
                           "Not compatible: the terminal uses another algorithm version.")
        if code is None:
            reason = error or ("the command expired before the terminal took it"
                               if state == "expired" else "the terminal did not say why")
            return Outcome("failed", f"Failed: {reason}.")
        return Outcome("failed", f"Refused: {result_text(code)}.")
    return Outcome("pending", "Waiting for the terminal.")


def parse_algorithm(text: str | None) -> tuple[str, int] | None:
    """'finger:10' -> ('finger', 10); None when unknown or unreadable."""
    if not text:
        return None
    found = re.fullmatch(r"\s*([a-z_]+)\s*:\s*(\d+)(?:\.\d+)?\s*", str(text).lower())
    return (found.group(1), int(found.group(2))) if found else None


def compatible(template_algorithm: str | None, terminal_major: str | int | None) -> bool | None:
    """Whether a terminal reporting `terminal_major` can use a template: True, False, or None
    when either side is unknown (then the terminal decides and answers -30 if not)."""
    parsed = parse_algorithm(template_algorithm)
    if parsed is None or terminal_major in (None, "", False):
        return None
    try:
        major = int(str(terminal_major).split(".")[0])
    except ValueError:
        return None
    return parsed[1] == major


def template_problem(kind: object, index: object, size: int, sub_index: object = 0
                     ) -> str | None:
    """Why an arriving template is refused (None: acceptable).

    `sub_index` is BIODATA `Index`: one palm or visible-light face can come as several
    templates of one `No` (0 when absent)."""
    if kind not in KINDS:
        return f"unknown kind of template {kind!r}"
    try:
        number = int(str(index))
    except (TypeError, ValueError):
        return "no finger or template index"
    if number < 0 or (kind == "fingerprint" and number > 9):
        return f"index {number} is out of range"
    try:
        sub = int(str(0 if sub_index is None else sub_index))
    except (TypeError, ValueError):
        return "unreadable sub-template number"
    if not 0 <= sub <= MAX_SUB_INDEX:
        return f"sub-template {sub} is out of range"
    if size <= 0:
        return "the template is empty"
    if size > MAX_TEMPLATE_BYTES[kind]:
        return f"{size} bytes is larger than any {kind.replace('_', ' ')} template"
    return None


def item_label(kind: str, index: int | None = None, sub_index: int | None = None) -> str:
    """'Fingerprint: right index finger', 'Face', 'User record'; a sub-template other than
    the first is numbered from 1 as people count: sub index 1 -> 'Palm, template 2'."""
    if kind == "fingerprint" and index is not None and 0 <= index <= 9:
        label = f"Fingerprint: {FINGER_NAMES[index]}"
    else:
        label = {"user": "User record", "card": "Card", "password": "Password",
                 "fingerprint": "Fingerprint", "face": "Face", "palm": "Palm",
                 "finger_vein": "Finger vein",
                 "visible_face": "Visible-light face"}.get(kind, kind)
    if sub_index and sub_index > 0:
        label = f"{label}, template {sub_index + 1}"
    return label
