"""The payroll module stays plain: standard library only, no Odoo (rules/README.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import zk_rules.payroll

PROBE = """
import sys
before = set(sys.modules)
import zk_rules.payroll
new = {name.split(".")[0] for name in set(sys.modules) - before}
foreign = sorted(
    n for n in new
    if n != "zk_rules" and n not in sys.stdlib_module_names
    and not n.startswith("_sysconfigdata")  # stdlib: zoneinfo reads sysconfig for TZPATH
)
print(",".join(foreign))
"""


def test_the_payroll_package_imports_only_the_standard_library():
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == ""


def test_layout_doc_names_every_column_of_every_setting():
    doc = (Path(zk_rules.payroll.__file__).parent / "LAYOUT.md").read_text(encoding="utf-8")
    for config in ({"granularity": "day"}, {"granularity": "period"}):
        for column in zk_rules.payroll.columns(config):
            generic = column.replace("_hours", "_U")
            if column.startswith("leave_") and column != "leave_other_hours":
                generic = "leave_<kind>_U"
            assert f"`{generic}`" in doc, column
    assert zk_rules.payroll.LAYOUT_VERSION in doc
