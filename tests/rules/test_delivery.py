"""zk_rules.delivery: the one rule for taking a relay page, pulled or pushed (issue 10)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zk_rules.delivery import (
    CODE_ALPHABET,
    Page,
    PageShapeError,
    judge_page,
    new_enrolment_code,
    new_token,
    normalise_code,
    parse_page,
    rate_window,
    secret_hash,
)


def event(event_id: int, pin: str = "7") -> dict[str, Any]:
    return {"id": event_id, "serial": "S1", "pin": pin, "local_time": "2025-03-03 08:00:00",
            "timezone": "Asia/Manila", "status": 0, "verify": 1}


def page(after: int, ids: list[int], store: str = "A", more: bool = False) -> dict[str, Any]:
    return {"store_id": store, "after": after, "events": [event(i) for i in ids],
            "next_after": ids[-1] if ids else after, "has_more": more}


# --------------------------------------------------------------------------- shape


def test_a_pushed_page_states_its_own_after() -> None:
    parsed = parse_page(page(10, [11, 12, 15], more=True))
    assert (parsed.after, parsed.next_after, parsed.has_more) == (10, 15, True)
    assert [e["id"] for e in parsed.events] == [11, 12, 15]


def test_a_pulled_page_takes_after_from_the_request() -> None:
    body = page(0, [4, 5])
    del body["after"]
    assert parse_page(body, after=3).after == 3


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda p: p.pop("store_id"), "store_id"),
    (lambda p: p.update(after=-1), "after"),
    (lambda p: p.update(after=True), "after"),
    (lambda p: p.update(has_more="yes"), "has_more"),
    (lambda p: p.update(events={}), "events"),
    (lambda p: p["events"].append("x"), "event 3 is not an object"),
    (lambda p: p["events"][1].update(id=11), "ids must increase"),
    (lambda p: p["events"][0].update(id=10), "follow 'after'"),
    (lambda p: p["events"][0].pop("pin"), "pin is missing"),
    (lambda p: p["events"][0].update(serial=""), "serial is missing"),
    (lambda p: p["events"][0].update(local_time="2025-03-03T08:00"), "local_time"),
    (lambda p: p.update(next_after=99), "next_after (99)"),
])
def test_a_malformed_page_is_refused_with_its_defect(mutate: Any, message: str) -> None:
    body = page(10, [11, 12])
    mutate(body)
    with pytest.raises(PageShapeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_page(body)


def test_not_an_object_is_refused() -> None:
    with pytest.raises(PageShapeError, match="not a JSON object"):
        parse_page([1, 2])


def test_an_empty_page_keeps_its_cursor() -> None:
    assert parse_page(page(20, [])).next_after == 20
    with pytest.raises(PageShapeError, match="before after"):
        parse_page({**page(20, []), "next_after": 5})


# --------------------------------------------------------------------------- verdicts


def judged(known: str | None, cursor: int, body: dict[str, Any]) -> tuple[str, str, int]:
    verdict = judge_page(known, cursor, parse_page(body))
    return verdict.action, verdict.store_id, verdict.committed_up_to


def test_first_page_of_a_store_is_imported() -> None:
    assert judged(None, 0, page(0, [1, 2, 3])) == ("import", "A", 3)


def test_overlap_is_imported_and_the_cursor_never_goes_back() -> None:
    """At-least-once: a page resent after its answer was lost overlaps what is committed."""
    assert judged("A", 12, page(10, [11, 12])) == ("import", "A", 12)
    assert judged("A", 12, page(10, [11, 12, 13, 14])) == ("import", "A", 14)


def test_a_page_beyond_the_cursor_is_a_gap_and_answers_the_cursor() -> None:
    """Odoo restored from a backup: the relay is told the older cursor and sends again."""
    assert judged("A", 5, page(10, [11, 12])) == ("gap", "A", 5)


def test_a_new_store_is_taken_only_from_its_beginning() -> None:
    """The relay was rebuilt: its pages restart at 0; a mid-store page is a mismatch."""
    assert judged("A", 500, page(0, [1, 2], store="B")) == ("import", "B", 2)
    verdict = judge_page("A", 500, parse_page(page(40, [41], store="B")))
    assert (verdict.action, verdict.store_id, verdict.committed_up_to) == \
        ("store_mismatch", "A", 500)
    assert not verdict.imports


@given(known=st.sampled_from([None, "A", "B"]), cursor=st.integers(0, 50),
       after=st.integers(0, 50), size=st.integers(0, 10), store=st.sampled_from(["A", "B"]))
def test_the_cursor_never_skips_an_event(known: str | None, cursor: int, after: int,
                                         size: int, store: str) -> None:
    """Invariant: whatever the page, Odoo's cursor after it covers only events it imported
    now or before (no gap is ever stepped over) and never moves backwards in a store."""
    verdict = judge_page(known, cursor if known else 0,
                         Page(store, after, after + size, False,
                              [event(i) for i in range(after + 1, after + size + 1)]))
    base = verdict.cursor
    if verdict.imports:
        assert after <= base
        assert verdict.committed_up_to == max(base, after + size)
    else:
        assert verdict.committed_up_to == base
    if verdict.store_id == known:
        assert verdict.committed_up_to >= (cursor if known else 0)


# --------------------------------------------------------------------------- credentials


def test_codes_are_readable_and_random() -> None:
    codes = {new_enrolment_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == 9 and code[4] == "-"
        assert set(code.replace("-", "")) <= set(CODE_ALPHABET)
        assert normalise_code(code) == code


def test_a_code_as_typed_is_normalised() -> None:
    assert normalise_code(" k7q2 9xfd ") == "K7Q2-9XFD"
    assert normalise_code("k7q2-oxfl") == "K7Q2-0XF1"
    assert normalise_code("K7Q2-9XF") == ""
    assert normalise_code("K7Q2-9XFU") == ""  # U is not in the alphabet
    assert normalise_code("") == ""


def test_only_hashes_are_kept() -> None:
    token = new_token()
    assert len(token) >= 43 and token != new_token()
    assert secret_hash(token) == secret_hash(token) and len(secret_hash(token)) == 64
    assert token not in secret_hash(token)


# --------------------------------------------------------------------------- rate window


def test_rate_window_allows_the_limit_then_says_when() -> None:
    t0 = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
    start, count = None, 0
    for i in range(3):
        decision = rate_window(start, count, t0 + timedelta(seconds=i), limit=3)
        assert decision.allowed
        start, count = decision.window_start, decision.count
    refused = rate_window(start, count, t0 + timedelta(seconds=20), limit=3)
    assert (refused.allowed, refused.retry_after) == (False, 40)
    fresh = rate_window(start, count, t0 + timedelta(seconds=60), limit=3)
    assert (fresh.allowed, fresh.count, fresh.window_start) == (True, 1, t0 + timedelta(seconds=60))


def test_rate_window_survives_a_clock_step_back() -> None:
    t0 = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
    decision = rate_window(t0, 99, t0 - timedelta(minutes=5), limit=3)
    assert decision.allowed and decision.count == 1
    with pytest.raises(ValueError, match="positive"):
        rate_window(None, 0, t0, limit=0)
