"""Each addon's README.md is its readme/*.md fragments rendered (tools/gen_addon_readme.py),
as OCA's generated READMEs are: the fragments are the one place to edit."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "gen_addon_readme.py"
ADDONS = sorted(p for p in (ROOT / "addons").iterdir() if (p / "__manifest__.py").exists())

sys.path.insert(0, str(ROOT / "tools"))
import gen_addon_readme  # noqa: E402


@pytest.mark.parametrize("addon", ADDONS, ids=lambda p: p.name)
def test_readme_is_rendered_from_its_fragments(addon: Path) -> None:
    readme = addon / "README.md"
    assert readme.exists(), f"{addon.name}: run tools/gen_addon_readme.py"
    assert readme.read_text() == gen_addon_readme.render(addon), (
        f"{addon.name}/README.md differs from readme/*.md: run tools/gen_addon_readme.py")


@pytest.mark.parametrize("addon", ADDONS, ids=lambda p: p.name)
def test_readme_has_the_oca_sections(addon: Path) -> None:
    text = (addon / "README.md").read_text()
    for heading in ("## Configuration", "## Usage", "## Bug Tracker", "## Credits",
                    "### Contributors"):
        assert heading in text, f"{addon.name}: {heading} missing"


def test_check_mode_names_a_stale_readme(tmp_path: Path) -> None:
    copy = tmp_path / ADDONS[0].name
    (copy / "readme").mkdir(parents=True)
    (copy / "__manifest__.py").write_text((ADDONS[0] / "__manifest__.py").read_text())
    for fragment in (ADDONS[0] / "readme").glob("*.md"):
        (copy / "readme" / fragment.name).write_text(fragment.read_text())
    (copy / "README.md").write_text((ADDONS[0] / "README.md").read_text())
    check = [sys.executable, str(TOOL), "--check", "--addons", str(tmp_path)]
    assert subprocess.run(check, capture_output=True, check=False).returncode == 0
    usage = copy / "readme" / "USAGE.md"
    usage.write_text(usage.read_text() + "\nOne more line.\n")
    result = subprocess.run(check, capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert copy.name in result.stdout


def test_fragment_headings_sit_below_the_section_heading() -> None:
    assert gen_addon_readme.demote("# Title\ntext\n```\n# not a heading\n```", 2) == (
        "### Title\ntext\n```\n# not a heading\n```")
