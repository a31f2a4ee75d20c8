"""Connecting to a Ray cluster, and a loopback cluster of real Ray nodes.

``LocalCluster`` starts a head and workers with ``ray start`` on their own loopback
addresses (127.0.0.2, 127.0.0.3, …) and stops them by PID: two Ray nodes on one machine, as
the tests and benchmarks run them. ``ray start --node-ip-address=127.0.0.1`` is silently
replaced by the machine's network address, so 127.0.0.1 is never used.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["LocalCluster", "connect", "package_root"]

NAMESPACE = "assistant"


def package_root() -> str:
    """The folder holding the ``assistant`` package, for the workers' ``PYTHONPATH``."""
    return str(Path(__file__).resolve().parents[2])


def _worker_env() -> dict[str, str]:
    path = os.environ.get("PYTHONPATH", "")
    root = package_root()
    return {"PYTHONPATH": f"{root}{os.pathsep}{path}" if path else root,
            "RAY_USAGE_STATS_ENABLED": "0"}


def connect(address: str) -> None:
    """Join the cluster at ``address`` (``host:port`` of its head) from this process, once.

    The workers import ``assistant`` from this checkout's folder: on a cluster of real
    machines that folder must exist on every node (a shared file system), or the package
    be installed there.
    """
    import ray

    if ray.is_initialized():
        return
    host = address.rsplit(":", 1)[0]
    options = {}
    if host.startswith("127."):  # a loopback cluster: this process joins as that node
        options["_node_ip_address"] = host
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    ray.init(address=address, namespace=NAMESPACE, log_to_driver=False,
             runtime_env={"env_vars": _worker_env()}, **options)


def _ray_cli() -> str:
    found = shutil.which("ray", path=os.pathsep.join([str(Path(sys.executable).parent),
                                                      os.environ.get("PATH", "")]))
    if found is None:
        raise RuntimeError("the `ray` command is not installed: pip install "
                           "'blog-archive-assistant[cluster]' (README, \"Past one machine\")")
    return found


@dataclass
class LocalCluster:
    """A head and ``workers`` more nodes on loopback, each ``cpus`` logical CPUs."""

    workers: int = 1
    cpus: int = 2
    port: int = 6390
    memory_mb: int = 0  # object store per node; 0: Ray's default
    temp_dir: str = field(default_factory=lambda: tempfile.mkdtemp(prefix="ray-"))
    pids: list[int] = field(default_factory=list)

    @property
    def address(self) -> str:
        return f"127.0.0.2:{self.port}"

    def node_ip(self, node: int) -> str:
        return f"127.0.0.{2 + node}"

    def _start(self, node: int) -> list[int]:
        args = [_ray_cli(), "start", f"--node-ip-address={self.node_ip(node)}",
                f"--num-cpus={self.cpus}", "--disable-usage-stats", "--block"]
        if self.memory_mb:
            args.append(f"--object-store-memory={self.memory_mb * 2**20}")
        if node == 0:
            args += ["--head", f"--port={self.port}", "--include-dashboard=false",
                     f"--temp-dir={self.temp_dir}"]
        else:
            args.append(f"--address={self.address}")
        env = {**os.environ, **_worker_env()}
        process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
        self.pids.append(process.pid)
        return [process.pid]

    def start(self, timeout: float = 90.0) -> LocalCluster:
        """Start every node and wait until the cluster sees them all alive."""
        self._start(0)
        self._wait_nodes(1, timeout)
        for node in range(1, self.workers + 1):
            self._start(node)
        self._wait_nodes(self.workers + 1, timeout)
        return self

    def add_node(self, timeout: float = 90.0) -> str:
        """Start one more worker node; its address once the cluster sees it."""
        node = len(self.pids)
        self._start(node)
        self._wait_nodes(node + 1, timeout)
        return self.node_ip(node)

    def _wait_nodes(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        probe = [sys.executable, "-c", (
            "import ray,sys; ray.init(address=sys.argv[1], _node_ip_address='127.0.0.2', "
            "log_to_driver=False); print(sum(n['Alive'] for n in ray.nodes()))"),
            self.address]
        env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
        while time.monotonic() < deadline:
            done = subprocess.run(probe, capture_output=True, text=True, env=env, timeout=60,
                                  check=False)
            if done.returncode == 0 and done.stdout.strip().splitlines()[-1:] == [str(count)]:
                return
            time.sleep(1.0)
        raise RuntimeError(f"the loopback Ray cluster did not reach {count} nodes in "
                           f"{timeout:.0f} s")

    def stop(self) -> None:
        """Stop every node by its process group (``ray start --block`` runs them under it),
        then leave nothing behind."""
        for pid in reversed(self.pids):
            try:
                os.killpg(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        deadline = time.monotonic() + 5  # then SIGKILL: a node's raylet can linger 20 s
        for pid in self.pids:
            while time.monotonic() < deadline:
                try:
                    os.killpg(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.2)
            else:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
        self.pids.clear()
        shutil.rmtree(self.temp_dir, ignore_errors=True)

    def __enter__(self) -> LocalCluster:
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()
