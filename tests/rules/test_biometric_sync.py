"""zk_rules.biometric_sync: a terminal's answer -> a sync cell's state (issue 19)."""

import pytest

from zk_rules.biometric_sync import (
    KINDS,
    command_outcome,
    compatible,
    item_label,
    parse_algorithm,
    result_text,
    template_problem,
)


@pytest.mark.parametrize(("code", "text"), [
    (-1001, "the terminal's memory is full"), (-1007, "the terminal's memory is full"),
    (-30, "algorithm version mismatch"), (-9, "template rejected as invalid"),
    (-11, "template rejected as invalid"), (-12, "template rejected as invalid"),
    (-10, "user not on the terminal"), (-1002, "command not supported by this firmware"),
    ("-77", "the terminal refused it (error -77)"), (None, "the terminal gave no answer code"),
])
def test_result_codes_read_as_words(code, text):
    assert result_text(code) == text


def test_done_is_green_and_pending_waits():
    assert command_outcome("template_upsert", "done").state == "synced"
    assert command_outcome("user_erase", "done").message == "Removed from the terminal."
    assert command_outcome("template_upsert", "queued").state == "pending"
    assert command_outcome("template_upsert", "sent").state == "pending"


def test_full_memory_is_red_with_the_reason():
    outcome = command_outcome("template_upsert", "failed", -1001)
    assert outcome.state == "failed"
    assert outcome.message == "Refused: the terminal's memory is full."


def test_version_mismatch_is_not_compatible_not_failed():
    assert command_outcome("template_upsert", "failed", "-30").state == "not_compatible"


def test_erasing_a_user_the_terminal_lacks_counts_as_erased():
    assert command_outcome("user_erase", "failed", -10).state == "synced"
    assert command_outcome("template_upsert", "failed", -10).state == "failed"


def test_failed_without_code_says_why():
    assert command_outcome("user_erase", "expired").message == (
        "Failed: the command expired before the terminal took it.")
    assert command_outcome("user_upsert", "failed", None, "timeout").message == "Failed: timeout."


def test_algorithm_versions():
    assert parse_algorithm("finger:10") == ("finger", 10)
    assert parse_algorithm("face:7.1") == ("face", 7)
    assert parse_algorithm("garbage") is None
    assert compatible("finger:10", "10") is True
    assert compatible("finger:10", 12) is False
    assert compatible("finger:10", None) is None
    assert compatible(None, "10") is None


def test_bad_templates_are_named():
    assert template_problem("fingerprint", 6, 1200) is None
    assert template_problem("iris", 0, 10) == "unknown kind of template 'iris'"
    assert template_problem("fingerprint", 12, 100) == "index 12 is out of range"
    assert template_problem("fingerprint", "x", 100) == "no finger or template index"
    assert template_problem("face", 0, 0) == "the template is empty"
    assert "larger than any fingerprint template" in template_problem("fingerprint", 1, 10**6)


def test_labels():
    assert item_label("fingerprint", 6) == "Fingerprint: right index finger"
    assert item_label("face", 0) == "Face"
    assert item_label("user") == "User record"


def test_sub_templates_are_numbered_only_after_the_first():
    """Issue 19: a palm or visible-light face can come as several templates of one No."""
    assert item_label("palm", 0, 0) == "Palm"
    assert item_label("palm", 0, 1) == "Palm, template 2"
    assert item_label("face", 0, 3) == "Face, template 4"
    assert item_label("fingerprint", 6, 1) == "Fingerprint: right index finger, template 2"
    assert item_label("palm", 0, None) == "Palm"


def test_sub_index_out_of_range_is_refused():
    assert template_problem("palm", 0, 100, sub_index=1) is None
    assert template_problem("palm", 0, 100, sub_index=None) is None
    assert template_problem("palm", 0, 100, sub_index=99) is None
    assert template_problem("palm", 0, 100, sub_index=100) == "sub-template 100 is out of range"
    assert template_problem("palm", 0, 100, sub_index=-1) == "sub-template -1 is out of range"
    assert template_problem("face", 0, 100, sub_index="x") == "unreadable sub-template number"


def test_visible_light_faces_are_taken_like_the_relay_sends_them():
    assert "visible_face" in KINDS
    assert template_problem("visible_face", 0, 40000, sub_index=2) is None
    assert item_label("visible_face", 0) == "Visible-light face"
    assert item_label("visible_face", 0, 1) == "Visible-light face, template 2"
