"""`bivideo batch DIR --cluster ray`: the same batch, spread over a Ray cluster.

The driver (the machine running the command) does what a local batch does before and after
the work: finding the videos, the state file (written only here), the report. In between:

- Transcription (and translation, cue building, the subtitle files) runs in `Transcriber`
  actors, each loading the Whisper model once and keeping it for every video it is given.
  One per GPU when the cluster has GPUs (faster-whisper float16 on CUDA), otherwise CPU
  actors holding about half of the cluster's CPUs. An actor with nothing left to transcribe
  is ended, so that its CPUs (or GPU) go to the burns. `--model auto` is chosen once, on the
  driver, for what one actor holds: every actor loads the same model.
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
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager, suppress
from dataclasses import replace
from pathlib import Path
from typing import Any

from bivideo import artifacts, engines, model_choice
from bivideo.batch import Batch, Outcome, Runners, first_half, second_half
from bivideo.batch_state import Item
from bivideo.errors import BivideoError
from bivideo.job import Job
from bivideo.settings import Mode, Settings
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
    """An actor that keeps the Whisper model loaded (engines.load_engine is cached per
    process) and prepares one video after another: transcribe, translate, subtitle files."""

    def prepare(self, mode: Mode, source: str, settings: Settings, name: str, ledger: Any) -> Outcome:
        ledger.started.remote(name, "transcribe")
        reporter = Collecting()
        outcome = first_half(mode, Path(source), settings, reporter)
        return replace(outcome, messages=reporter.messages)

    def loads(self) -> dict:
        """How many times this actor loaded a model, where it runs and on what."""
        import ctranslate2


        return {"node": _node(), "pid": os.getpid(), "model_loads": engines.load_engine.cache_info().misses,
                "device": "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"}


def finish(mode: Mode, job: Job | None, source: str, settings: Settings, name: str, ledger: Any) -> Outcome:
    """A CPU task: the burn (or --preview's stills); for --burn, the subtitle files are read
    here first (nothing to transcribe)."""
    import ray

    ray.get(ledger.started.remote(name, "burn" if mode != "preview" else "stills"))
    if job is not None:  # the record of what bivideo wrote as it is on disk now, not as it was sent:
        job.outputs.reload()  # an attempt lost mid-burn may have written files since (ours, not edits)
    reporter = Collecting()
    outcome = second_half(mode, job, Path(source), settings, reporter)
    return replace(outcome, messages=reporter.messages)


# --- the driver ---------------------------------------------------------------------------


def _alive(ray: Any) -> list[dict]:
    return [n for n in ray.nodes() if n.get("Alive")]


def check_storage(ray: Any, batch: Batch, todo: list[Item]) -> None:
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


def _placement(ray: Any, videos: int) -> tuple[int, dict, int]:
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


def runners(cluster: str) -> Runners:
    """Batch.run's runners on the cluster: joined when the batch has work, left after."""
    @contextmanager
    def joined(batch: Batch, todo: list[Item]) -> Iterator[RayRunner]:
        ray = connect(cluster)
        try:
            yield RayRunner(ray, batch, todo)
        finally:
            ray.shutdown()

    return joined


class RayRunner:
    """The batch's halves on the cluster (see batch.Runner): first halves on `Transcriber`
    actors, each given one video at a time; second halves as CPU tasks sized to the encoder.
    What was lost is run again by Ray (`RETRIES`); what is lost more often fails that file.
    Counts what the report tells: stages run again, model loads, scheduling time, bytes moved."""

    def __init__(self, ray: Any, batch: Batch, todo: list[Item]) -> None:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        self.ray, self.mode, self.todo, self.started = ray, batch.options.mode, todo, time.monotonic()
        self.output_folder = batch.output_folder
        check_storage(ray, batch, todo)
        self.limit, self.unsent = batch.options.jobs or len(todo), len(todo)
        here = ray.get_runtime_context().get_node_id()
        self.ledger = ray.remote(Ledger).options(num_cpus=0, scheduling_strategy=NodeAffinitySchedulingStrategy(
            here, soft=True)).remote()
        count, needs, burn_cpus = _placement(ray, len(todo))
        self.model = _model(batch, needs) if self.mode != "burn" else batch.settings.model
        self.actor_class = ray.remote(Transcriber).options(max_restarts=RETRIES, max_task_retries=RETRIES, **needs)
        self.idle = [self.actor_class.remote() for _ in range(count)] if self.mode != "burn" else []
        self.spares = 2 * len(self.idle)  # actors that may be started in place of ones lost for good
        self.burner = ray.remote(finish).options(num_cpus=burn_cpus, max_retries=RETRIES, retry_exceptions=False)
        self.preparing: dict[Future, tuple[Any, float]] = {}  # -> its actor, when sent
        self.finishing: dict[Future, tuple[Any, float]] = {}  # -> its task, when sent
        self.loads: list[dict] = []  # each retired actor's model loads
        self.overhead: list[float] = []
        self.moved: dict[str, int] = {}
        self.info = {"address": ray.get_runtime_context().gcs_address, "nodes": [
            {"node": n["NodeManagerAddress"], "cpus": n["Resources"].get("CPU", 0),
             "gpus": n["Resources"].get("GPU", 0)} for n in _alive(ray)],
            "transcribers": len(self.idle), "transcriber_resources": needs, "burn_cpus": burn_cpus}

    def room_to_prepare(self, preparing: int, finishing: int) -> bool:
        if self.mode != "burn" and not self.idle and not preparing:
            raise BivideoError("every transcriber was lost; see the Ray logs of the nodes")
        return preparing + finishing < self.limit and (self.mode == "burn" or bool(self.idle))

    def room_to_finish(self, finishing: int) -> bool:
        return True  # Ray queues the tasks until a node has the CPUs

    def prepare(self, item: Item, settings: Settings) -> Future:
        actor = self.idle.pop()
        self.unsent -= 1
        args = (self.mode, str(item.source.resolve()), _portable(replace(settings, model=self.model)), item.name)
        self._count(item, args)
        future = actor.prepare.remote(*args, self.ledger).future()
        self.preparing[future] = (actor, time.time())
        return future

    def finish(self, item: Item, job: Any, settings: Settings) -> Future:
        self.unsent -= job is None  # --burn: nothing was prepared
        args = (self.mode, job, str(item.source.resolve()), _portable(settings), item.name)
        self._count(item, args)
        ref = self.burner.remote(*args, self.ledger)
        future = ref.future()
        self.finishing[future] = (ref, time.time())
        return future

    def prepared(self, future: Future, item: Item) -> Outcome:
        actor, sent = self.preparing.pop(future)
        try:
            outcome = self._arrived(future, item, sent)
        except self.ray.exceptions.RayActorError as error:  # lost more often than it may restart
            outcome = _lost(error)
            if self.spares:  # a new actor in place of the one lost for good
                self.spares -= 1
                self.idle.append(self.actor_class.remote())
        except self.ray.exceptions.RayError as error:  # the result lost with its node, out of memory...
            self.idle.append(actor)
            outcome = _lost(error)
        else:
            self.idle.append(actor)
        while self.idle and not self.unsent:  # nothing left to transcribe: its CPUs (or GPU) go to the burns
            self._retire(self.idle.pop())
        return outcome

    def finished(self, future: Future, item: Item) -> Outcome:
        _, sent = self.finishing.pop(future)
        try:
            return self._arrived(future, item, sent)
        except self.ray.exceptions.RayError as error:  # its worker lost more often than it may retry
            return _lost(error)

    def stop(self) -> None:
        """Ctrl-C: the work in flight stopped; its temporary files are removed by `close`."""
        for ref, _ in self.finishing.values():
            self.ray.cancel(ref, force=True)
        for actor, _ in self.preparing.values():
            self.ray.kill(actor, no_restart=True)
        self.preparing.clear()

    def close(self) -> dict:
        """What was run again, how often each actor loaded the model, and what scheduling and
        Ray's object store cost per video: for the report."""
        ray = self.ray
        try:
            starts = ray.get(self.ledger.counts.remote(), timeout=30)
            self.loads += ray.get([a.loads.remote() for a in self.idle + [a for a, _ in self.preparing.values()]],
                                  timeout=30)
        except ray.exceptions.RayError:
            starts = {}
        for item in self.todo:
            retried = {stage: n - 1 for stage, n in starts.get(item.name, {}).items() if n > 1}
            if retried:
                item.retried = retried
            # a lost worker's half-written files: ours, never useful
            artifacts.remove_temporaries(item.source.stem, self.output_folder(item))
        return self.info | {
            "model_loads": self.loads,
            "scheduling_seconds_per_video": round(sum(self.overhead) / max(1, len(self.todo)), 3),
            "ray_bytes_per_video": round(sum(self.moved.values()) / max(1, len(self.moved))) if self.moved else 0,
            "run_seconds": round(time.monotonic() - self.started, 2)}

    def _count(self, item: Item, value: Any) -> None:
        self.moved[item.name] = self.moved.get(item.name, 0) + len(self.ray.cloudpickle.dumps(value))

    def _arrived(self, future: Future, item: Item, sent: float) -> Outcome:
        outcome: Outcome = future.result()
        self._count(item, outcome)
        if outcome.error is None:
            self.overhead.append(time.time() - sent - sum(outcome.seconds.values()))
        return outcome

    def _retire(self, actor: Any) -> None:
        with suppress(self.ray.exceptions.RayError):
            self.loads.append(self.ray.get(actor.loads.remote(), timeout=30))
        self.ray.kill(actor, no_restart=True)


def _lost(error: Exception) -> Outcome:
    return Outcome(error=BivideoError(f"its worker was lost {RETRIES + 1} times ({type(error).__name__}); "
                                      "see the Ray logs of the node"))


def _model(batch: Batch, needs: dict) -> str:
    """--model as every transcriber loads it: auto is chosen once, here, for what a transcriber
    holds (a GPU, or its share of a node's CPUs), so that all of them load the same model."""
    settings = batch.settings
    if settings.model != model_choice.AUTO:
        return settings.model
    machine = model_choice.Machine(settings.engine, needs.get("num_gpus", 0), needs["num_cpus"])
    choice = model_choice.resolve(settings.model, machine, settings.translator == "whisper")
    choice.tell(batch.reporter)
    return choice.model


def _portable(settings: Settings) -> Settings:
    """Settings as every node reads them: paths absolute (a node's working folder differs)."""
    def absolute(path: Path | None) -> Path | None:
        return path.expanduser().resolve() if path is not None else None

    return replace(settings, output_dir=absolute(settings.output_dir), glossary=absolute(settings.glossary),
                   picture=absolute(settings.picture))
