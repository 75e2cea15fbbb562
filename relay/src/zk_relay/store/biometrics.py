"""Biometric data on the relay (issue 19): sealed templates and punch photos, their pages for
Odoo, erasure, retention, and the audit of every store, read, transfer and deletion.

Nothing here is ever in clear on disk: templates live in ``bio_templates.sealed`` and photos in
``photos.data`` (``sealed = 1``) as AES-256-GCM ``nonce || ciphertext``; without a key
(``self.bio_cipher is None``) they are counted, audited as dropped and not kept."""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from zk_relay.adms import BadLine, Photo
from zk_relay.adms_operlog import BioRow
from zk_relay.biometric_crypto import BiometricCipher, aad
from zk_relay.biometric_rows import (
    ALGORITHM_PREFIX,
    BIOMETRIC_ROWS,
    Template,
    device_versions,
    parse_template,
    redact,
)
from zk_relay.store.base import StoreBase
from zk_relay.store.db import INSERT_QUARANTINE, utc_now

AUDIT_KEYS = ("id", "at", "action", "serial", "pin", "kind", "index", "actor", "detail")
BIO_COMMANDS = ("template_upsert", "template_delete", "user_erase")


def audit(conn: sqlite3.Connection, action: str, actor: str, detail: str = "", *,
          serial: str | None = None, pin: str | None = None, kind: str | None = None,
          index: int | None = None) -> None:
    """One audit row: who did what to whose biometric data; never the data itself."""
    conn.execute("INSERT INTO bio_audit (at, action, serial, pin, kind, idx, actor, detail)"
                 " VALUES (?,?,?,?,?,?,?,?)",
                 (utc_now(), action, serial, pin, kind, index, actor, detail[:500]))


RESULT_TEXT = {-1001: "the terminal's memory is full", -1007: "the terminal's memory is full",
               -30: "algorithm version mismatch", -9: "template rejected as invalid",
               -11: "template rejected as invalid", -12: "template rejected as invalid",
               -10: "user not on the terminal",
               -1002: "command not supported by this firmware"}


def result_text(code: int | None) -> str:
    if code is None:
        return "no return code"
    meaning = RESULT_TEXT.get(code, "done" if code >= 0 else "refused")
    return f"{meaning} (Return={code})"


def audit_queued(conn: sqlite3.Connection, serial: str, cid: int, kind: str,
                 params: dict[str, Any], actor: str) -> None:
    if kind in BIO_COMMANDS:
        audit(conn, "queued", actor, f"{kind} queued as command {cid}", serial=serial,
              pin=params.get("pin"), kind=params.get("kind"), index=params.get("index"))


def after_result(conn: sqlite3.Connection, serial: str, cid: int, code: int | None) -> None:
    """A terminal's result for a biometric command: audited; a confirmed erasure (or a PIN
    the terminal does not have, Return -10) deletes the relay's own copies of that person's
    templates and photos from that terminal."""
    row = conn.execute("SELECT kind, params FROM commands WHERE id = ? AND serial = ?",
                       (cid, serial)).fetchone()
    if row is None or row[0] not in BIO_COMMANDS:
        return
    kind, params = row[0], json.loads(row[1] or "{}")
    pin, bio_kind, index = params.get("pin"), params.get("kind"), params.get("index")
    ok = code is not None and code >= 0
    gone = ok or (code == -10 and kind != "template_upsert")
    if gone and not ok:  # -10 for a deletion: nothing left to delete, so it is done
        conn.execute("UPDATE commands SET state = 'done' WHERE id = ?", (cid,))
    text = result_text(code)
    if kind == "template_upsert":
        audit(conn, "sent" if ok else "failed", serial, f"command {cid}: {text}",
              serial=serial, pin=pin, kind=bio_kind, index=index)
        return
    if not gone:
        audit(conn, "failed", serial, f"{kind} command {cid}: {text}", serial=serial, pin=pin,
              kind=bio_kind, index=index)
        return
    where, args = ["serial = ?", "pin = ?"], [serial, pin]
    if kind == "template_delete" and bio_kind is not None:
        where.append("kind = ?")
        args.append(bio_kind)
        if index is not None:
            where.append("idx = ?")
            args.append(index)
    templates = conn.execute(f"DELETE FROM bio_templates WHERE {' AND '.join(where)}",  # noqa: S608
                             args).rowcount
    conn.execute(f"DELETE FROM bio_seen WHERE {' AND '.join(where)}", args)  # noqa: S608
    photos = conn.execute("DELETE FROM photos WHERE serial = ? AND pin = ?",
                          (serial, pin)).rowcount if kind == "user_erase" else 0
    audit(conn, "erased" if kind == "user_erase" else "deleted", serial,
          f"command {cid}: {text}; relay copies deleted: {templates} template(s)"
          + (f", {photos} photo(s)" if kind == "user_erase" else ""),
          serial=serial, pin=pin, kind=bio_kind, index=index)


def template_aad(serial: str, pin: str, kind: str, index: int, sub: int = 0) -> bytes:
    return aad(serial, pin, kind, index, sub)


def photo_aad(serial: str, filename: str) -> bytes:
    return aad(serial, "photo", filename)


def store_bio_rows(conn: sqlite3.Connection, cipher: BiometricCipher | None, serial: str,
                   rows: Sequence[BioRow], now: str, source: str) -> tuple[int, int]:
    """Biometric rows of an upload: sealed into ``bio_templates`` (a newer template of the
    same finger replaces the older), or dropped (no key; refused rows go to quarantine with
    their template redacted). Returns (stored, dropped)."""
    stored = dropped = 0
    versions: dict[str, int | None] | None = None
    for row in rows:
        if cipher is None:
            dropped += 1
            audit(conn, "dropped", serial, "not kept: no biometric key on the relay",
                  serial=serial, pin=row.pin)
            continue
        if versions is None:
            found = conn.execute("SELECT info, options FROM devices WHERE serial = ?",
                                 (serial,)).fetchone()
            versions = device_versions(json.loads(found[0] or "{}"),
                                       json.loads(found[1] or "{}")) if found else {}
        parsed = parse_template(row.kind, row.pin, row.raw, versions)
        if isinstance(parsed, str):
            dropped += 1
            conn.execute(INSERT_QUARANTINE, (serial, source, parsed, redact(row.raw), now))
            audit(conn, "dropped", serial, parsed, serial=serial, pin=row.pin)
            continue
        seal_template(conn, cipher, serial, parsed, now, f"{len(parsed.data)} bytes, sealed")
        stored += 1
    return stored, dropped


def seal_template(conn: sqlite3.Connection, cipher: BiometricCipher, serial: str,
                  parsed: Template, now: str, detail: str) -> None:
    """Seal one template into ``bio_templates`` (a newer template of the same finger replaces
    the older one, under a new id, so Odoo's cursor sees it), remember its keyed digest
    (``bio_seen``: a read-back of the same template is not a new one) and audit ``stored``."""
    associated = template_aad(serial, parsed.pin, parsed.kind, parsed.index, parsed.sub)
    conn.execute("DELETE FROM bio_templates WHERE serial = ? AND pin = ? AND kind = ? AND"
                 " idx = ? AND sub = ?", (serial, parsed.pin, parsed.kind, parsed.index,
                                          parsed.sub))
    conn.execute(
        "INSERT INTO bio_templates (serial, pin, kind, idx, sub, valid, major, minor, format,"
        " size, sealed, received_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        (serial, parsed.pin, parsed.kind, parsed.index, parsed.sub, parsed.valid,
         parsed.major, parsed.minor, parsed.fmt, len(parsed.data),
         cipher.seal(parsed.data, associated), now))
    remember_seen(conn, serial, parsed.pin, parsed.kind, parsed.index, parsed.sub,
                  cipher.digest(parsed.data, associated), now)
    audit(conn, "stored", serial, detail, serial=serial, pin=parsed.pin, kind=parsed.kind,
          index=parsed.index)


def remember_seen(conn: sqlite3.Connection, serial: str, pin: str, kind: str, index: int,
                  sub: int, digest: bytes, now: str) -> None:
    """The keyed digest of the template this terminal holds for this finger (never the
    template, never a plain hash)."""
    conn.execute("INSERT INTO bio_seen (serial, pin, kind, idx, sub, digest, seen_at)"
                 " VALUES (?,?,?,?,?,?,?) ON CONFLICT(serial, pin, kind, idx, sub) DO UPDATE"
                 " SET digest = excluded.digest, seen_at = excluded.seen_at",
                 (serial, pin, kind, index, sub, digest, now))


def redact_bad(bad: Sequence[BadLine]) -> list[BadLine]:
    """Refused OPERLOG/BIODATA lines of biometric kinds keep no template bytes."""
    return [BadLine(redact(b.raw), b.reason) if b.raw.split(b" ", 1)[0].strip().upper().decode(
        "ascii", "replace") in BIOMETRIC_ROWS else b for b in bad]


class Biometrics(StoreBase):
    """Tables ``bio_templates``, ``bio_audit``; the sealed ``photos``."""

    bio_cipher: BiometricCipher | None = None

    def biometric_state(self) -> str:
        return "on" if self.bio_cipher is not None else "off: no key"

    # -- photos (§4.4)
    def store_photo(self, serial: str, addr: str | None, photo: Photo | BadLine,
                    stamp: str | None) -> bool:
        cipher = self.bio_cipher

        def job(conn: sqlite3.Connection) -> bool:
            now = utc_now()
            if isinstance(photo, BadLine):
                conn.execute(INSERT_QUARANTINE, (serial, "ATTPHOTO", photo.reason,
                                                 photo.raw.split(b"\x00", 1)[0], now))
                conn.execute("UPDATE devices SET last_seen = ?, last_addr = ?, quarantined ="
                             " quarantined + 1 WHERE serial = ?", (now, addr, serial))
                return False
            added = 0
            if cipher is None:
                audit(conn, "dropped", serial, "punch photo not kept: no biometric key on the"
                      " relay", serial=serial, pin=photo.pin or None, kind="photo")
            else:
                added = conn.execute(
                    "INSERT INTO photos (serial, filename, pin, local_time, size, header, data,"
                    " received_at, sealed) VALUES (?,?,?,?,?,?,?,?,1)"
                    " ON CONFLICT(serial, filename) DO NOTHING",
                    (serial, photo.filename, photo.pin, photo.local_time, len(photo.data),
                     photo.header, cipher.seal(photo.data, photo_aad(serial, photo.filename)),
                     now)).rowcount
                if added:
                    audit(conn, "stored", serial, f"punch photo, {len(photo.data)} bytes,"
                          " sealed", serial=serial, pin=photo.pin or None, kind="photo")
            conn.execute(
                "UPDATE devices SET last_seen = ?, last_addr = ?, photos_stored = photos_stored"
                " + ?, attphoto_stamp = coalesce(?, attphoto_stamp) WHERE serial = ?",
                (now, addr, added, stamp, serial))
            return True

        return self.write(job)

    # -- pages for Odoo (biometric-scoped token only)
    def templates_page(self, after: int, limit: int, actor: str
                       ) -> tuple[list[dict[str, Any]], bool]:
        cipher = self.bio_cipher
        if cipher is None:
            return [], False
        rows = self.read().execute(
            "SELECT id, serial, pin, kind, idx, sub, valid, major, minor, format, size, sealed,"
            " received_at FROM bio_templates WHERE id > ? ORDER BY id LIMIT ?",
            (after, limit + 1)).fetchall()
        out = []
        for r in rows[:limit]:
            data = cipher.open(r[11], template_aad(r[1], r[2], r[3], r[4], r[5]))
            major = "" if r[7] is None else str(r[7])
            out.append({"id": r[0], "serial": r[1], "pin": r[2], "kind": r[3], "index": r[4],
                        "sub_index": r[5], "valid": r[6],
                        "algorithm": f"{ALGORITHM_PREFIX.get(r[3], r[3])}:{major}",
                        "minor_version": r[8], "format": r[9], "size": r[10],
                        "data": base64.b64encode(data).decode("ascii"), "received_at": r[12]})

        def job(conn: sqlite3.Connection) -> None:
            for t in out:
                audit(conn, "read", actor, "template read through the API", serial=t["serial"],
                      pin=t["pin"], kind=t["kind"], index=t["index"])
            if not out:
                audit(conn, "read", actor, f"templates page after {after}: empty")

        self.write(job)
        return out, len(rows) > limit

    def photos_page(self, after: int, limit: int, actor: str
                    ) -> tuple[list[dict[str, Any]], bool]:
        cipher = self.bio_cipher
        if cipher is None:
            return [], False
        rows = self.read().execute(
            "SELECT p.id, p.serial, p.pin, p.local_time, d.timezone, p.data, p.received_at,"
            " p.filename, (SELECT e.fingerprint FROM events e WHERE e.serial = p.serial AND"
            " e.pin = p.pin AND e.local_time = p.local_time) FROM photos p LEFT JOIN devices d"
            " ON d.serial = p.serial WHERE p.id > ? AND p.sealed = 1 ORDER BY p.id LIMIT ?",
            (after, limit + 1)).fetchall()
        out = []
        for r in rows[:limit]:
            data = cipher.open(r[5], photo_aad(r[1], r[7]))
            out.append({"id": r[0], "serial": r[1], "pin": r[2] or None, "local_time": r[3],
                        "timezone": r[4], "event_fingerprint": r[8],
                        "content_type": "image/jpeg", "size": len(data),
                        "data": base64.b64encode(data).decode("ascii"), "received_at": r[6]})

        def job(conn: sqlite3.Connection) -> None:
            for p in out:
                audit(conn, "read", actor, "punch photo read through the API",
                      serial=p["serial"], pin=p["pin"], kind="photo")

        self.write(job)
        return out, len(rows) > limit

    def biometric_ack(self, actor: str, templates_up_to: int | None,
                      photos_up_to: int | None) -> dict[str, int]:
        def job(conn: sqlite3.Connection) -> dict[str, int]:
            out = {}
            for key, value in (("templates_acked_up_to", templates_up_to),
                               ("photos_acked_up_to", photos_up_to)):
                old = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
                now_value = max(int(old[0]) if old else 0, value or 0)
                conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO"
                             " UPDATE SET value = excluded.value", (key, str(now_value)))
                out[key] = now_value
            templates, photos = out["templates_acked_up_to"], out["photos_acked_up_to"]
            audit(conn, "read", actor, f"Odoo confirmed templates up to {templates},"
                  f" photos up to {photos}")
            return out

        return self.write(job)

    def audit_page(self, after: int, limit: int) -> tuple[list[dict[str, Any]], bool]:
        rows = self.read().execute(
            "SELECT id, at, action, serial, pin, kind, idx, actor, detail FROM bio_audit"
            " WHERE id > ? ORDER BY id LIMIT ?", (after, limit + 1)).fetchall()
        return [dict(zip(AUDIT_KEYS, r, strict=True)) for r in rows[:limit]], len(rows) > limit

    def templates_held(self, serial: str | None = None, pin: str | None = None) -> int:
        where, args = ["1"], []
        for column, value in (("serial", serial), ("pin", pin)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        return int(self.read().execute(
            f"SELECT count(*) FROM bio_templates WHERE {' AND '.join(where)}",  # noqa: S608
            args).fetchone()[0])

    # -- retention and migration
    def prune_biometrics(self, template_days: int, photo_days: int,
                         now: datetime | None = None) -> tuple[int, int]:
        """Templates Odoo confirmed (ack) older than ``template_days`` and photos older than
        ``photo_days`` are deleted (0: kept until erased). Returns (templates, photos)."""
        moment = now or datetime.now(UTC)

        def cutoff(days: int) -> str:
            return (moment - timedelta(days=days)).isoformat(timespec="milliseconds")

        def job(conn: sqlite3.Connection) -> tuple[int, int]:
            templates = photos = 0
            if template_days > 0:
                acked = conn.execute("SELECT value FROM meta WHERE key ="
                                     " 'templates_acked_up_to'").fetchone()
                templates = conn.execute(
                    "DELETE FROM bio_templates WHERE id <= ? AND received_at < ?",
                    (int(acked[0]) if acked else 0, cutoff(template_days))).rowcount
            if photo_days > 0:
                photos = conn.execute("DELETE FROM photos WHERE received_at < ?",
                                      (cutoff(photo_days),)).rowcount
            if templates or photos:
                audit(conn, "deleted", "retention", f"{templates} template(s) Odoo took older"
                      f" than {template_days} days, {photos} photo(s) older than {photo_days}"
                      " days")
            return templates, photos

        return self.write(job)

    def migrate_biometrics(self) -> tuple[int, int]:
        """Biometric rows and photos an older relay kept in clear: sealed (with a key) or
        deleted (without). Returns (sealed, deleted)."""
        cipher = self.bio_cipher
        kinds = sorted(BIOMETRIC_ROWS)

        def job(conn: sqlite3.Connection) -> tuple[int, int]:
            sealed = deleted = 0
            rows = conn.execute("SELECT id, serial, kind, pin, raw, received_at FROM biodata"
                                " WHERE kind IN (SELECT value FROM json_each(?))",
                                (json.dumps(kinds),)).fetchall()
            by_serial: dict[str, list[BioRow]] = {}
            for _id, serial, kind, pin, raw, _at in rows:
                by_serial.setdefault(serial, []).append(BioRow(kind, pin, bytes(raw)))
            for serial, bio in by_serial.items():
                stored, dropped = store_bio_rows(conn, cipher, serial, bio, utc_now(),
                                                 "BIODATA")
                sealed, deleted = sealed + stored, deleted + dropped
            conn.execute("DELETE FROM biodata WHERE kind IN (SELECT value FROM json_each(?))",
                         (json.dumps(kinds),))
            for pid, serial, filename, data in conn.execute(
                    "SELECT id, serial, filename, data FROM photos WHERE sealed = 0").fetchall():
                if cipher is None:
                    conn.execute("DELETE FROM photos WHERE id = ?", (pid,))
                    deleted += 1
                else:
                    conn.execute("UPDATE photos SET data = ?, sealed = 1 WHERE id = ?",
                                 (cipher.seal(bytes(data), photo_aad(serial, filename)), pid))
                    sealed += 1
            if sealed or deleted:
                audit(conn, "stored" if cipher else "deleted", "migration",
                      f"clear biometric data of an older relay: {sealed} sealed,"
                      f" {deleted} deleted")
            return sealed, deleted

        return self.write(job)

