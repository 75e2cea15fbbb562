"""Container smoke test of docker/relay.Dockerfile (issue 11), run when podman is available.

Builds the image (amd64; arm64 too when qemu binfmt emulation is set up), starts it with a
named volume, registers a terminal and makes a token inside it (``podman exec``), pushes a
real ADMS handshake and ATTLOG upload into it on loopback, reads the punches back through
the pull API, stops it with SIGTERM (the relay is PID 1, no ``--init``) and reads the same
punches from a new container on the same volume.

podman runs with tests/deploy/containers.conf (runc, cgroupfs, ulimits: see
shared/docs/containers.md). Without a registry the base image is a local Debian one
(docker/local-base-image.sh, made on first use when debootstrap is there), passed as the
Dockerfile's BASE_IMAGE build argument; ZK_SMOKE_BASE_IMAGE[_ARM64] overrides it.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import socket
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
from deploy_helpers import DOCKER, ROOT, relay_version, run

CONTAINERS_CONF = Path(__file__).with_name("containers.conf")
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
NATIVE = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine(), "")
SERIAL = "SMOKE0001"
PUNCHES = [("1001", "2026-11-24 08:01:02"), ("1002", "2026-11-24 08:03:04")]

pytestmark = pytest.mark.slow


def podman(*args: str, timeout: float = 120, check: bool = True):
    env = dict(os.environ, CONTAINERS_CONF=str(CONTAINERS_CONF))
    result = run(["podman", *args], timeout=timeout, env=env)
    if check and result.returncode != 0:
        raise AssertionError(f"podman {' '.join(args[:3])} … failed ({result.returncode}):\n"
                             f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def require_podman() -> None:
    if shutil.which("podman") is None:
        pytest.skip("podman is not installed: container smoke test not run "
                    "(apt-get install podman buildah runc; shared/docs/containers.md)")
    info = podman("info", "--format", "{{.Host.OCIRuntime.Name}}", check=False, timeout=60)
    if info.returncode != 0:
        pytest.skip(f"podman cannot run here: {info.stderr.strip()[-300:]}")


def emulation_ready(arch: str) -> bool:
    if arch == NATIVE:
        return True
    qemu = {"arm64": "qemu-aarch64", "amd64": "qemu-x86_64"}[arch]
    entry = Path("/proc/sys/fs/binfmt_misc") / qemu
    return entry.exists() and entry.read_text().startswith("enabled")


def base_image(arch: str) -> str:
    override = os.environ.get("ZK_SMOKE_BASE_IMAGE" + ("" if arch == NATIVE else "_ARM64"))
    if override:
        return override
    tag = "localhost/debian-python:bookworm" + ("" if arch == NATIVE else f"-{arch}")
    if podman("image", "exists", tag, check=False).returncode == 0:
        return tag
    if os.geteuid() != 0 or shutil.which("debootstrap") is None:
        pytest.skip(f"no base image {tag} and no way to make one here (needs root and "
                    "debootstrap: docker/local-base-image.sh)")
    made = run([str(DOCKER / "local-base-image.sh"), arch], timeout=900,
               env=dict(os.environ, CONTAINERS_CONF=str(CONTAINERS_CONF)))
    assert made.returncode == 0, f"local-base-image.sh {arch}:\n{made.stderr[-3000:]}"
    return made.stdout.strip().splitlines()[-1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def terminal(port: int, method: str, target: str, body: bytes | None = None) -> tuple[int, str]:
    """One request written byte for byte as 2.x firmware sends it (no Content-Type)."""
    head = [f"{method} {target} HTTP/1.1", f"Host: 127.0.0.1:{port}",
            "User-Agent: iClock Proxy/1.09", "Connection: close", "Accept: */*"]
    if body is not None:
        head.append(f"Content-Length: {len(body)}")
    raw = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + (body or b"")
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(raw)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    status_line, _, rest = data.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2].decode("latin-1")


def api(port: int, path: str, token: str | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:  # noqa: S310 - http only
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def start(image: str, name: str, volume: str, arch: str) -> int:
    port = free_port()
    podman("run", "-d", "--name", name, "--platform", f"linux/{arch}",
           "-p", f"127.0.0.1:{port}:8080", "-v", f"{volume}:/data", image)
    deadline = time.monotonic() + (60 if arch == NATIVE else 180)
    while time.monotonic() < deadline:
        try:
            status, health = api(port, "/health")
            if status == 200:
                return port
        except (OSError, ValueError):
            pass
        state = podman("inspect", "--format", "{{.State.Status}}", name, check=False)
        if state.stdout.strip() == "exited":
            break
        time.sleep(0.3)
    logs = podman("logs", name, check=False)
    raise AssertionError(f"relay container did not become healthy:\n{logs.stdout}{logs.stderr}")


def sigterm(name: str) -> tuple[str, float]:
    started = time.monotonic()
    podman("kill", "--signal", "TERM", name)
    code = podman("wait", name, timeout=60).stdout.strip()
    return code, time.monotonic() - started


BUILT: dict[str, tuple[str, str, float]] = {}


def relay_image(arch: str) -> tuple[str, str, float]:
    """Build docker/relay.Dockerfile for ``arch`` once per session: (image, base, seconds)."""
    if arch in BUILT:
        return BUILT[arch]
    base = base_image(arch)
    image = f"localhost/zk-relay:smoke-{arch}"
    build = ["build", "--format", "docker", "--platform", f"linux/{arch}",
             "--build-arg", f"BASE_IMAGE={base}",
             "--ignorefile", str(DOCKER / "relay.Dockerfile.dockerignore"),
             "-f", str(DOCKER / "relay.Dockerfile"), "-t", image]
    if CA_BUNDLE.exists():  # a TLS-intercepting proxy between pip and PyPI (containers.md)
        build += ["-v", f"{CA_BUNDLE}:{CA_BUNDLE}:ro"]
    began = time.monotonic()
    podman(*build, str(ROOT), timeout=600 if arch == NATIVE else 1800)
    BUILT[arch] = (image, base, time.monotonic() - began)
    return BUILT[arch]


def require_arch(arch: str) -> None:
    require_podman()
    if not NATIVE:
        pytest.skip(f"unknown host architecture {platform.machine()}")
    if not emulation_ready(arch):
        pytest.skip(f"linux/{arch} needs qemu-user-static with binfmt_misc enabled on this "
                    f"{NATIVE} host (shared/docs/containers.md)")


@pytest.mark.parametrize("arch", ["amd64", "arm64"])
def test_relay_image_smoke(arch: str) -> None:
    require_arch(arch)
    image, base, built_in = relay_image(arch)

    meta = json.loads(podman("image", "inspect", image).stdout)[0]
    assert meta["Architecture"] == arch
    config = meta["Config"]
    assert config["User"] == "10001:10001"
    health = meta.get("Healthcheck") or config.get("Healthcheck") or {}
    assert "/health" in " ".join(health.get("Test", [])), meta  # needs --format docker
    assert "/data" in config["Volumes"]

    tag = uuid.uuid4().hex[:8]
    volume, first, second = f"zk-smoke-{tag}", f"zk-smoke-{tag}-1", f"zk-smoke-{tag}-2"
    podman("volume", "create", volume)
    try:
        port = start(image, first, volume, arch)
        assert podman("exec", first, "id", "-u").stdout.strip() == "10001"
        version = podman("exec", first, "zk-relay", "--version").stdout.strip()
        assert version == f"zk-relay {relay_version()}"
        podman("exec", first, "zk-relay", "device", "add", SERIAL, "--tz", "Asia/Manila",
               "--name", "Smoke test")
        token = podman("exec", first, "zk-relay", "token", "create", "odoo").stdout.split()[0]
        assert podman("healthcheck", "run", first, check=False).returncode == 0

        status, options = terminal(port, "GET", f"/iclock/cdata?SN={SERIAL}&options=all"
                                   "&pushver=2.4.1&language=69")
        assert status == 200 and "TimeZone=8" in options, options
        body = "".join(f"{pin}\t{when}\t0\t1\t0\t0\t0\n" for pin, when in PUNCHES).encode()
        status, answer = terminal(port, "POST",
                                  f"/iclock/cdata?SN={SERIAL}&table=ATTLOG&Stamp=9999", body)
        assert (status, answer.strip()) == (200, f"OK: {len(PUNCHES)}")

        assert api(port, "/api/v1/events?after=0")[0] == 401  # no token, no punches
        status, page = api(port, "/api/v1/events?after=0&limit=100", token)
        assert status == 200
        got = [(e["serial"], e["pin"], e["local_time"], e["timezone"]) for e in page["events"]]
        assert got == [(SERIAL, pin, when, "Asia/Manila") for pin, when in PUNCHES]
        store_id = page["store_id"]

        code, took = sigterm(first)
        logs = podman("logs", first).stdout + podman("logs", first).stderr
        assert code == "0", f"exit status {code} after SIGTERM:\n{logs}"
        assert took < 10, f"SIGTERM took {took:.1f}s: the relay did not stop on it"
        assert '"msg": "stopped"' in logs

        port = start(image, second, volume, arch)
        status, again = api(port, "/api/v1/events?after=0&limit=100", token)
        assert status == 200 and again["store_id"] == store_id
        assert again["events"] == page["events"], "punches lost or changed across the restart"
        code, _ = sigterm(second)
        assert code == "0"
        size = int(meta["Size"]) / 1e6
        print(f"\n[{arch}] base {base}; built in {built_in:.0f}s; image {size:.0f} MB; "
              f"{len(PUNCHES)} punches pushed, read back, SIGTERM exit 0 in {took:.2f}s, "
              f"same {len(again['events'])} punches and store {store_id} after restart")
    finally:
        podman("rm", "-f", first, second, check=False)
        podman("volume", "rm", "-f", volume, check=False)


def test_compose_relay_service_starts_with_podman_compose(tmp_path: Path) -> None:
    """docker/compose.yaml's relay service, brought up alone by podman-compose (Odoo's
    official image cannot be pulled here): environment, port and volume wiring of the file."""
    require_arch(NATIVE)
    compose = shutil.which("podman-compose")
    if compose is None:
        pytest.skip("podman-compose is not installed (apt-get install podman-compose)")
    image, _, _ = relay_image(NATIVE)
    podman("tag", image, "localhost/zk-odoo/relay:latest")  # compose.yaml's image name
    project = f"zksmoke{uuid.uuid4().hex[:8]}"
    port = free_port()
    work = tmp_path / "docker"
    work.mkdir()
    shutil.copy(DOCKER / "compose.yaml", work / "compose.yaml")
    env = (DOCKER / "example.env").read_text().replace("COMPOSE_PROJECT_NAME=zk-odoo",
                                                       f"COMPOSE_PROJECT_NAME={project}")
    (work / ".env").write_text(env + f"ZK_RELAY_HTTP_PORT={port}\nZK_RELAY_RETENTION_DAYS=45\n")
    for name in ("addons", "rules", "relay", "odoo.conf"):
        (tmp_path / name).symlink_to(ROOT / name)
    environ = dict(os.environ, CONTAINERS_CONF=str(CONTAINERS_CONF))
    cmd = [compose, "-p", project, "-f", "compose.yaml"]
    try:
        up = run([*cmd, "up", "-d", "--no-build", "relay"], timeout=180, cwd=work, env=environ)
        assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
        deadline = time.monotonic() + 60
        status = 0
        while time.monotonic() < deadline and status != 200:
            try:
                status, health = api(port, "/health")
            except (OSError, ValueError):
                time.sleep(0.3)
        assert status == 200, "the compose relay did not answer /health"
        name = podman("ps", "--filter", f"label=io.podman.compose.project={project}",
                      "--format", "{{.Names}}").stdout.split()
        assert len(name) == 1, name
        shown = podman("exec", name[0], "zk-relay", "config").stdout
        assert re.search(r"retention_days\s*=?\s*45", shown), shown  # from compose's environment
        mounts = podman("inspect", "--format", "{{range .Mounts}}{{.Name}}:{{.Destination}} "
                        "{{end}}", name[0]).stdout
        assert f"{project}_relay-data:/data" in mounts, mounts
    finally:
        run([*cmd, "down", "-v"], timeout=180, cwd=work, env=environ)
        podman("rmi", "localhost/zk-odoo/relay:latest", check=False)


def test_odoo_dockerfile_steps_on_a_stand_in_base(tmp_path: Path) -> None:
    """docker/odoo.Dockerfile's own steps (wheels in the builder stage as the unprivileged
    user, install into the system Python under PEP 668, odoo.conf, final user). The official
    odoo:18 cannot be pulled here, so ODOO_IMAGE is a stand-in: the local Debian + Python
    base with the official image's account and folders (user odoo, /etc/odoo). What this does
    not show is Odoo itself running: that needs the real image (docker/README.md)."""
    require_arch(NATIVE)
    base = base_image(NATIVE)
    # Tags of this run only: a second run at the same time (another checkout) removes its own.
    stand_in = f"localhost/zk-odoo-standin:smoke-{os.getpid()}"
    (tmp_path / "Containerfile").write_text(
        f"FROM {base}\n"
        "RUN useradd --system --create-home --home-dir /var/lib/odoo odoo"
        " && mkdir -p /etc/odoo /mnt/extra-addons && chown odoo /etc/odoo /mnt/extra-addons\n"
        "USER odoo\n")
    podman("build", "-t", stand_in, str(tmp_path), timeout=300)
    image = f"localhost/zk-odoo-odoo:smoke-{os.getpid()}"
    build = ["build", "--format", "docker", "--build-arg", f"ODOO_IMAGE={stand_in}",
             "--ignorefile", str(DOCKER / "odoo.Dockerfile.dockerignore"),
             "-f", str(DOCKER / "odoo.Dockerfile"), "-t", image]
    if CA_BUNDLE.exists():
        build += ["-v", f"{CA_BUNDLE}:{CA_BUNDLE}:ro"]
    try:
        podman(*build, str(ROOT), timeout=600)
        probe = ("import configparser, zk, zk_relay, zk_rules; c = configparser.ConfigParser();"
                 " c.read('/etc/odoo/odoo.conf'); print(c['options']['addons_path'])")
        out = podman("run", "--rm", image, "python3", "-c", probe).stdout
        assert out.strip() == "/mnt/extra-addons,/usr/lib/python3/dist-packages/odoo/addons"
        assert podman("run", "--rm", image, "id", "-un").stdout.strip() == "odoo"
    finally:
        podman("rmi", "-f", image, stand_in, check=False)
