"""`bivideo batch DIR --cluster ray`: the same batch, spread over a Ray cluster.

The driver (the machine running the command) does what a local batch does before and after
the work: finding the videos, the state file (written only here), the report. In between:

- Transcription (and translation, cue building, the subtitle files) runs in `Transcriber`
  actors, each loading the Whisper model once and keeping it for every video it is given.
  One per GPU when the cluster has GPUs (faster-whisper float16 on CUDA), otherwise CPU
  actors holding about half of the cluster's CPUs. An actor with nothing left to transcribe
  is ended, so that its CPUs (or GPU) go to the burns.
- Burns (and --preview's stills) are CPU tasks sized to the encoder, on any node; the
  transcript of one video and the burn of another run at once across the cluster.
- Only paths, settings and cues travel through Ray (a few kB per video): inputs, outputs and
  the work folders must be on storage every node sees at the same path, which is checked up
  front. Every file is still written under a temporary name and renamed.
- A worker (or node) lost mid-task: the task runs again, at most `RETRIES` times, and the
  report says so; a file that fails (cannot be decoded, no speech...) is reported failed and
  the batch goes on.

Ray is an optional extra: nothing here imports it until `--cluster` is given.
"""

from __future__ import annotations

import os
import secrets
import socket
import time
from collections import deque
from dataclasses import replace
from pathlib import Path
from typing import Any

from bivideo import artifacts
from bivideo.errors import BivideoError
from bivideo.ui import Reporter

INSTALL = "pip install 'bivideo[cluster]'"
RETRIES = 2  # a task (or actor call) whose worker or node was lost is run again at most this often
ENCODER_CPUS = 4  # what a burn asks for at most: libx264's threads make good use of about this many
CHECK_SECONDS = 120  # how long the storage check waits for every node to answer
REACH_SECONDS = 10  # how long a named cluster's head may take to accept a connection


def require_ray() -> Any:
    """The ray module, or a one-line error saying what to install."""
    try:
        import ray
    except ImportError:
        raise BivideoError(f"--cluster ray needs Ray, which is not installed: {INSTALL}") from None
    return ray


def address(cluster: str) -> str | None:
    """Where to connect: `ray` means $RAY_ADDRESS, else the cluster started on this machine
    with `ray start`, else a new local one (None lets Ray decide in that order)."""
    if cluster == "ray":
        return os.environ.get("RAY_ADDRESS") or None
    if cluster.startswith("ray://") or (":" in cluster and not cluster.startswith(("http:", "https:"))):
        return cluster
    raise BivideoError(f"--cluster {cluster}: give `ray` (RAY_ADDRESS, or the cluster on this machine), "
                       "ray://HOST:PORT or HOST:PORT")


def _forwarded_environment() -> dict[str, str]:
    """What the stages read from the environment, as the driver has it: the cache (work
    folders, models) at the driver's path, BIVIDEO_* overrides, translator keys, proxies."""
    from bivideo import translate

    names = {n for n in os.environ if n.startswith("BIVIDEO_")} | set(translate.SECRETS) | \
        {"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"}
    env = {n: os.environ[n] for n in names if os.environ.get(n)}
    return env | {"BIVIDEO_CACHE": str(artifacts.cache_dir().expanduser().resolve())}


def _reachable(where: str, cluster: str) -> None:
    """A named cluster that does not answer: said at once (Ray itself waits minutes)."""
    host, _, port = where.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise BivideoError(f"--cluster {cluster}: give `ray`, ray://HOST:PORT or HOST:PORT")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=REACH_SECONDS).close()
    except OSError as error:
        raise BivideoError(f"--cluster {cluster}: no Ray cluster answers at {host}:{port} "
                           f"({error.strerror or error}); start one with `ray start --head`") from None


def connect(cluster: str) -> Any:
    ray = require_ray()
    where = address(cluster)
    if where and where != "auto":
        _reachable(where, cluster)
    try:
        ray.init(address=where, log_to_driver=False, logging_level="WARNING",
                 configure_logging=True, runtime_env={"env_vars": _forwarded_environment()})
    except ConnectionError as error:
        raise BivideoError(f"--cluster {cluster}: cannot join the Ray cluster ({str(error).splitlines()[0]})") from None
    return ray


# --- what runs on the nodes ---------------------------------------------------------------


class Collecting(Reporter):
    """A remote stage's reporter: no bars, and its notes and warnings kept to be shown by
    the driver, labelled with the file."""

    def __init__(self) -> None:
        super().__init__(quiet=True)
        self.messages: list[tuple[str, str]] = []

    def note(self, message: str) -> None:
        self.messages.append(("note", message))

    def warn(self, message: str) -> None:
        self.messages.append(("warn", message))


def _node() -> str:
    import ray

    return ray.util.get_node_ip_address()


def _reason(error: Exception) -> str:
    return str(error) if isinstance(error, BivideoError) else f"unexpected {type(error).__name__}: {error}"


def look(checks: list[tuple[str, str, int | None, bool]]) -> str | None:
    """On one node: the first of (what, path, size, writable) this node cannot see as the
    driver does, as "cannot see PATH (WHAT)"; None when it sees them all."""
    for what, path, size, writable in checks:
        try:
            found = os.stat(path)
        except OSError:
            return f"cannot see {path} ({what})"
        if size is not None and found.st_size != size:
            return f"sees another file at {path} ({what}: {found.st_size} bytes, not {size})"
        if writable and not os.access(Path(path).parent, os.W_OK | os.X_OK):
            return f"cannot write beside {path} ({what})"
    return None


class Ledger:
    """On the driver's node: how often each video's stages were started, so the report can
    say what was run again after a worker was lost."""

    def __init__(self) -> None:
        self.starts: dict[str, dict[str, int]] = {}

    def started(self, name: str, stage: str) -> None:
        stages = self.starts.setdefault(name, {})
        stages[stage] = stages.get(stage, 0) + 1

    def counts(self) -> dict[str, dict[str, int]]:
        return self.starts


class Transcriber:
    """An actor that keeps the Whisper model loaded (transcribe.load_engine is cached per
    process) and prepares one video after another: transcribe, translate, subtitle files."""

    def prepare(self, mode: str, source: str, settings, name: str, ledger) -> dict:
        from bivideo import flow

        ledger.started.remote(name, "transcribe")
        reporter, began = Collecting(), time.time()
        try:
            job = flow.start(mode, Path(source), settings, reporter)  # type: ignore[arg-type]
        except Exception as error:  # noqa: BLE001 - any failure is this file's, the batch goes on
            return {"error": _reason(error), "messages": reporter.messages}
        job.outputs.reporter = None  # type: ignore[assignment]  # not sent: the burn sets its own
        return {"job": job, "began": began, "ended": time.time(), "messages": reporter.messages, "node": _node()}

    def loads(self) -> dict:
        """How many times this actor loaded a model, where it runs and on what."""
        import ctranslate2

        from bivideo import transcribe

        return {"node": _node(), "pid": os.getpid(), "model_loads": transcribe.load_engine.cache_info().misses,
                "device": "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"}


def finish(mode: str, job, source: str, settings, name: str, ledger) -> dict:
    """A CPU task: the burn (or --preview's stills); for --burn, the subtitle files are read
    here first (nothing to transcribe)."""
    import ray

    from bivideo import flow

    ray.get(ledger.started.remote(name, "burn" if mode != "preview" else "stills"))
    reporter, began, prepared = Collecting(), time.time(), None
    try:
        if job is None:
            job = flow.start(mode, Path(source), settings, reporter)  # type: ignore[arg-type]
            prepared = time.time() - began
        _current(job.outputs, reporter)
        written = flow.finish(mode, job, settings, reporter)  # type: ignore[arg-type]
    except Exception as error:  # noqa: BLE001
        return {"error": _reason(error), "messages": reporter.messages}
    return {"written": [str(p.resolve()) for p in written], "began": began, "ended": time.time(),
            "prepared": prepared, "messages": reporter.messages, "node": _node()}


def _current(outputs, reporter: Reporter) -> None:
    """The outputs' record of what bivideo wrote, as it is on disk now rather than as it was
    sent: an attempt lost mid-burn may have written files since (which are ours, not edits)."""
    outputs.reporter = reporter
    outputs.written = artifacts.read_json(outputs.record) if outputs.record.is_file() else {}


# --- the driver ---------------------------------------------------------------------------


def _alive(ray) -> list[dict]:
    return [n for n in ray.nodes() if n.get("Alive")]


def check_storage(ray, batch, todo) -> None:
    """Every node must see the inputs (the same files), the output folders and the work
    folder at the driver's paths: one line naming the first node and path that fail."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    token = secrets.token_hex(4)
    folders = {batch.output_folder(item).resolve() for item in todo} | \
        {(artifacts.cache_dir() / "work").expanduser().resolve()}
    markers = []
    for folder in sorted(folders):
        folder.mkdir(parents=True, exist_ok=True)
        marker = folder / f".bivideo-cluster-check-{token}"
        marker.write_text("every node of the cluster must see this file\n")
        markers.append(marker)
    what = {str(m): "the work folder" if m.parent.name == "work" else "an output folder" for m in markers}
    checks = [("an input", str(item.source.resolve()), item.signature[0], False) for item in todo] + \
        [(what[str(m)], str(m), None, True) for m in markers]
    looker = ray.remote(look)
    try:
        nodes = _alive(ray)
        answers = ray.get([looker.options(num_cpus=0, scheduling_strategy=NodeAffinitySchedulingStrategy(
            n["NodeID"], soft=False)).remote(checks) for n in nodes], timeout=CHECK_SECONDS)
    finally:
        for marker in markers:
            marker.unlink(missing_ok=True)
    for node, problem in zip(nodes, answers):
        if problem:
            name = f"{node['NodeManagerAddress']} ({node['NodeID'][:8]})"
            raise BivideoError(f"node {name} {problem}: inputs, outputs and the work folder (BIVIDEO_CACHE) "
                               "must be on storage every node sees, at the same path")


def _placement(ray, videos: int) -> tuple[int, dict, int]:
    """How many transcriber actors, what each asks for, and the CPUs a burn asks for."""
    nodes = _alive(ray)
    cpus = [int(n["Resources"].get("CPU", 0)) for n in nodes]
    gpus = int(sum(n["Resources"].get("GPU", 0) for n in nodes))
    biggest = max(cpus, default=1) or 1
    burn_cpus = max(1, min(ENCODER_CPUS, biggest // 2))
    if gpus:
        return min(gpus, videos), {"num_gpus": 1, "num_cpus": 1}, burn_cpus
    actor_cpus = max(1, min(ENCODER_CPUS, biggest // 2))
    # about half the CPUs transcribe, the rest burn (a burn must always find room)
    actors = max(1, sum(cpus) // (2 * actor_cpus))
    return min(actors, videos), {"num_cpus": actor_cpus}, burn_cpus


def run(batch, todo: list, reporter: Reporter, cluster: str) -> None:
    """Process `todo` (items already probed) on the cluster; the same results and records
    as Batch._process, written by the driver."""
    ray = connect(cluster)
    started = time.monotonic()
    try:
        check_storage(ray, batch, todo)
        _run(ray, batch, todo, reporter, cluster)
    finally:
        spent = {"connect_and_run_seconds": round(time.monotonic() - started, 2)}
        batch.cluster_info = (batch.cluster_info or {}) | spent
        ray.shutdown()


def _run(ray, batch, todo: list, reporter: Reporter, cluster: str) -> None:
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    mode, limit = batch.options.mode, batch.options.jobs or len(todo)
    here = ray.get_runtime_context().get_node_id()
    ledger = ray.remote(Ledger).options(num_cpus=0, scheduling_strategy=NodeAffinitySchedulingStrategy(
        here, soft=True)).remote()
    count, needs, burn_cpus = _placement(ray, len(todo))
    actor_class = ray.remote(Transcriber).options(max_restarts=RETRIES, max_task_retries=RETRIES, **needs)
    actors = [actor_class.remote() for _ in range(count)] if mode != "burn" else []
    spares = 2 * len(actors)  # actors that may be started in place of ones lost for good
    burner = ray.remote(finish).options(num_cpus=burn_cpus, max_retries=RETRIES, retry_exceptions=False)
    settings = {item.name: _portable(batch.settings_for(item)) for item in todo}
    queue, idle = deque(todo), list(actors)
    loads: list[dict] = []  # each retired actor's model loads
    preparing: dict[Any, tuple[Any, Any, float]] = {}
    burning: dict[Any, tuple[Any, float]] = {}
    overhead: list[float] = []
    moved: dict[str, int] = {}
    total = sum(item.audio_seconds or 0.0 for item in todo)
    batch.cluster_info = {"address": ray.get_runtime_context().gcs_address, "nodes": [
        {"node": n["NodeManagerAddress"], "cpus": n["Resources"].get("CPU", 0), "gpus": n["Resources"].get("GPU", 0)}
        for n in _alive(ray)], "transcribers": len(actors), "transcriber_resources": needs, "burn_cpus": burn_cpus}

    def size(value) -> int:
        return len(ray.cloudpickle.dumps(value))

    def send_burn(item, job) -> None:
        args = (mode, job, str(item.source.resolve()), settings[item.name], item.name, ledger)
        moved[item.name] = moved.get(item.name, 0) + size(args[:5])
        burning[burner.remote(*args)] = (item, time.time())

    def arrived(item, result: dict) -> bool:
        """Count a stage's result, show its messages; False (the file failed) on its error."""
        moved[item.name] += size(result)
        with reporter.working_on(item.name):
            for kind, message in result.get("messages", ()):
                (reporter.warn if kind == "warn" else reporter.note)(message)
        if "error" in result:
            batch.fail(item, BivideoError(result["error"]))
            return False
        return True

    def retire(actor) -> None:
        """An actor with nothing left to transcribe: its CPUs (or GPU) go to the burns."""
        try:
            loads.append(ray.get(actor.loads.remote(), timeout=30))
        except ray.exceptions.RayError:
            pass
        ray.kill(actor, no_restart=True)

    def lost(item, error: Exception) -> None:
        batch.fail(item, BivideoError(f"its worker was lost {RETRIES + 1} times ({type(error).__name__}); "
                                       "see the Ray logs of the node"))

    with reporter.batch(len(todo), total) as finished:
        batch.finished = finished
        try:
            while queue or preparing or burning:
                while queue and len(preparing) + len(burning) < limit and (mode == "burn" or idle):
                    item = queue.popleft()
                    if mode == "burn":
                        send_burn(item, None)
                        continue
                    actor = idle.pop()
                    args = (mode, str(item.source.resolve()), settings[item.name], item.name, ledger)
                    moved[item.name] = moved.get(item.name, 0) + size(args[:4])
                    preparing[actor.prepare.remote(*args)] = (item, actor, time.time())
                while idle and not queue:
                    retire(idle.pop())
                if not idle and not preparing and queue and mode != "burn":
                    raise BivideoError("every transcriber was lost; see the Ray logs of the nodes")
                ready, _ = ray.wait([*preparing, *burning], num_returns=1)
                ref = ready[0]
                if ref in preparing:
                    item, actor, sent = preparing.pop(ref)
                    try:
                        result = ray.get(ref)
                    except ray.exceptions.RayActorError as error:  # lost more often than it may restart
                        lost(item, error)
                        if spares:  # a new actor in place of the one lost for good
                            spares -= 1
                            idle.append(actor_class.remote())
                        continue
                    except ray.exceptions.RayError as error:  # the result lost with its node, out of memory...
                        idle.append(actor)
                        lost(item, error)
                        continue
                    idle.append(actor)
                    if not arrived(item, result):
                        continue
                    item.seconds["prepare"] = result["ended"] - result["began"]
                    overhead.append(time.time() - sent - item.seconds["prepare"])
                    send_burn(item, result["job"])
                else:
                    item, sent = burning.pop(ref)
                    try:
                        result = ray.get(ref)
                    except ray.exceptions.RayError as error:  # its worker lost more often than it may retry
                        lost(item, error)
                        continue
                    if not arrived(item, result):
                        continue
                    if result["prepared"] is not None:
                        item.seconds["prepare"] = result["prepared"]
                    spent = result["ended"] - result["began"]
                    item.seconds["burn" if mode != "preview" else "stills"] = spent - (result["prepared"] or 0.0)
                    overhead.append(time.time() - sent - spent)
                    item.seconds["total"] = sum(item.seconds.values())
                    item.status, item.outputs = "done", result["written"]
                    batch.record(item)
        except KeyboardInterrupt:  # stop the work in flight: its temporary files are removed below
            for ref in burning:
                ray.cancel(ref, force=True)
            for _, actor, _ in preparing.values():
                ray.kill(actor, no_restart=True)
            preparing.clear()
            raise
        finally:
            for item in batch.items:
                if item.status == "pending":
                    item.status = "interrupted"
            _account(ray, batch, todo, ledger, idle + [actor for _, actor, _ in preparing.values()], loads,
                     overhead, moved)


def _portable(settings):
    """Settings as every node reads them: paths absolute (a node's working folder differs)."""
    def absolute(path):
        return path.expanduser().resolve() if path is not None else None

    return replace(settings, output_dir=absolute(settings.output_dir), glossary=absolute(settings.glossary))


def _account(ray, batch, todo, ledger, actors, loads, overhead, moved) -> None:
    """What was run again, how often each actor loaded the model, and what scheduling and
    Ray's object store cost per video: into the report."""
    try:
        starts = ray.get(ledger.counts.remote(), timeout=30)
        loads = loads + ray.get([a.loads.remote() for a in actors], timeout=30)
    except ray.exceptions.RayError:
        starts = {}
    for item in todo:
        retried = {stage: n - 1 for stage, n in starts.get(item.name, {}).items() if n > 1}
        if retried:
            item.retried = retried
        if item.status != "pending":  # a lost worker's half-written files: ours, never useful
            artifacts.remove_temporaries(item.source.stem, batch.output_folder(item))
    batch.cluster_info |= {
        "model_loads": loads,
        "scheduling_seconds_per_video": round(sum(overhead) / max(1, len(todo)), 3),
        "ray_bytes_per_video": round(sum(moved.values()) / max(1, len(moved))) if moved else 0}
