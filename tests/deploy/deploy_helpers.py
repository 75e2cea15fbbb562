"""Helpers and fixtures for the deployment checks (docker/, odoo.conf, the systemd unit)."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"


def relay_version() -> str:
    with (ROOT / "relay" / "pyproject.toml").open("rb") as fh:
        return tomllib.load(fh)["project"]["version"]


def run(cmd: list[str], *, timeout: float, **kwargs) -> subprocess.CompletedProcess[str]:
    """A bounded subprocess whose output is kept for the assertion message."""
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False,
                          **kwargs)


@pytest.fixture(scope="session")
def relay_venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh venv holding zk-rules and zk-relay installed from wheels built from this
    checkout, as docker/README.md installs them on a Raspberry Pi."""
    base = tmp_path_factory.mktemp("relay-wheel")
    wheels, venv = base / "wheels", base / "venv"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_REQUIRE", "ZK_RELAY_"))}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    built = run([sys.executable, "-m", "pip", "wheel", "-q", "--wheel-dir", str(wheels),
                 str(ROOT / "rules"), str(ROOT / "relay")], timeout=600, env=env, cwd=base)
    assert built.returncode == 0, f"pip wheel failed:\n{built.stdout}\n{built.stderr}"
    made = run([sys.executable, "-m", "venv", str(venv)], timeout=120)
    assert made.returncode == 0, made.stderr
    installed = run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-index",
                     "--find-links", str(wheels), "zk-relay"], timeout=300, env=env, cwd=base)
    assert installed.returncode == 0, f"install failed:\n{installed.stdout}\n{installed.stderr}"
    yield venv
