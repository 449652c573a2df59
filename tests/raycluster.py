"""A real Ray cluster on 127.0.0.1 for tests and benches: a head and worker nodes, each a
`ray start --block` process in its own process group (so that stopping it stops its raylet,
its workers and nothing else on the machine), every port chosen free, a temp dir of its own."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager, suppress
from pathlib import Path

RAY = Path(sys.executable).with_name("ray")
# a cluster of its own on 127.0.0.1, whatever ~/.ray/auth_token an earlier local Ray left behind
# (`ray start` turns token authentication on when it finds one, and then refuses clients without it)
AUTH = {"RAY_AUTH_MODE": "disabled"}


def loopback_only() -> bool:
    """True in a network namespace whose only interface is loopback (tools/loopback-only)."""
    return {name for _, name in socket.if_nameindex()} == {"lo"}


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _node_ports() -> list[str]:
    node, objects, agent, agent_grpc, metrics, runtime_env, low = _free_ports(7)
    return [f"--node-manager-port={node}", f"--object-manager-port={objects}",
            f"--dashboard-agent-listen-port={agent}", f"--dashboard-agent-grpc-port={agent_grpc}",
            f"--metrics-export-port={metrics}", f"--runtime-env-agent-port={runtime_env}",
            # a small range of its own for the worker processes (collisions are retried by Ray)
            f"--min-worker-port={20000 + low % 20000}", f"--max-worker-port={20000 + low % 20000 + 60}"]


class Cluster:
    def __init__(self, temp: Path):
        self.temp = temp
        self.nodes: list[subprocess.Popen] = []
        self.address = ""

    def _start(self, args: list[str], wrap: list[str] | None = None, env: dict | None = None) -> subprocess.Popen:
        log = (self.temp / f"node{len(self.nodes)}.log").open("w")
        command = [str(RAY), "start", "--block", "--node-ip-address=127.0.0.1", "--disable-usage-stats",
                   *_node_ports(), *args]
        proc = subprocess.Popen([*(wrap or []), *command], stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, env={**os.environ, **AUTH, **(env or {})})
        self.nodes.append(proc)
        return proc

    def head(self, cpus: int = 1) -> None:
        port, client = _free_ports(2)
        self._start(["--head", f"--port={port}", f"--ray-client-server-port={client}", f"--num-cpus={cpus}",
                     "--include-dashboard=false", f"--temp-dir={self.temp}"])
        self.address = f"127.0.0.1:{port}"
        self.wait_for(1)

    def worker(self, cpus: int = 1, wrap: list[str] | None = None) -> subprocess.Popen:
        """A worker node; `wrap` runs `ray start` under another command (e.g. in a mount
        namespace where a folder looks different)."""
        proc = self._start([f"--address={self.address}", f"--num-cpus={cpus}"], wrap)
        self.wait_for(len(self.nodes))
        return proc

    def alive(self) -> int:
        code = ("import ray, sys; ray.init(address=sys.argv[1], logging_level='ERROR'); "
                "print(sum(n['Alive'] for n in ray.nodes()))")
        done = subprocess.run([sys.executable, "-c", code, self.address], capture_output=True, text=True,
                              timeout=120)
        return int(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 and done.stdout.strip() else 0

    def wait_for(self, nodes: int, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for proc in self.nodes:
                if proc.poll() is not None:
                    raise RuntimeError(f"a ray node exited: {self.log()}")
            if self.alive() >= nodes:
                return
            time.sleep(1)
        raise RuntimeError(f"the Ray cluster did not reach {nodes} nodes: {self.log()}")

    def log(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-2000:] for p in sorted(self.temp.glob("node*.log")))

    def stop(self) -> None:
        for proc in reversed(self.nodes):
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    proc.wait(timeout=15)
                    break
                except subprocess.TimeoutExpired:
                    continue
        # workers that outlived their raylet (they are in the node's process group, which is gone now)
        for proc in self.nodes:
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)


@contextmanager
def ray_cluster(workers: int = 1, cpus: int = 1):
    """A head and `workers` worker nodes with `cpus` CPUs each; stopped (process groups
    killed) on the way out, whatever happened."""
    # short: Ray's socket paths must fit in 107 bytes
    temp = Path(tempfile.mkdtemp(prefix="ray", dir="/tmp"))
    cluster = Cluster(temp)
    saved = {name: os.environ.get(name) for name in AUTH}
    os.environ.update(AUTH)  # for the drivers the tests start too
    try:
        cluster.head(cpus)
        for _ in range(workers):
            cluster.worker(cpus)
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(temp, ignore_errors=True)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
