"""G1 replay through the installed ``zk-replay day FILE`` command, and the no-Odoo import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from zk_rules.engine import Punch, compute_days
from zk_rules.engine.replay import replay_document

# The installed console script: next to the running interpreter, else the repository venv.
_CANDIDATES = (
    Path(sys.executable).parent / "zk-replay",
    Path(__file__).resolve().parents[2] / ".venv" / "bin" / "zk-replay",
)
ZK_REPLAY = next((path for path in _CANDIDATES if path.exists()), _CANDIDATES[-1])

B5_DOCUMENT = {
    "timezone": "Asia/Manila",
    "evaluate_dates": ["2025-03-03", "2025-03-04"],
    "punches": [
        {"id": 1, "local_time": "2025-03-03 07:58:12", "status": 0},
        {"id": 2, "local_time": "2025-03-03 12:01:05", "status": 2},
        {"id": 3, "local_time": "2025-03-03 12:59:40", "status": 3},
        {"id": 4, "local_time": "2025-03-03 17:02:30", "status": 1},
    ],
    "schedule": {
        "2025-03-03": {"segments": [["08:00", "17:00"]], "unpaid_break_minutes": 60},
        "2025-03-04": {"segments": [["08:00", "17:00"]], "unpaid_break_minutes": 60},
    },
    "holidays": [],
    "policy": {},
}

G1_FIELDS = {
    "status",
    "day_type",
    "provisional",
    "work_date",
    "scheduled_minutes",
    "leave_minutes",
    "expected_minutes",
    "presence_minutes",
    "worked_minutes",
    "regular_minutes",
    "late_in_minutes",
    "early_out_minutes",
    "undertime_minutes",
    "early_arrival_minutes",
    "break_taken_minutes",
    "break_deducted_minutes",
    "overtime_minutes",
    "overtime_lines",
    "night_minutes",
    "exceptions",
    "missing",
    "intervals",
    "punch_ids",
    "collapsed_punch_ids",
    "ignored_punch_ids",
}


def _zk_replay(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ZK_REPLAY), *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=60,
        check=False,
    )


pytestmark = pytest.mark.skipif(not ZK_REPLAY.exists(), reason="zk-replay not installed here")


@pytest.mark.slow
def test_g1_replay_command_prints_the_output_document(tmp_path):
    path = tmp_path / "b5.json"
    path.write_text(json.dumps(B5_DOCUMENT), encoding="utf-8")
    done = _zk_replay("day", str(path))
    assert done.returncode == 0, done.stderr
    output = json.loads(done.stdout)
    assert set(output) == {"days"}
    assert set(output["days"]) == {"2025-03-03", "2025-03-04"}
    monday = output["days"]["2025-03-03"]
    assert G1_FIELDS <= set(monday)
    assert monday["status"] == "compliant" and monday["regular_minutes"] == 480
    assert monday["intervals"][0] == {
        "start": "2025-03-03T07:58+08:00",
        "end": "2025-03-03T12:01+08:00",
    }
    assert output["days"]["2025-03-04"]["status"] == "absent"
    assert output["days"]["2025-03-04"]["late_in_minutes"] is None
    # The command and the library give the same document.
    assert output == json.loads(json.dumps(replay_document(B5_DOCUMENT)))


@pytest.mark.slow
def test_g1_replay_reads_standard_input():
    done = _zk_replay("day", "-", stdin=json.dumps(B5_DOCUMENT))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["days"]["2025-03-03"]["break_deducted_minutes"] == 2


@pytest.mark.slow
def test_g1_replay_bad_document_exits_2_naming_the_field(tmp_path):
    document = dict(B5_DOCUMENT, timezone="Europe/Atlantis")
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    done = _zk_replay("day", str(path))
    assert done.returncode == 2
    assert "timezone" in done.stderr and "Europe/Atlantis" in done.stderr
    assert done.stdout == ""
    negative = dict(B5_DOCUMENT, policy={"grace_late_minutes": -5})
    path.write_text(json.dumps(negative), encoding="utf-8")
    done = _zk_replay("day", str(path))
    assert done.returncode == 2
    assert "policy.grace_late_minutes: must be >= 0" in done.stderr


@pytest.mark.slow
def test_zk_rules_imports_and_computes_without_odoo_on_the_path():
    # A meta-path hook makes any `import odoo...` fail; the engine must not need it.
    code = """
import importlib, pkgutil, sys
class NoOdoo:
    def find_spec(self, name, path=None, target=None):
        if name == "odoo" or name.startswith("odoo."):
            raise ImportError("odoo is not available here")
sys.meta_path.insert(0, NoOdoo())
import zk_rules, zk_rules.engine
for info in pkgutil.walk_packages(zk_rules.engine.__path__, "zk_rules.engine."):
    importlib.import_module(info.name)
from zk_rules.engine import compute_days
record = compute_days(timezone="UTC", evaluate_dates=["2025-03-03"],
                      punches=[{"id": 1, "local_time": "2025-03-03 08:00:00", "status": 0}])
assert record["2025-03-03"].status == "incomplete"
assert not any(m == "odoo" or m.startswith("odoo.") for m in sys.modules)
print("ok")
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_typed_inputs_give_the_same_record_as_dicts():
    as_dicts = compute_days(
        timezone="Asia/Manila",
        evaluate_dates=["2025-03-03"],
        punches=B5_DOCUMENT["punches"],
        schedule=B5_DOCUMENT["schedule"],
    )
    typed = compute_days(
        timezone="Asia/Manila",
        evaluate_dates=["2025-03-03"],
        punches=[Punch(p["id"], p["local_time"], p["status"]) for p in B5_DOCUMENT["punches"]],
        schedule=B5_DOCUMENT["schedule"],
    )
    assert typed["2025-03-03"].to_dict() == as_dicts["2025-03-03"].to_dict()
