"""The doors a relay knocks on (issue 10; contract in relay/README.md).

* ``POST /zk/relay/enrol``: a relay presents a one-time code, registers its public key and
  receives its credentials and terminal list.
* ``POST /zk/relay/push``: a relay in push mode delivers a signed page of events.
* ``POST /zk/relay/commands``: a relay in push mode reports results and takes the commands
  waiting in its outbox (``zk.relay.outbox``).

No door is opened by an Odoo user: the relay authenticates with the code or its delivery
token, so they run as the superuser once that check has passed, and nothing is read, verified
or imported before it. With several databases on one server, route relays to theirs with
Odoo's ``dbfilter`` (as for any public URL).
"""

import json
import logging
import threading
import time
from collections import deque

from werkzeug.exceptions import RequestEntityTooLarge

from odoo import SUPERUSER_ID, api, http
from odoo.http import request

_logger = logging.getLogger(__name__)

ENROL_MAX_BYTES = 64 * 1024
DEFAULT_PUSH_MAX_BYTES = 8 * 1024 * 1024
DEFAULT_PUSH_PER_MINUTE = 120
# Failed enrolment attempts per client address (per worker process): codes are 40 random
# bits, single-use and expiring; this keeps guessing slow on top of that.
ENROL_FAILURES_ALLOWED = 10
ENROL_FAILURE_WINDOW = 600.0
_enrol_failures: dict[str, deque] = {}
_enrol_lock = threading.Lock()


def _json(status, body, **headers):
    return request.make_response(
        json.dumps(body), status=status,
        headers=[("Content-Type", "application/json"), ("Cache-Control", "no-store"),
                 *headers.items()])


def _system_env():
    # Superuser: the caller is a relay authenticated by its code or token, not an Odoo user.
    return api.Environment(request.env.cr, SUPERUSER_ID, {})


def _param(env, key, default):
    try:
        return int(env["ir.config_parameter"].get_param(key, default))
    except ValueError:
        return default


def _too_many_failures(address, failed=False):
    now = time.monotonic()
    with _enrol_lock:
        seen = _enrol_failures.setdefault(address, deque())
        while seen and now - seen[0] > ENROL_FAILURE_WINDOW:
            seen.popleft()
        if failed:
            seen.append(now)
        return len(seen) >= ENROL_FAILURES_ALLOWED


def _too_large(limit):
    return 413, {"error": "too_large", "message": f"at most {limit} bytes"}


def _declared_too_large(limit):
    """The refusal for a body whose Content-Length is over the limit (before reading it)."""
    length = request.httprequest.content_length
    return _too_large(limit) if length is not None and length > limit else None


def _read_json(limit):
    """The body as JSON, or a (status, body) refusal: too large (413) or not JSON (400).

    Read with get_data(cache=True) so a transaction retried by Odoo sees the same bytes.
    """
    refusal = _declared_too_large(limit)
    if refusal:
        return None, refusal
    request.httprequest.max_content_length = limit  # a body without Content-Length too
    try:
        raw = request.httprequest.get_data(cache=True)
    except RequestEntityTooLarge:
        return None, _too_large(limit)
    try:
        return json.loads(raw.decode("utf-8")), None
    except (UnicodeDecodeError, ValueError):
        return None, (400, {"error": "bad_request", "message": "the body is not JSON"})


def _bearer():
    scheme, _, token = request.httprequest.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _push_limit(env):
    return _param(env, "hr_zk_attendance.push_max_bytes", DEFAULT_PUSH_MAX_BYTES)


def _pushing_relay():
    """(system env, relay, refusal response) for a relay's push: its bearer token, then the
    declared size against the push limit, before the body is read. Shared by the routes a
    push relay posts to (event pages, and hr_zk_fleet's status pages)."""
    token = _bearer()
    if not token:
        return None, None, _json(401, {"error": "unauthorized", "message": "missing "
                                       "'Authorization: Bearer <token>'"},
                                 **{"WWW-Authenticate": 'Bearer realm="zk-odoo"'})
    env = _system_env()
    relay, refusal = env["zk.relay"]._authenticate_push(token)
    if refusal:
        return env, None, _json(*refusal)
    refusal = _declared_too_large(_push_limit(env))
    if refusal:
        return env, None, _json(*refusal)
    return env, relay, None


def _one_side_page(env, relay, lock_key, busy):
    """(payload, None) of a side page a push relay posts (status, biometric, commands), or (None,
    refusal response): one such page at a time per relay (a transaction-scoped advisory lock
    of its own key: a second one is told to retry, no lock error in the logs), then the body
    read within the push limit."""
    env.cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [lock_key, relay.id])
    if not env.cr.fetchone()[0]:
        return None, _json(429, {"error": "busy", "message": busy}, **{"Retry-After": "1"})
    payload, refusal = _read_json(_push_limit(env))
    if refusal:
        return None, _json(*refusal)
    return payload, None


class RelayDelivery(http.Controller):
    @http.route("/zk/relay/enrol", type="http", auth="none", methods=["POST"], csrf=False,
                save_session=False, readonly=False)
    def enrol(self):
        address = request.httprequest.remote_addr or "?"
        if _too_many_failures(address):
            return _json(429, {"error": "too_many_attempts", "message": "too many failed "
                               "enrolment attempts: wait a few minutes"}, **{"Retry-After": "600"})
        payload, refusal = _read_json(ENROL_MAX_BYTES)
        if refusal:
            return _json(*refusal)
        status, body = _system_env()["zk.relay"]._enrol(payload)
        if status != 200:
            _too_many_failures(address, failed=True)
            _logger.warning("zk relay enrolment refused from %s: %s", address, body.get("error"))
        return _json(status, body)

    @http.route("/zk/relay/push", type="http", auth="none", methods=["POST"], csrf=False,
                save_session=False, readonly=False)
    def push(self):
        # The declared size is judged before the page takes a slot of the relay's rate.
        env, relay, refused = _pushing_relay()
        if refused:
            return refused
        wait = relay._admit_push(_param(env, "hr_zk_attendance.push_per_minute",
                                        DEFAULT_PUSH_PER_MINUTE))
        if wait:
            return _json(429, {"error": "rate_limited", "message": "too many pages: slow "
                               "down"}, **{"Retry-After": str(wait)})
        payload, refusal = _read_json(_push_limit(env))
        if refusal:
            return _json(*refusal)
        status, body = relay._receive_push(payload)
        return _json(status, body)

    @http.route("/zk/relay/commands", type="http", auth="none", methods=["POST"], csrf=False,
                save_session=False, readonly=False)
    def commands(self):
        """A push relay reports its outbox commands' results and takes those that wait."""
        env, relay, refused = _pushing_relay()
        if refused:
            return refused
        payload, refused = _one_side_page(env, relay, 0x7A6E,
                                          "this relay's commands are being read")
        if refused:
            return refused
        return _json(*env["zk.relay.outbox"]._zk_exchange(relay, payload))
