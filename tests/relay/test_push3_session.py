"""adms-protocol §4.1, §4.10: the PUSH 3.x session token, over real HTTP.

Once a 3.x terminal is registered and has a session, every request but the handshake and the
registration must carry ``Cookie: token=`` = hex MD5(RegistryCode + SN + SessionID). A forged
or missing token used to get the full configuration and have its records stored; now it is
refused with a body starting ``UNKNOWN DEVICE`` (the terminal handshakes again and keeps its
records). ``push3_session_check = "warn"`` relaxes it for firmware that computes it wrongly.
The serial registry and the address allowlist stay the first gates.
"""

from __future__ import annotations

import hashlib

import pytest
from relay_harness import Relay

pytestmark = pytest.mark.slow

H3 = "&pushver=3.1.2&DeviceType=acc"
HEADERS = ["Content-Type: application/push;charset=UTF-8", "Accept: application/push",
           "Connection: starting"]
RTLOG = (b"time=2024-08-05 08:00:00\tpin=12\tcardno=0\teventaddr=1\tevent=0\t"
         b"inoutstatus=0\tverifytype=1\tindex=5\n")


def md5_token(code: str, serial: str, session: str) -> str:
    return hashlib.md5((code + serial + session).encode()).hexdigest()  # noqa: S324


def conf(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.strip().split("\n") if "=" in line)


def register(relay: Relay, serial: str) -> tuple[str, str]:
    """Handshake, registry, handshake again: (RegistryCode, SessionID)."""
    relay.add_device(serial, "Asia/Manila")
    assert relay.get(f"/iclock/cdata?SN={serial}&options=all{H3}", extra=HEADERS).text == "OK"
    reply = relay.post(f"/iclock/registry?SN={serial}", b"DeviceType=acc,PushVersion=3.1.2",
                       extra=HEADERS)
    code = reply.text.strip().split("=", 1)[1]
    block = conf(relay.get(f"/iclock/cdata?SN={serial}&options=all{H3}", extra=HEADERS).text)
    assert block["RegistryCode"] == code and block["SessionID"]
    return code, block["SessionID"]


def with_cookie(token: str) -> list[str]:
    return [*HEADERS, f"Cookie: token={token}"]


def test_s4_10_token_checked_on_every_request_after_the_handshake(relay: Relay) -> None:
    serial = "P3TOK01"
    code, session = register(relay, serial)
    good = md5_token(code, serial, session)
    forged = md5_token(code, serial, "0" * 32)

    # a missing or forged token gets neither the configuration nor a stored record
    for headers in (HEADERS, with_cookie(forged), with_cookie("not-even-hex")):
        push = relay.post(f"/iclock/push?SN={serial}", b"", extra=headers)
        assert push.status == 401 and not push.acknowledged
        assert push.text.startswith("UNKNOWN DEVICE") and "SessionID" not in push.text
        data = relay.post(f"/iclock/cdata?SN={serial}&table=rtlog", RTLOG, extra=headers)
        assert data.status == 401 and not data.acknowledged
        poll = relay.get(f"/iclock/getrequest?SN={serial}", extra=headers)
        assert poll.status == 401 and not poll.acknowledged
    assert relay.events(serial) == []

    # the right token: configuration (same session, so the token stays valid), data stored
    push = relay.post(f"/iclock/push?SN={serial}", b"", extra=with_cookie(good))
    assert push.status == 200 and conf(push.text)["SessionID"] == session
    assert relay.post(f"/iclock/cdata?SN={serial}&table=rtlog", RTLOG,
                      extra=with_cookie(good.upper())).acknowledged
    assert relay.get(f"/iclock/getrequest?SN={serial}", extra=with_cookie(good)).text == "OK"
    assert [e[2] for e in relay.events(serial)] == ["12"]

    # a new handshake starts a new session: the old token stops working
    block = conf(relay.get(f"/iclock/cdata?SN={serial}&options=all{H3}", extra=HEADERS).text)
    assert block["SessionID"] != session
    assert relay.get(f"/iclock/getrequest?SN={serial}", extra=with_cookie(good)).status == 401
    fresh = md5_token(code, serial, block["SessionID"])
    assert relay.get(f"/iclock/getrequest?SN={serial}", extra=with_cookie(fresh)).text == "OK"
    metrics = relay.api("GET", "/metrics").text
    assert 'zk_relay_adms_refused_total{reason="session_token"}' in metrics


def test_s4_10_serial_registry_stays_the_first_gate(relay: Relay) -> None:
    """An unknown serial is refused before any token is looked at; a 2.x terminal (no
    registry code) never needs one."""
    reply = relay.post("/iclock/push?SN=P3NOBODY", b"", extra=with_cookie("a" * 32))
    assert reply.status == 403 and reply.text == "UNKNOWN DEVICE"
    relay.add_device("P2PLAIN1")
    assert relay.attlog("P2PLAIN1", b"5\t2024-08-05 08:00:00\t0\t1\n").acknowledged


def test_s4_10_warn_mode_serves_a_wrong_token_and_logs_it(relay_factory) -> None:
    relay = relay_factory(ZK_RELAY_PUSH3_SESSION_CHECK="warn")
    relay.cli("device", "list")
    relay.start()
    serial = "P3WARN1"
    register(relay, serial)
    reply = relay.post(f"/iclock/cdata?SN={serial}&table=rtlog", RTLOG,
                       extra=with_cookie("f" * 32))
    assert reply.acknowledged
    assert [e[2] for e in relay.events(serial)] == ["12"]
    assert "session token wrong" in relay.log() and "push3_session_check = warn" in relay.log()


def test_config_refuses_an_unknown_token_mode(relay_factory) -> None:
    relay = relay_factory(ZK_RELAY_PUSH3_SESSION_CHECK="maybe")
    result = relay.cli("config", check=False)
    assert result.returncode != 0
    assert "push3_session_check: must be one of enforce, warn" in result.stderr
