"""A real Spark standalone cluster on localhost: one master, two one-core workers.

Started from the installed pyspark with ``spark-class`` (the same classes a
production standalone cluster runs), each daemon in its own process group;
stopped by killing every process it spawned (executor JVMs, Python workers) and
checking that none is left.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pyspark

SPARK_HOME = Path(pyspark.__file__).resolve().parent
EXECUTOR_CLASS = "org.apache.spark.executor.CoarseGrainedExecutorBackend"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url: str, timeout: float = 5.0):
    """GET a JSON document (master status, driver REST API)."""
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return json.load(resp)


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return raw.decode(errors="replace").split("\0")


def _parent(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def descendants(root: int) -> list[int]:
    """All live processes below ``root`` (children, grandchildren …), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            parent = _parent(int(entry.name))
            if parent is not None:
                children.setdefault(parent, []).append(int(entry.name))
    found: list[int] = []
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@dataclass
class Daemon:
    """One master or worker JVM (``spark-class`` execs java, so this is its pid)."""

    name: str
    proc: subprocess.Popen
    log: Path
    work_dir: Path | None = None


@dataclass
class LocalCluster:
    """Master URL, web UI and daemons of a running standalone cluster."""

    root: Path
    master_url: str
    webui: str
    master: Daemon
    workers: list[Daemon] = field(default_factory=list)

    def status(self) -> dict:
        """The master's JSON status (workers, apps)."""
        return get_json(f"{self.webui}/json/")

    def executors(self, app_id: str) -> dict[str, tuple[int, Daemon]]:
        """Executor id -> (JVM pid, its worker) of ``app_id``, from the workers' child
        processes, cross-checked with the worker's work directory ``APP/EXEC_ID/``."""
        found: dict[str, tuple[int, Daemon]] = {}
        for worker in self.workers:
            for pid in descendants(worker.proc.pid):
                cmd = _cmdline(pid)
                if EXECUTOR_CLASS not in cmd or not alive(pid):
                    continue
                args = dict(zip(cmd, cmd[1:], strict=False))
                exec_id = args.get("--executor-id")
                if args.get("--app-id") == app_id and exec_id is not None:
                    assert worker.work_dir is not None
                    if (worker.work_dir / app_id / exec_id).is_dir():
                        found[exec_id] = (pid, worker)
        return found

    def python_workers(self) -> set[str]:
        """Interpreters of the Python worker daemons the executors run right now."""
        return {cmd[0] for w in self.workers for pid in descendants(w.proc.pid)
                if "pyspark.daemon" in (cmd := _cmdline(pid))}

    def wait_idle(self, timeout: float = 60.0) -> None:
        """Wait until no application holds executors (a killed driver's app is gone)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            st = self.status()
            if not st["activeapps"] and all(w["coresused"] == 0 for w in st["workers"]):
                return
            time.sleep(0.5)
        raise TimeoutError(f"cluster still busy after {timeout}s: {self.status()['activeapps']}")

    def stop(self) -> list[int]:
        """Kill every daemon and all it spawned; return the pids still alive (none)."""
        daemons = [*self.workers, self.master]
        pids = [p for d in daemons for p in (d.proc.pid, *descendants(d.proc.pid))]
        for d in daemons:
            _signal_group(d.proc, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for d in daemons:
            try:
                d.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(d.proc, signal.SIGKILL)
                d.proc.wait(timeout=10)
        for pid in pids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.5)
        return [pid for pid in pids if alive(pid)]


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def spark_env(**extra: str) -> dict[str, str]:
    """Environment for Spark processes: loopback only, this pyspark as SPARK_HOME."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON")}  # only --conf decides
    env.update(SPARK_HOME=str(SPARK_HOME), SPARK_LOCAL_IP="127.0.0.1",
               SPARK_LOCAL_HOSTNAME="localhost", **extra)
    return env


def _start(name: str, args: list[str], root: Path, env: dict[str, str]) -> Daemon:
    log = root / f"{name}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [str(SPARK_HOME / "bin" / "spark-class"), *args], stdout=out,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=root,
            start_new_session=True,
        )
    return Daemon(name, proc, log)


def start_cluster(root: Path, workers: int = 2, worker_memory: str = "1g",
                  timeout: float = 180.0) -> LocalCluster:
    """Start a master and ``workers`` one-core workers; return once all registered."""
    root.mkdir(parents=True, exist_ok=True)
    port, webui_port = free_port(), free_port()
    env = spark_env(
        SPARK_DAEMON_MEMORY="256m",
        SPARK_MASTER_OPTS="-Dspark.master.rest.enabled=false",
        SPARK_WORKER_OPTS="-Dspark.worker.cleanup.enabled=false",
    )
    master = _start("master", ["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                               "--port", str(port), "--webui-port", str(webui_port)], root, env)
    cluster = LocalCluster(root, f"spark://127.0.0.1:{port}", f"http://127.0.0.1:{webui_port}",
                           master)
    try:
        for i in range(workers):
            work_dir = root / f"worker-{i}"
            work_dir.mkdir()
            worker = _start(f"worker-{i}", [
                "org.apache.spark.deploy.worker.Worker", cluster.master_url,
                "--host", "127.0.0.1", "--cores", "1", "--memory", worker_memory,
                "--webui-port", str(free_port()), "--work-dir", str(work_dir)], root, env)
            worker.work_dir = work_dir
            cluster.workers.append(worker)
        _wait_registered(cluster, workers, timeout)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _wait_registered(cluster: LocalCluster, workers: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for d in (cluster.master, *cluster.workers):
            if d.proc.poll() is not None:
                raise RuntimeError(f"{d.name} exited ({d.proc.returncode}):\n"
                                   + d.log.read_text()[-3000:])
        try:
            if cluster.status().get("aliveworkers") == workers:
                return
        except OSError:
            pass  # the master's web UI is not up yet
        time.sleep(0.5)
    raise TimeoutError(f"{workers} workers did not register within {timeout}s")


class Driver:
    """A ``spark-submit`` process whose stderr is collected line by line as it runs."""

    def __init__(self, argv: list[str], log: Path, env: dict[str, str]):
        self.log = log
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        with open(self.log, "w") as out:
            for raw in self.proc.stdout:
                line = raw.decode(errors="replace")
                out.write(line)
                out.flush()
                with self._cond:
                    self.lines.append(line)
                    self._cond.notify_all()

    def wait_for_line(self, needle: str, timeout: float) -> str:
        """Block until a line containing ``needle`` was printed (or the driver ended)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                hit = next((ln for ln in self.lines if needle in ln), None)
                if hit is not None:
                    return hit
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    raise TimeoutError(f"driver never printed {needle!r}; log: {self.log}")
                self._cond.wait(min(left, 1.0))

    def wait(self, timeout: float) -> int:
        """Exit status, after the output has been read to the end."""
        rc = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=30)
        return rc

    def kill(self) -> None:
        """SIGKILL the driver and everything in its process group (the Python side too)."""
        _signal_group(self.proc, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self._reader.join(timeout=30)

    @property
    def output(self) -> str:
        return "".join(self.lines)
