"""Fingerprint templates read back from a polled (pyzk) terminal (issue 19): a person enrolled
a finger at the terminal's keypad, and the poller read the terminal's template table.

Each template is compared with what the relay has seen of that terminal, PIN and finger by a
keyed digest (``bio_seen``, :meth:`BiometricCipher.digest`; never a plain hash), else with the
template it still holds (after unsealing). A new or changed template is sealed exactly like an
uploaded FP row (``seal_template``: same table, same audit ``stored``, the algorithm from the
terminal's FP version), so Odoo's template page carries it once. An unchanged one is not stored
again, nor is a template Odoo itself sent to the terminal (``template_upsert``; its digest is
remembered when the terminal confirms it, :func:`remember_sent`). A template missing from the
read is not deleted: erasure goes through the commands."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import sqlite3
from dataclasses import dataclass

from zk_relay.biometric_crypto import BiometricCipher, SealError, aad
from zk_relay.biometric_rows import MAX_TEMPLATE_BYTES, Template
from zk_relay.store.base import StoreBase
from zk_relay.store.biometrics import audit, remember_seen, seal_template, template_aad
from zk_relay.store.db import utc_now

KIND = "fingerprint"


@dataclass(frozen=True, slots=True)
class ReadTemplate:
    """One entry of the terminal's template table, its uid already mapped to the PIN."""

    pin: str
    index: int  # finger 0-9
    valid: int  # 1 normal, 3 duress finger
    data: bytes


@dataclass(slots=True)
class ReadbackResult:
    read: int = 0
    stored: int = 0
    unchanged: int = 0
    refused: int = 0


def _refusal(t: ReadTemplate) -> str | None:
    if not 0 <= t.index <= 9:
        return f"finger number {t.index} read from the terminal is not 0-9"
    if not t.data:
        return "template read from the terminal is empty"
    if len(t.data) > MAX_TEMPLATE_BYTES:
        return f"template of {len(t.data)} bytes read from the terminal is larger than any" \
               " real template"
    return None


def _unchanged(conn: sqlite3.Connection, cipher: BiometricCipher, serial: str,
               t: ReadTemplate, digest: bytes, now: str) -> bool:
    seen = conn.execute("SELECT digest FROM bio_seen WHERE serial = ? AND pin = ? AND kind = ?"
                        " AND idx = ? AND sub = 0", (serial, t.pin, KIND, t.index)).fetchone()
    if seen is not None:
        return hmac.compare_digest(bytes(seen[0]), digest)
    # held from before digests were kept: compare with the template itself
    held = conn.execute("SELECT sealed FROM bio_templates WHERE serial = ? AND pin = ? AND"
                        " kind = ? AND idx = ? AND sub = 0",
                        (serial, t.pin, KIND, t.index)).fetchone()
    if held is None:
        return False
    try:
        same = hmac.compare_digest(cipher.open(bytes(held[0]), template_aad(
            serial, t.pin, KIND, t.index)), t.data)
    except SealError:
        return False
    if same:
        remember_seen(conn, serial, t.pin, KIND, t.index, 0, digest, now)
    return same


def remember_sent(conn: sqlite3.Connection, cipher: BiometricCipher | None, serial: str,
                  cid: int, code: int | None) -> None:
    """A ``template_upsert`` the terminal confirmed (``Return`` >= 0): remember the keyed
    digest of the template Odoo sent, so reading it back is not a new enrolment. Runs before
    the command's sealed template is erased."""
    if cipher is None or code is None or code < 0:
        return
    row = conn.execute("SELECT params, command, secret FROM commands WHERE id = ? AND serial = ?"
                       " AND kind = 'template_upsert' AND secret IS NOT NULL AND state IN"
                       " ('queued', 'sent', 'timed_out')", (cid, serial)).fetchone()
    if row is None:
        return
    params = json.loads(row[0] or "{}")
    try:
        data = base64.b64decode(cipher.open(bytes(row[2]), aad("command", serial, row[1])),
                                validate=True)
    except (SealError, binascii.Error, ValueError):
        return
    kind, index, sub = params.get("kind"), params.get("index"), params.get("sub_index") or 0
    if not isinstance(kind, str) or not isinstance(index, int) or not isinstance(sub, int):
        return
    associated = template_aad(serial, str(params.get("pin", "")), kind, index, sub)
    remember_seen(conn, serial, str(params.get("pin", "")), kind, index, sub,
                  cipher.digest(data, associated), utc_now())


class TemplateReadback(StoreBase):
    """Templates a poll read from a terminal's fingerprint table."""

    bio_cipher: BiometricCipher | None = None

    def store_read_templates(self, serial: str, fp_version: int | None,
                             templates: list[ReadTemplate]) -> ReadbackResult:
        """Seal the new and changed templates of one read (``fp_version``: the terminal's
        fingerprint algorithm major version, also kept as its ``FPVersion`` option so
        ``template_upsert`` can tell a template it could not use)."""
        cipher = self.bio_cipher
        result = ReadbackResult(read=len(templates))
        if cipher is None:  # the poller does not read without a key; nothing is kept
            return result
        major = fp_version if fp_version and fp_version > 0 else None

        def job(conn: sqlite3.Connection) -> ReadbackResult:
            now = utc_now()
            if major is not None:
                row = conn.execute("SELECT options FROM devices WHERE serial = ?",
                                   (serial,)).fetchone()
                options = json.loads(row[0] or "{}") if row else {}
                if options.get("FPVersion") != str(major):
                    options["FPVersion"] = str(major)
                    conn.execute("UPDATE devices SET options = ? WHERE serial = ?",
                                 (json.dumps(options, sort_keys=True), serial))
            for t in templates:
                reason = _refusal(t)
                if reason is not None:
                    result.refused += 1
                    audit(conn, "dropped", serial, reason, serial=serial, pin=t.pin, kind=KIND)
                    continue
                digest = cipher.digest(t.data, template_aad(serial, t.pin, KIND, t.index))
                if _unchanged(conn, cipher, serial, t, digest, now):
                    result.unchanged += 1
                    continue
                seal_template(conn, cipher, serial,
                              Template(t.pin, KIND, t.index, 0, t.valid, major, None, 0, t.data),
                              now, f"{len(t.data)} bytes, sealed; enrolled at the terminal,"
                              " read back by the poll")
                result.stored += 1
            return result

        return self.write(job)


__all__ = ["ReadTemplate", "ReadbackResult", "TemplateReadback", "remember_sent"]
