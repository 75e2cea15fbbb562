"""The device side: ADMS / iClock endpoints under ``/iclock/`` (adms-protocol.md §4).

Every answer is ``text/plain`` (§0.3); Waitress adds the ``Date`` header (§0.4). Success is
status 200 with ``OK`` in the body and is only sent after the records are committed (§0.2);
every refusal (unknown serial, oversized body, server error) is a non-200 status whose body never
contains the letters ``OK``.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus

from bottle import HTTPResponse

from zk_relay import adms, adms_handshake, adms_operlog
from zk_relay.adms_guards import AddressFilter, KnockLimiter
from zk_relay.config import Config
from zk_relay.metrics import Metrics
from zk_relay.store import Store

log = logging.getLogger("zk_relay.push")

TEXT = {"Content-Type": "text/plain"}


def text(body: str, status: int = 200) -> HTTPResponse:
    if status != 200:
        assert "OK" not in body, "a refusal must never contain OK (§0.1)"
    return HTTPResponse(body.encode("utf-8"), status, headers=TEXT)


# §4.10 / §8: a body starting UNKNOWN DEVICE makes the terminal drop its session and handshake
# again, which hands it a new SessionID; 401 keeps the records on the terminal.
REFUSAL_SESSION = "UNKNOWN DEVICE: session token missing or wrong, handshake again"


def cookie_token(header: str) -> str | None:
    """The ``token`` value of a ``Cookie:`` header, or None."""
    for part in header.split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key.strip().lower() == "token":
            return value.strip().strip('"')
    return None


def refuse_unknown() -> HTTPResponse:
    return text(adms.REFUSAL_UNKNOWN, 403)


class Request:
    """What a handler needs from the WSGI environ: query (keys lower-cased), body, address."""

    __slots__ = ("environ", "query", "raw_query", "serial", "addr", "method", "path")

    def __init__(self, environ: dict[str, Any], path: str) -> None:
        self.environ = environ
        self.raw_query = environ.get("QUERY_STRING", "")
        query: dict[str, str] = {}
        for part in self.raw_query.split("&"):
            key, _, value = part.partition("=")
            if "%" in part or "+" in part:
                key, value = unquote_plus(key), unquote_plus(value)
            query.setdefault(key.lower(), value)
        self.query = query
        self.serial = query.get("sn", "").strip()
        self.addr = environ.get("REMOTE_ADDR")
        self.method = environ.get("REQUEST_METHOD", "GET")
        self.path = path

    def body(self) -> bytes:
        length = int(self.environ.get("CONTENT_LENGTH") or 0)
        return self.environ["wsgi.input"].read(length) if length > 0 else b""


class PushHandlers:
    def __init__(self, store: Store, config: Config, *,
                 now: Callable[[], datetime] | None = None,
                 metrics: Metrics | None = None) -> None:
        self.store = store
        self.config = config
        self.now = now or (lambda: datetime.now(UTC))
        self.metrics = metrics
        self.allow = AddressFilter(config.adms_allow)
        self.knocks = KnockLimiter(config.knocks_per_minute)
        self.routes: dict[str, Callable[[Request, tuple[Any, ...]], HTTPResponse]] = {
            "cdata": self.cdata,
            "getrequest": self.getrequest,
            "devicecmd": self.devicecmd,
            "ping": self.ping,
            "fdata": self.fdata,
            "registry": self.registry,
            "push": self.push,
            "querydata": self.querydata,
        }

    # -- entry point
    def dispatch(self, environ: dict[str, Any], endpoint: str) -> HTTPResponse:
        name = endpoint[:-5] if endpoint.lower().endswith(".aspx") else endpoint  # §2.1 eSSL
        handler = self.routes.get(name.lower())
        if handler is None:
            return text("NOT FOUND", 404)
        req = Request(environ, name.lower())
        if not self.allow.allowed(req.addr):  # §8: source address is authorisation material
            log.warning("ADMS request from %s refused: address not in adms_allow", req.addr,
                        extra={"addr": req.addr, "path": environ.get("PATH_INFO", "")})
            self._refused("address")
            return text("FORBIDDEN: address not allowed", 403)
        if not adms.valid_serial(req.serial):
            return text("BAD REQUEST: missing or invalid SN", 400)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > self.config.max_body_bytes:
            log.warning("refused %d-byte body from %s (limit %d)", length, req.serial,
                        self.config.max_body_bytes)
            return text(f"REFUSED: body of {length} bytes exceeds the limit of "
                        f"{self.config.max_body_bytes} bytes", 413)
        device = self.store.device_brief(req.serial)
        if device is None:
            if not self.knocks.allow(req.addr):  # §8: a flood of made-up serials stores nothing
                self._refused("knock_rate")
                if self.knocks.refused % 100 == 1:
                    log.warning("unknown serials from %s: more than %d knocks a minute, not"
                                " recorded (%d refused so far)", req.addr,
                                self.knocks.per_minute, self.knocks.refused)
                return refuse_unknown()
            self.store.record_knock(req.serial, req.addr, req.query.get("pushver"),
                                    self.config.pending_max)
            log.warning("unknown device %s from %s: pending approval", req.serial, req.addr)
            self._refused("unknown_device")
            if req.path == "registry":
                return text(adms.REFUSAL_UNKNOWN, 406)
            return refuse_unknown()
        if not device[1]:
            log.warning("disabled device %s from %s refused", req.serial, req.addr)
            self._refused("disabled_device")
            return refuse_unknown()
        expected_token = device[4] if len(device) > 4 else None
        if expected_token is not None and not self._session_ok(req, expected_token):
            return text(REFUSAL_SESSION, 401)
        try:
            return handler(req, device)
        except Exception:
            log.exception("error handling %s %s from %s", req.method, req.path, req.serial)
            return text("SERVER ERROR: not stored, send again", 500)

    def _session_ok(self, req: Request, expected: str) -> bool:
        """§4.10: once a PUSH 3.x terminal has a RegistryCode and a SessionID, every request
        but the handshake (which starts a new session) and the registration carries ``Cookie:
        token=`` = MD5(RegistryCode + SN + SessionID). The serial registry and the address
        allowlist were checked before; this is the third gate. With ``push3_session_check =
        "warn"`` a wrong token is logged and counted but the request is served."""
        if req.path == "registry" or (req.path == "cdata" and req.method != "POST"):
            return True
        presented = cookie_token(req.environ.get("HTTP_COOKIE", ""))
        if presented is not None and hmac.compare_digest(presented.lower().encode(),
                                                         expected.encode()):
            return True
        what = "missing" if presented is None else "wrong"
        if self.config.push3_session_check == "warn":
            log.warning("%s: session token %s on %s from %s; served (push3_session_check = warn)",
                        req.serial, what, req.path, req.addr)
            return True
        log.warning("%s: session token %s on %s from %s: refused, the terminal must handshake"
                    " again", req.serial, what, req.path, req.addr)
        self._refused("session_token")
        return False

    def _refused(self, reason: str) -> None:
        if self.metrics is not None:
            self.metrics.refused.labels(reason).inc()

    # -- §4.1 handshake, §4.2-4.5 uploads, §4.10 PUSH 3.x data
    def cdata(self, req: Request, device: tuple[Any, ...]) -> HTTPResponse:
        if req.method != "POST":
            return self.handshake(req, device)
        table = req.query.get("table", "").strip()
        upper = table.upper()
        body = req.body()
        serial, tz = req.serial, device[0]
        if upper == "ATTLOG":
            punches, bad = adms.parse_attlog(serial, body)
            result = self.store.store_punches(serial, tz, req.addr, "ATTLOG", punches, bad,
                                              adms.clean_stamp(req.query.get("stamp")))
            if bad:
                log.warning("%s: %d ATTLOG line(s) quarantined", serial, len(bad))
            return text(f"OK: {result.accepted}")
        if upper in {"OPERLOG", "BIODATA"}:
            if req.query.get("contenttype", "").lower() == "tgz":
                # a bulk archive may hold templates: never kept as it came (issue 19)
                self.store.store_raw(serial, req.addr, req.path, req.raw_query,
                                     b"<tgz body of %d bytes not kept: it may hold biometric"
                                     b" templates>" % len(body))
                return text("OK")
            parsed = adms_operlog.parse_operlog(body)
            stamp = adms.clean_stamp(req.query.get("stamp") or req.query.get("opstamp"))
            count = self.store.store_operlog(serial, tz, req.addr, parsed, stamp, upper)
            if parsed.bad:
                log.warning("%s: %d %s line(s) quarantined", serial, len(parsed.bad), upper)
            return text(f"OK: {count}")
        if upper == "ATTPHOTO":
            return self._photo(req, body, req.query.get("stamp"))
        if upper == "OPTIONS":
            self.store.store_options(serial, req.addr, adms.parse_options_body(body), body,
                                     req.path, req.raw_query)
            return text("OK")
        if upper == "RTLOG":
            punches, bad, other = adms.parse_rtlog(serial, body)
            result = self.store.store_punches(serial, tz, req.addr, "rtlog", punches, bad, None,
                                              stamp_column=None)
            if other:
                self.store.store_raw(serial, req.addr, req.path, req.raw_query, body)
            return text(f"OK: {result.accepted}")
        if not table:  # §4.5 / §9.8: command results posted to cdata without a table
            return self._command_results(req, body)
        # ERRORLOG, IDCARD, rtstate, tabledata, ...: kept raw, never dropped
        self.store.store_raw(serial, req.addr, req.path, req.raw_query, body)
        return text("OK")

    def handshake(self, req: Request, device: tuple[Any, ...]) -> HTTPResponse:
        serial = req.serial
        expected_key = device[2]
        if expected_key:
            presented = req.query.get("pushcommkey", "")
            if not hmac.compare_digest(presented.encode(), expected_key.encode()):
                log.warning("%s: handshake with a wrong pushcommkey from %s", serial, req.addr)
                self._refused("pushcommkey")
                return refuse_unknown()
        full = self.store.device(serial)
        if full is None:
            return refuse_unknown()
        pushver = req.query.get("pushver") or None
        cfg = self.config
        tz_option = adms_handshake.timezone_option(full["timezone"], self.now())
        self.store.touch(serial, req.addr, handshake=True, pushver=pushver,
                         handshake_tz=tz_option)
        if pushver and pushver.strip().startswith("3"):
            if not full["registry_code"]:
                return text("OK")  # §4.10: known but not yet registered → registry next
            # "the client needs to be registered for each connection" (§4.10): each handshake
            # starts a new session, whose SessionID the terminal's later tokens are made from
            return text(self._push3_block(full, tz_option, self.store.new_session(serial)))
        stamps = adms_handshake.Stamps(full["attlog_stamp"], full["operlog_stamp"],
                             full["attphoto_stamp"], full["biodata_stamp"])
        return text(adms_handshake.option_block(
            serial, stamps, tz_option, delay=cfg.delay, error_delay=cfg.error_delay,
            trans_times=cfg.trans_times, trans_interval=cfg.trans_interval,
            trans_flag=self._trans_flag(), realtime=cfg.realtime, server_ver=cfg.server_ver,
            push_prot_ver=cfg.push_prot_ver))

    def _trans_flag(self) -> str:
        """With a biometric key (issue 19) terminals are also asked for templates and punch
        photos; without one they are not asked for what the relay would not keep."""
        flag = self.config.trans_flag
        if self.store.bio_cipher is None or not flag.startswith("TransData"):
            return flag
        extra = [name for name in ("EnrollFP", "ChgFP", "FACE", "AttPhoto") if name not in flag]
        return "\t".join([flag, *extra]) if extra else flag

    def _push3_block(self, device: dict[str, Any], tz_option: str, session: str) -> str:
        cfg = self.config
        lines = [
            "registry=ok",
            f"RegistryCode={device['registry_code']}",
            f"ServerVersion={cfg.server_ver}",
            f"ServerName={cfg.server_name}",
            f"PushProtVer={cfg.push_prot_ver}",
            f"ErrorDelay={cfg.error_delay}",
            f"RequestDelay={cfg.delay}",
            f"TransTimes={cfg.trans_times}",
            f"TransInterval={cfg.trans_interval}",
            "TransTables=User Transaction",
            f"Realtime={1 if cfg.realtime else 0}",
            f"SessionID={session}",
            "TimeoutSec=10",
            f"TimeZone={tz_option}",
        ]
        return "\n".join(lines) + "\n"

    def _photo(self, req: Request, body: bytes, stamp: str | None) -> HTTPResponse:
        photo = adms.parse_attphoto(body)
        self.store.store_photo(req.serial, req.addr, photo, adms.clean_stamp(stamp))
        if isinstance(photo, adms.BadLine):
            log.warning("%s: ATTPHOTO quarantined: %s", req.serial, photo.reason)
        return text("OK")

    def fdata(self, req: Request, device: tuple[Any, ...]) -> HTTPResponse:
        """§4.4 / §9.5: legacy photo upload ``/iclock/fdata?...&PhotoStamp=``."""
        if req.method != "POST":
            return text("OK")
        return self._photo(req, req.body(), req.query.get("photostamp") or req.query.get("stamp"))

    # -- §4.6 command poll, §4.8 results, §4.9 ping
    def getrequest(self, req: Request, device: tuple[Any, ...]) -> HTTPResponse:
        info_param = req.query.get("info")
        info = adms.parse_info(info_param) if info_param else None
        self.store.touch(req.serial, req.addr, info=info)
        self._check_timezone(req.serial, device)
        commands = self.store.take_commands(req.serial)
        if not commands:
            return text("OK")
        return text("".join(f"C:{cid}:{command}\n" for cid, command in commands))

    def _check_timezone(self, serial: str, device: tuple[Any, ...]) -> None:
        """§7: the terminal keeps the TimeZone of its last handshake, but its zone's UTC
        offset changes at DST transitions (or an operator changed the zone). Then a ``CHECK``
        is queued: executing it makes the terminal handshake again (§3), where it gets the
        current TimeZone; it sets its clock from ``Date`` + TimeZone on the next poll.

        Why CHECK and not a reply starting ``UNKNOWN DEVICE``: that is the refusal signal —
        the terminal drops its session, the commands queued for this poll are not delivered,
        and it is indistinguishable (in the terminal's log and in ours) from a real refusal;
        CHECK is the protocol's own "handshake again" command, its execution is confirmed by a
        result on devicecmd (visible in the command API), and the stamps we echo keep the
        re-handshake from turning into a full re-upload (duplicates are harmless anyway)."""
        handshake_tz = device[3] if len(device) > 3 else None
        if handshake_tz is None:
            return
        current = adms_handshake.timezone_option(device[0], self.now())
        if current != handshake_tz and self.store.pending_tz_check(serial, current):
            log.info("%s: TimeZone is now %s (terminal has %s): CHECK queued for a new"
                     " handshake", serial, current, handshake_tz,
                     extra={"timezone": device[0]})

    def _command_results(self, req: Request, body: bytes) -> HTTPResponse:
        results = adms.parse_command_results(body)
        self.store.store_command_results(req.serial, req.addr, results)
        return text("OK")

    def devicecmd(self, req: Request, device: tuple[Any, ...]) -> HTTPResponse:
        return self._command_results(req, req.body())

    def ping(self, req: Request, device: tuple[Any, ...]) -> HTTPResponse:
        self.store.touch(req.serial, req.addr)
        return text("OK")

    # -- §4.10 PUSH 3.x registration
    def registry(self, req: Request, device: tuple[Any, ...]) -> HTTPResponse:
        capabilities = req.body().decode("utf-8", "replace")
        code = self.store.register_push3(req.serial, capabilities)
        return text(f"RegistryCode={code}")

    def push(self, req: Request, device: tuple[Any, ...]) -> HTTPResponse:
        full = self.store.device(req.serial)
        if full is None or not full["registry_code"]:
            return text("NOT REGISTERED: POST /iclock/registry first", 406)
        # the token of this request was made from the current session (checked in dispatch):
        # the answer keeps it, so the terminal's next token stays valid; a first session is
        # started when the terminal comes here straight from the registration
        session = full["session_id"] or self.store.new_session(req.serial)
        tz_option = adms_handshake.timezone_option(full["timezone"], self.now())
        self.store.touch(req.serial, req.addr, handshake_tz=tz_option)
        return text(self._push3_block(full, tz_option, session))

    def querydata(self, req: Request, device: tuple[Any, ...]) -> HTTPResponse:
        self.store.store_raw(req.serial, req.addr, req.path, req.raw_query, req.body())
        return text("OK")
