"""The docker/ image: built with podman from a Debian base made here, then a one-worker
standalone cluster inside it (the entrypoint's master and worker roles) runs the demo
through ``winnow submit``, as the compose file's services do.

No Docker engine and no image registry are needed: ``debootstrap`` makes the
``debian:bookworm-slim`` base from Debian packages, ``podman build --isolation=chroot
--pull=never`` builds, and a last build step on top of the image runs the demo
(``podman run`` is not used: it needs rlimits these machines do not grant).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cluster_fixture import free_port

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parents[1]
BASE = "docker.io/library/debian:bookworm-slim"
IMAGE = "localhost/winnow:test"
HOST_CA = Path("/etc/ssl/certs/ca-certificates.crt")
#: Inside a chroot-isolated run Spark shares the host's network: loopback only.
SPARK_ENV = {"SPARK_LOCAL_IP": "127.0.0.1", "SPARK_LOCAL_HOSTNAME": "localhost"}

#: master + worker in the background, the demo through `winnow submit`, then stop both.
CLUSTER_DEMO = r"""
set -euo pipefail
java -version 2>&1 | head -1
python --version
/opt/winnow/docker/entrypoint.sh master > /tmp/master.log 2>&1 &
master=$!
/opt/winnow/docker/entrypoint.sh worker "spark://127.0.0.1:$SPARK_MASTER_PORT" \
  --host 127.0.0.1 > /tmp/worker.log 2>&1 &
worker=$!
trap 'status=$?; kill $worker $master; wait; [ $status = 0 ] || tail -n 20 /tmp/*.log' EXIT
python - <<'PY'
import json, os, time, urllib.request
url = f"http://127.0.0.1:{os.environ['SPARK_MASTER_WEBUI_PORT']}/json/"
for _ in range(600):
    try:
        if json.load(urllib.request.urlopen(url, timeout=5))["aliveworkers"] == 1:
            break
    except OSError:
        pass
    time.sleep(0.5)
else:
    raise SystemExit("worker did not register")
PY
winnow assets list | grep '^ldnoobw/en'
SPARK_MASTER="spark://127.0.0.1:$SPARK_MASTER_PORT" /opt/winnow/docker/entrypoint.sh demo
"""


def run(*cmd: str, timeout: float = 1800, **kw) -> subprocess.CompletedProcess:
    """Run a command; on failure show the end of its output."""
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    assert proc.returncode == 0, f"{' '.join(cmd)}: exit {proc.returncode}\n" + (
        proc.stdout[-4000:] + proc.stderr[-4000:])
    return proc


@pytest.fixture(scope="module")
def tools():
    missing = [t for t in ("podman", "debootstrap") if not shutil.which(t)]
    if missing or os.geteuid() != 0:
        pytest.skip(f"image test needs root and {', '.join(missing) or 'nothing else'}: "
                    "apt-get install podman debootstrap")


@pytest.fixture(scope="module")
def base_image(tools, tmp_path_factory) -> str:
    """``debian:bookworm-slim`` made with debootstrap (once per machine)."""
    if subprocess.run(["podman", "image", "exists", BASE]).returncode != 0:
        rootfs = tmp_path_factory.mktemp("debootstrap") / "rootfs"
        run("debootstrap", "--variant=minbase", "bookworm", str(rootfs),
            "http://deb.debian.org/debian")
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        run("podman", "import", "-", BASE, stdin=tar.stdout)
        assert tar.wait() == 0
    return BASE


@pytest.fixture(scope="module")
def assets_mirror(shared_data):
    """The word lists served over HTTP on 127.0.0.1 (the build fetches them, as a user's
    build fetches them from their published sources; no internet here)."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
         "--directory", str(shared_data / "wordlists")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def image(base_image, assets_mirror, tmp_path_factory) -> str:
    """The image built from docker/Dockerfile exactly as a user builds it, plus the
    host's CA bundle and cached pyspark wheel as build-time pip settings, and the word
    lists from a loopback mirror."""
    args = ["podman", "build", "--isolation=chroot", "--pull=never",
            "-f", str(ROOT / "docker" / "Dockerfile"), "-t", IMAGE,
            "--build-arg", f"ASSETS_MIRROR={assets_mirror}"]
    if HOST_CA.is_file():
        args += ["-v", f"{HOST_CA}:/etc/ssl/certs/host-ca.crt:ro",
                 "--build-arg", "PIP_CERT=/etc/ssl/certs/host-ca.crt"]
    wheels = glob.glob(os.path.expanduser("~/.cache/pip/wheels/**/pyspark-4.1.1-*.whl"),
                       recursive=True)
    if wheels:
        house = tmp_path_factory.mktemp("wheels")
        shutil.copy(wheels[0], house)
        args += ["-v", f"{house}:/wheels:ro", "--build-arg", "PIP_FIND_LINKS=/wheels"]
    before = subprocess.run(["podman", "image", "inspect", "--format", "{{.Id}}", IMAGE],
                            capture_output=True, text=True).stdout.strip()
    run(*args, str(ROOT))
    after = run("podman", "image", "inspect", "--format", "{{.Id}}", IMAGE).stdout.strip()
    if before and before != after:  # the previous build's image is now untagged: drop it
        subprocess.run(["podman", "rmi", before], capture_output=True)
    return IMAGE


def test_image_runs_the_demo_on_a_standalone_cluster_inside(image, tmp_path):
    """A last build step on top of the image starts a master and a worker from the
    entrypoint and runs the demo on them through ``winnow submit``."""
    ports = {"SPARK_MASTER_PORT": free_port(), "SPARK_MASTER_WEBUI_PORT": free_port(),
             "SPARK_WORKER_WEBUI_PORT": free_port()}
    env = {**SPARK_ENV, **ports, "SPARK_MASTER_HOST": "127.0.0.1", "DEMO_DOCS": "300"}
    (tmp_path / "smoke.sh").write_text(CLUSTER_DEMO)
    (tmp_path / "Containerfile").write_text(
        f"FROM {image}\n" + "".join(f"ENV {k}={v}\n" for k, v in env.items())
        + "COPY smoke.sh /tmp/smoke.sh\nRUN bash /tmp/smoke.sh\n")
    iid = tmp_path / "iid"
    try:
        proc = run("podman", "build", "--isolation=chroot", "--pull=never", "--no-cache",
                   "--iidfile", str(iid), "-f", str(tmp_path / "Containerfile"), str(tmp_path))
    finally:
        if iid.exists():
            subprocess.run(["podman", "rmi", iid.read_text().strip()], capture_output=True)
    out = proc.stdout + proc.stderr
    assert 'openjdk version "17.' in out
    assert "Python 3.11." in out
    assert "ldnoobw/en\t/opt/winnow/assets/" in out  # the word lists are in the image
    assert f"master spark://127.0.0.1:{ports['SPARK_MASTER_PORT']}" in out  # not local[*]
    assert "--py-files" in out
    assert "published /tmp/winnow-demo/curated" in out
    assert "dedup:exact_duplicate" in out  # the synthetic corpus plants exact copies


def test_compose_file_runs_master_two_workers_and_the_demo():
    """Structure only (no engine here): roles, the shared data volume, the demo's master."""
    compose = yaml.safe_load((ROOT / "docker" / "docker-compose.yml").read_text())
    services = compose["services"]
    assert services["master"]["command"][0] == "master"
    workers = [s for s in services.values() if s["command"][0] == "worker"]
    assert len(workers) == 2
    assert all(w["command"][1] == "spark://master:7077" for w in workers)
    submit = services["submit"]
    assert submit["command"] == ["demo"]
    assert submit["environment"]["SPARK_MASTER"] == "spark://master:7077"
    data_dir = submit["environment"]["DEMO_DIR"]
    for svc in (*workers, submit):
        assert any(v.split(":")[1] == data_dir.rsplit("/", 1)[0] for v in svc["volumes"])
