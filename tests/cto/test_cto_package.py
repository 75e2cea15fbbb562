"""The CTO bank stays plain: standard library only, no Odoo (rules/README.md, Part C intro)."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
before = set(sys.modules)
import zk_rules.cto, zk_rules.cto.replay, zk_rules.cto.reports
new = {name.split(".")[0] for name in set(sys.modules) - before}
foreign = sorted(n for n in new if n != "zk_rules" and n not in sys.stdlib_module_names)
print(",".join(foreign))
"""


def test_the_cto_package_imports_only_the_standard_library():
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == ""  # no odoo, no third-party module
