"""Device commands (§4.6-§4.8): queue, hand out, results, time-outs."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from zk_relay.adms import CommandResult
from zk_relay.biometric_commands import fill
from zk_relay.biometric_crypto import SealError, aad
from zk_relay.commands import Command, state_for, wire_safe
from zk_relay.store.base import StoreBase
from zk_relay.store.biometric_readback import remember_sent
from zk_relay.store.biometrics import after_result, audit_queued
from zk_relay.store.db import utc_now

MAX_RESULT_BYTES = 65536
COMMAND_STATES = ("queued", "sent", "done", "failed", "timed_out")
# Kinds sent again once after a timeout: executing them twice leaves the terminal as once
# (user_upsert writes the same values, user_delete of a deleted PIN only answers -10, info
# and check read or re-handshake). attlog_query is not: it makes the terminal re-upload a
# whole range, which may be exactly what it is still busy doing.
REQUEUE_KINDS = ("user_upsert", "user_delete", "info", "check", "template_upsert",
                 "template_delete", "user_erase")
COMMAND_COLUMNS = ("id", "serial", "kind", "params", "command", "state", "return_code",
                   "result", "result_fields", "created_at", "sent_at", "done_at", "retries")
_COMMAND_SELECT = ("SELECT id, serial, kind, params, command, state, return_code, result,"
                   " result_fields, created_at, sent_at, done_at, retries FROM commands")


def _command_dict(row: Sequence[Any]) -> dict[str, Any]:
    out = dict(zip(COMMAND_COLUMNS, row, strict=True))
    out["params"] = json.loads(out["params"] or "{}")
    out["result_fields"] = json.loads(out["result_fields"]) if out["result_fields"] else None
    return out


def insert_command(conn: sqlite3.Connection, serial: str, command: Command,
                   sealed: bytes | None, actor: str) -> int:
    """Insert a queued command (inside the caller's transaction); its id."""
    if not conn.execute("SELECT 1 FROM devices WHERE serial = ?", (serial,)).fetchone():
        raise LookupError(f"device {serial} is not registered")
    cid = int(conn.execute(
        "INSERT INTO commands (serial, command, state, created_at, kind, params, secret)"
        " VALUES (?,?,'queued',?,?,?,?)",
        (serial, command.text, utc_now(), command.kind,
         json.dumps(command.params, ensure_ascii=False, sort_keys=True), sealed)).lastrowid)
    audit_queued(conn, serial, cid, command.kind, command.params, actor)
    return cid


class Commands(StoreBase):
    """Tables ``commands`` and ``command_results``."""


    def store_command_results(self, serial: str, addr: str | None,
                              results: list[CommandResult]) -> int:
        """§4.8: keep every result; close the queued command it names (``ID=<id>``): state
        ``done`` (Return >= 0) or ``failed``, with the return code and the result text."""
        def job(conn: sqlite3.Connection) -> int:
            now = utc_now()
            for r in results:
                conn.execute(
                    "INSERT INTO command_results (serial, cmd_id, return_code, cmd, fields, raw,"
                    " received_at) VALUES (?,?,?,?,?,?,?)",
                    (serial, r.cmd_id, r.return_code, r.cmd, json.dumps(r.fields), r.raw, now))
                if r.cmd_id.isdigit() and len(r.cmd_id) <= 16:
                    # before the sealed template is erased: its digest (a read-back of it
                    # from the terminal is not a new enrolment)
                    remember_sent(conn, getattr(self, "bio_cipher", None), serial,
                                  int(r.cmd_id), r.return_code)
                    closed = conn.execute(
                        "UPDATE commands SET state = ?, done_at = ?, return_code = ?, result = ?,"
                        " result_fields = ?, secret = NULL WHERE id = ? AND serial = ? AND state"
                        " IN ('queued', 'sent', 'timed_out')",  # a late answer is still the truth
                        (state_for(r.return_code), now, r.return_code,
                         r.raw[:MAX_RESULT_BYTES].decode("utf-8", "replace"),
                         json.dumps(r.fields, ensure_ascii=False), int(r.cmd_id), serial))
                    if closed.rowcount:  # a repeated result post changes nothing
                        after_result(conn, serial, int(r.cmd_id), r.return_code)
                if r.cmd == "INFO":
                    info = {k: v for k, v in r.fields.items()
                            if k not in {"ID", "Return", "CMD", "SN"}}
                    row = conn.execute("SELECT options FROM devices WHERE serial = ?",
                                       (serial,)).fetchone()
                    merged = json.loads(row[0]) if row else {}
                    merged.update(info)
                    conn.execute("UPDATE devices SET options = ? WHERE serial = ?",
                                 (json.dumps(merged, sort_keys=True), serial))
            conn.execute("UPDATE devices SET last_seen = ?, last_addr = ? WHERE serial = ?",
                         (now, addr, serial))
            return len(results)

        return self.write(job)

    # -- device commands (§4.6-§4.8)
    def queue_command(self, serial: str, command: Command, actor: str = "api"
                      ) -> dict[str, Any]:
        """Queue a typed command (built by :func:`zk_relay.commands.build`)."""
        sealed = self.seal_command(serial, command)
        cid = self.write(lambda conn: insert_command(conn, serial, command, sealed, actor))
        found = self.command(cid)
        assert found is not None
        return found

    def seal_command(self, serial: str, command: Command) -> bytes | None:
        """The template a command carries, sealed for ``commands.secret`` (None without one);
        refuses a text that is not a typed command's, and a template without a key."""
        if not wire_safe(command.text):
            raise ValueError("refused: not a typed command")
        cipher = getattr(self, "bio_cipher", None)
        if command.secret is not None and cipher is None:
            raise PermissionError("biometric data is off on this relay: no biometric key")
        return cipher.seal(command.secret, aad("command", serial, command.text)) \
            if command.secret is not None and cipher is not None else None

    def command(self, cid: int) -> dict[str, Any] | None:
        row = self.read().execute(_COMMAND_SELECT + " WHERE id = ?", (cid,)).fetchone()
        return _command_dict(row) if row else None

    def commands_page(self, after: int, limit: int, serial: str | None = None,
                      state: str | None = None) -> tuple[list[dict[str, Any]], bool]:
        where, args = ["id > ?"], [after]
        if serial:
            where.append("serial = ?")
            args.append(serial)  # type: ignore[arg-type]
        if state:
            where.append("state = ?")
            args.append(state)  # type: ignore[arg-type]
        rows = self.read().execute(
            _COMMAND_SELECT + f" WHERE {' AND '.join(where)} ORDER BY id LIMIT ?",
            (*args, limit + 1)).fetchall()
        return [_command_dict(r) for r in rows[:limit]], len(rows) > limit

    def take_commands(self, serial: str, limit: int = 200,
                      max_bytes: int = 40_000) -> list[tuple[int, str]]:
        """Queued commands for getrequest, marked sent. §4.6 caps: at most ``limit`` (200)
        commands and ``max_bytes`` (40 KB) per reply, nothing after a REBOOT. A stored text
        that is not one of the typed kinds' shapes (written by something other than the API)
        is never handed out: it is marked failed."""
        if not self.read().execute("SELECT 1 FROM commands WHERE serial = ? AND state ="
                                   " 'queued' LIMIT 1", (serial,)).fetchone():
            return []

        def job(conn: sqlite3.Connection) -> list[tuple[int, str]]:
            rows = conn.execute("SELECT id, command, secret FROM commands WHERE serial = ? AND"
                                " state = 'queued' ORDER BY id LIMIT ?",
                                (serial, limit)).fetchall()
            out: list[tuple[int, str]] = []
            refused: list[int] = []
            unsealed: list[tuple[int, str]] = []
            size = 0
            for cid, command, secret in rows:
                if not wire_safe(command):
                    refused.append(cid)
                    continue
                if secret is not None:
                    wire = self._unseal(serial, command, bytes(secret))
                    if wire is None:
                        unsealed.append((cid, command))
                        continue
                    command = wire
                size += len(command.encode("utf-8")) + len(str(cid)) + 4
                if out and size > max_bytes:
                    break
                out.append((cid, command))
                if command.split(" ", 1)[0] == "REBOOT":
                    break
            now = utc_now()
            conn.executemany("UPDATE commands SET state = 'sent', sent_at = ? WHERE id = ?",
                             [(now, cid) for cid, _ in out])
            conn.executemany("UPDATE commands SET state = 'failed', done_at = ?, result = ?"
                             " WHERE id = ?", [(now, "refused by the relay: not a typed"
                                                " command", cid) for cid in refused])
            conn.executemany("UPDATE commands SET state = 'failed', done_at = ?, result = ?,"
                             " secret = NULL WHERE id = ?",
                             [(now, "the template cannot be opened: the relay's biometric key is"
                               " missing or changed since it was queued", cid)
                              for cid, _ in unsealed])
            return out

        return self.write(job)

    def take_polled_commands(self, serial: str, kinds: Sequence[str], limit: int = 50
                             ) -> list[tuple[int, str, dict[str, Any], bytes | None]]:
        """Queued commands of ``kinds`` for a polled (pyzk) terminal, marked sent: (id, kind,
        params, template base64 or None). A template that cannot be opened fails the
        command, as for push terminals."""
        def job(conn: sqlite3.Connection) -> list[tuple[int, str, dict[str, Any], bytes | None]]:
            rows = conn.execute(
                "SELECT id, kind, params, command, secret FROM commands WHERE serial = ? AND"
                " state = 'queued' AND kind IN (SELECT value FROM json_each(?)) ORDER BY id"
                " LIMIT ?", (serial, json.dumps(list(kinds)), limit)).fetchall()
            out = []
            now = utc_now()
            for cid, kind, params, text, secret in rows:
                template = None
                if secret is not None:
                    cipher = getattr(self, "bio_cipher", None)
                    try:
                        template = cipher.open(bytes(secret), aad("command", serial, text)) \
                            if cipher is not None else None
                    except SealError:
                        template = None
                    if template is None:
                        conn.execute("UPDATE commands SET state = 'failed', done_at = ?,"
                                     " result = ?, secret = NULL WHERE id = ?",
                                     (now, "the template cannot be opened: the relay's"
                                      " biometric key is missing or changed", cid))
                        continue
                conn.execute("UPDATE commands SET state = 'sent', sent_at = ? WHERE id = ?",
                             (now, cid))
                out.append((cid, kind, json.loads(params or "{}"), template))
            return out

        return self.write(job)

    def _unseal(self, serial: str, text: str, secret: bytes) -> str | None:
        cipher = getattr(self, "bio_cipher", None)
        if cipher is None:
            return None
        try:
            return fill(text, cipher.open(secret, aad("command", serial, text)))
        except SealError:
            return None

    def expire_commands(self, timeout_seconds: float, now: datetime | None = None
                        ) -> tuple[int, int]:
        """Commands ``sent`` longer than ``timeout_seconds`` ago without a result: those of a
        kind in :data:`REQUEUE_KINDS` that were not re-sent yet go back to ``queued`` once
        (the terminal may have missed the reply that carried them); every other one becomes
        ``timed_out`` with the reason in ``result``. A result arriving later still closes it.
        Returns (re-queued, timed out)."""
        cutoff = ((now or datetime.now(UTC)) - timedelta(seconds=timeout_seconds)
                  ).isoformat(timespec="milliseconds")
        if not self.read().execute("SELECT 1 FROM commands WHERE state = 'sent' AND sent_at < ?"
                                   " LIMIT 1", (cutoff,)).fetchone():
            return 0, 0
        def job(conn: sqlite3.Connection) -> tuple[int, int]:
            requeued = conn.execute(
                "UPDATE commands SET state = 'queued', sent_at = NULL, retries = retries + 1"
                " WHERE state = 'sent' AND sent_at < ? AND retries = 0 AND kind IN"
                " (SELECT value FROM json_each(?))", (cutoff, json.dumps(REQUEUE_KINDS))).rowcount
            timed_out = conn.execute(
                "UPDATE commands SET state = 'timed_out', done_at = ?, result = ?, secret = NULL"
                " WHERE state = 'sent' AND sent_at < ?",
                (utc_now(), f"timed out: the terminal sent no result within {timeout_seconds:g}"
                 " s", cutoff)).rowcount
            return requeued, timed_out

        return self.write(job)

    def pending_tz_check(self, serial: str, target: str) -> bool:
        """DST / zone change (§7): the terminal's last handshake got a TimeZone other than
        ``target``. Queue one ``CHECK`` per target offset (it makes the terminal handshake
        again, §3) unless one is already waiting. Returns True when one was queued."""
        def job(conn: sqlite3.Connection) -> bool:
            row = conn.execute("SELECT handshake_tz, tz_check_for FROM devices WHERE serial = ?",
                               (serial,)).fetchone()
            if row is None or row[0] is None or row[0] == target or row[1] == target:
                return False
            conn.execute("UPDATE devices SET tz_check_for = ? WHERE serial = ?",
                         (target, serial))
            if conn.execute("SELECT 1 FROM commands WHERE serial = ? AND command = 'CHECK' AND"
                            " state IN ('queued', 'sent')", (serial,)).fetchone():
                return False
            conn.execute("INSERT INTO commands (serial, command, state, created_at, kind, params)"
                         " VALUES (?, 'CHECK', 'queued', ?, 'check', ?)",
                         (serial, utc_now(), json.dumps({"reason": "timezone offset now "
                                                         + target})))
            return True

        return self.write(job)

    def command_counts(self) -> dict[str, int]:
        return {state: int(n) for state, n in self.read().execute(
            "SELECT state, count(*) FROM commands GROUP BY state")}

