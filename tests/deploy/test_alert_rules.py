"""docker/prometheus-alerts.yml (issue 17): the example alert rules parse, have the fields
Alertmanager needs, and name only metrics a running relay exposes."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "relay"))

from relay_harness import make_relay  # noqa: E402

RULES = Path(__file__).resolve().parents[2] / "docker" / "prometheus-alerts.yml"
DURATION = re.compile(r"^\d+[smhd]$")


def load_rules():
    yaml = pytest.importorskip("ruamel.yaml", reason="ruamel.yaml comes with check-jsonschema")
    return yaml.YAML(typ="safe").load(RULES.read_text())


def test_rules_have_what_alertmanager_needs():
    document = load_rules()
    rules = [rule for group in document["groups"] for rule in group["rules"]]
    assert len(rules) >= 12
    names = [rule["alert"] for rule in rules]
    assert len(names) == len(set(names))
    for rule in rules:
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]
        assert rule["labels"]["severity"] in {"info", "warning", "critical"}
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]
        assert "for" not in rule or DURATION.match(rule["for"]), rule["alert"]
        assert rule["expr"].count("(") == rule["expr"].count(")")


@pytest.mark.slow
def test_every_metric_named_is_exposed_by_a_relay(tmp_path):
    relay = make_relay(tmp_path)
    relay.cli("device", "add", "ALERT1", "--tz", "Asia/Manila")
    relay.start()
    try:
        metrics = relay.get("/metrics").text
    finally:
        relay.stop()
    exposed = set()
    for line in metrics.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            exposed.add(name)  # a family without samples shows only here
            if kind == "counter" and not name.endswith("_total"):
                exposed.add(name + "_total")
        elif line and not line.startswith("#"):
            exposed.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    named = {m for rule in (r for g in load_rules()["groups"] for r in g["rules"])
             for m in re.findall(r"\bzk_relay_[a-z0-9_]+", rule["expr"])}
    assert named and named <= exposed, sorted(named - exposed)


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_promtool_accepts_the_rules():
    result = subprocess.run(["promtool", "check", "rules", str(RULES)], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
