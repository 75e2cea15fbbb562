"""Digits int() refuses (superscripts, other scripts) must never reach int(): found by fuzzing.

str.isdigit() is true for '²' or '٣'; the relay answers them as the bad input they are.
"""

from __future__ import annotations

from relay_harness import Relay

from zk_relay import adms


def test_get_command_with_a_superscript_digit_is_not_found_not_a_500(relay: Relay) -> None:
    reply = relay.api("GET", "/api/v1/commands/%C2%B2")  # '²'
    assert reply.status == 404, reply.text
    assert "no command" in reply.text


def test_info_counts_with_non_ascii_digits_are_kept_as_text() -> None:
    info = adms.parse_info("Ver 8.0,²,12,٣٤")
    assert info["firmware"] == "Ver 8.0"
    assert info["users"] == "²"
    assert info["fingerprints"] == 12
    assert info["attlogs"] == "٣٤"
