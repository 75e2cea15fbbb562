"""Device commands for polled (pyzk) terminals (issue 19): the user and biometric kinds, carried
out with pyzk's own calls on the poll's connection, their outcome recorded as a result in the
firmware's codes so the command API, the audit and the erasure work as for push terminals.

==================  =========================================================================
kind                pyzk
==================  =========================================================================
user_upsert         ``set_user(uid, name, privilege, password, user_id=pin, card)``
user_delete,        ``delete_user(uid)`` (the terminal drops the user's fingerprints with it);
user_erase          ``-10`` when the PIN is not there
template_upsert     fingerprints: ``save_user_template(user, [Finger(uid, fid, valid, tmp)])``;
                    faces, palms, veins: ``-1002`` (pyzk cannot write them)
template_delete     fingerprints: ``delete_user_template(uid, fid)`` (every finger without
                    ``index``); other kinds ``-1002``
==================  =========================================================================

Other kinds (``attlog_query``, ``check``, ``info``) are push-protocol commands and stay queued.
"""

from __future__ import annotations

import logging
from typing import Any

from zk_relay.adms import CommandResult

log = logging.getLogger("zk_relay.poller")

POLL_KINDS = ("user_upsert", "user_delete", "user_erase", "template_upsert", "template_delete")


def _result(cid: int, code: int, note: str) -> CommandResult:
    raw = f"ID={cid}&Return={code}&CMD=DATA (pyzk: {note})"
    return CommandResult(str(cid), code, "DATA", {"ID": str(cid), "Return": str(code),
                                                  "CMD": "DATA"}, raw.encode("utf-8"))


def _user(conn: Any, pin: str) -> Any | None:
    return next((u for u in conn.get_users() if str(u.user_id) == pin), None)


def run_one(conn: Any, cid: int, kind: str, params: dict[str, Any],
            template: bytes | None) -> CommandResult:
    """One command on an open pyzk connection; every failure becomes a result code."""
    import base64  # noqa: PLC0415 - only here

    from zk.finger import Finger  # noqa: PLC0415 - pyzk, imported where it is used

    pin = str(params.get("pin", ""))
    try:
        user = _user(conn, pin)
        if kind == "user_upsert":
            conn.set_user(uid=user.uid if user else None, name=params.get("name", ""),
                          privilege=int(params.get("privilege", 0)),
                          password=str(params.get("password") or ""), user_id=pin,
                          card=int(params.get("card") or 0))
            return _result(cid, 0, "set_user")
        if user is None:
            return _result(cid, -10, "user not on the terminal")
        if kind in ("user_delete", "user_erase"):
            conn.delete_user(uid=user.uid)
            return _result(cid, 0, "delete_user")
        if params.get("kind", "fingerprint") != "fingerprint":
            return _result(cid, -1002, "pyzk writes and deletes fingerprints only")
        if kind == "template_upsert":
            assert template is not None
            data = base64.b64decode(template)
            finger = Finger(user.uid, int(params["index"]), int(params.get("valid", 1)), data)
            conn.save_user_template(user, [finger])
            return _result(cid, 0, "save_user_template")
        indexes = [params["index"]] if params.get("index") is not None else range(10)
        for fid in indexes:
            conn.delete_user_template(uid=user.uid, temp_id=int(fid))
        return _result(cid, 0, "delete_user_template")
    except Exception as exc:  # noqa: BLE001 - the terminal refused: a failed command
        log.warning("command %d (%s) refused by the polled terminal: %s", cid, kind,
                    type(exc).__name__)
        return _result(cid, -1, f"refused: {type(exc).__name__}")
