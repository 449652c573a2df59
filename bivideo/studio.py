"""`bivideo studio VIDEO`: the review step in the browser. This is what the page (bivideo/web/)
works on: the talk's cues, its waveform and speech, each platform's frame and styled
subtitles, and the actions behind its buttons (re-translate, suggest, save, burn). The
HTTP server that serves it is studio_http.

Saving writes the three SRTs (and the ASS) atomically. They are the user's files from then
on (not recorded as bivideo's), so a later `make` keeps them, and `burn` burns them. A
subtitle file changed on disk since the page loaded it is a conflict; overwriting it keeps
the changed file as a timestamped backup.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

from bivideo import (
    artifacts,
    audio,
    flow,
    highlight,
    platforms,
    preview,
    proofread,
    render,
    review,
    standard,
    subtitles,
    toolchain,
    transcribe,
    translate,
    translation_units,
    translators,
)
from bivideo.datatypes import STYLED_FILE, SUBTITLE_FILES, Cue, main_language_of, other_language
from bivideo.errors import BivideoError
from bivideo.job import Job
from bivideo.settings import Settings
from bivideo.ui import Reporter

FRAME_NAMES = {"linkedin": "LinkedIn", "wechat": "WeChat", "bilingual": "The talk's own"}  # --for none


class Conflict(BivideoError):
    """A subtitle file changed on disk since the page loaded it."""


class Events:
    """A burn's events, kept whole so a page that connects late sees them all."""

    def __init__(self) -> None:
        self.items: list[tuple[str, dict]] = []
        self.changed = threading.Condition()
        self.running = False

    def publish(self, kind: str, data: dict) -> None:
        with self.changed:
            self.items.append((kind, data))
            if kind in ("done", "failed"):
                self.running = False
            self.changed.notify_all()

    def start(self) -> bool:
        with self.changed:
            if self.running:
                return False
            self.items, self.running = [], True
            return True

    def follow(self, timeout: float = 15.0) -> Iterator[tuple[str, dict] | None]:
        """Every event from the first, waiting for more while the burn runs (None: nothing
        for `timeout` seconds, time to send a keep-alive)."""
        seen = 0
        while True:
            with self.changed:
                if seen == len(self.items):
                    if not self.running:
                        return
                    self.changed.wait(timeout)
                fresh, seen = self.items[seen:], len(self.items)
            if not fresh:
                yield None
            yield from fresh
            if fresh and fresh[-1][0] in ("done", "failed"):
                return


class Relay(Reporter):
    """The terminal's reporter, also sending a burn's progress and notes to the page."""

    def __init__(self, quiet: bool, events: Events) -> None:
        super().__init__(quiet)
        self.events = events

    def note(self, message: str) -> None:
        super().note(message)
        self.events.publish("note", {"text": message})

    def warn(self, message: str) -> None:
        super().warn(message)
        self.events.publish("note", {"text": f"warning: {message}"})

    @contextmanager
    def stage(self, label: str, total: float | None) -> Iterator[Callable[[float], None]]:
        last = [0.0]

        with super().stage(label, total) as update:
            def both(done: float) -> None:
                update(done)
                if time.monotonic() - last[0] > 0.2:  # a few events a second are plenty
                    last[0] = time.monotonic()
                    self.events.publish("progress", {"stage": label, "done": round(done, 2), "total": total})

            yield both


@dataclass
class Studio:
    """One talk under review: its job, the cues as the page was given them, and the version
    (the subtitle files' hashes) they came from."""

    video: Path
    settings: Settings
    reporter: Reporter
    job: Job
    loaded: list[Cue]
    stale: set[int]
    version: str
    peaks: bytes
    speech: list[tuple[float, float]]
    backdrops: dict[str, Path] = field(default_factory=dict)  # audio only: each frame's still, by platform
    events: Events = field(default_factory=Events)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def fps(self) -> float:
        return self.job.info.fps or standard.DEFAULT_FPS

    def files(self) -> list[Path]:
        return [self.job.outputs.path(suffix) for suffix in SUBTITLE_FILES]

    def disk_version(self) -> str:
        return artifacts.key(*(artifacts.sha256_file(p) if p.is_file() else "" for p in self.files()))

    @property
    def draft_path(self) -> Path:
        return self.job.work / f"studio-draft-{artifacts.key(str(self.job.outputs.folder.resolve()))}.json"


def open_studio(video: Path, settings: Settings, reporter: Reporter) -> Studio:
    """The talk's subtitles (made first, as `make --preview` would, when there are none),
    with its waveform and speech regions (computed once, then cached in the work folder)."""
    folder = (settings.output_dir or video.parent).expanduser()
    if not (folder / f"{video.stem}.bilingual.srt").is_file():
        reporter.note("studio: no subtitles yet; making them first (as `bivideo make --preview`)")
        flow.run("preview", video, settings, reporter)
    job = flow.on_disk(video, settings, reporter)
    peaks, speech = _waveform(job, settings, reporter)
    backdrops = preview.backdrops(job, settings) if job.info.audio_only else {}
    studio = Studio(video, settings, reporter, job, list(job.cues), set(job.stale), "", peaks, speech, backdrops)
    studio.version = studio.disk_version()
    return studio


def _waveform(job: Job, settings: Settings, reporter: Reporter) -> tuple[bytes, list[tuple[float, float]]]:
    if not job.info.audio_codecs:
        return b"", []
    key = artifacts.key("waveform", job.work.name, job.track + 1, audio.PEAKS_PER_SECOND)
    peaks_path, speech_path = job.work / f"peaks-{key}.bin", job.work / f"speech-{key}.json"
    if not (peaks_path.is_file() and speech_path.is_file()):
        pcm = flow.talk_samples(job, settings, reporter)
        with reporter.stage("waveform", None):
            speech = transcribe.speech_regions(pcm)
            with artifacts.atomic_path(peaks_path) as temporary:
                temporary.write_bytes(audio.peaks(pcm))
        artifacts.write_json(speech_path, [[round(a, 3), round(b, 3)] for a, b in speech])
        reporter.note(f"waveform: {len(pcm) / audio.SAMPLE_RATE:.0f} s of peaks and {len(speech)} stretches of "
                      "speech, kept in the work folder for next time")
    return peaks_path.read_bytes(), [(a, b) for a, b in artifacts.read_json(speech_path)]


# --- what the page is given ---------------------------------------------------------------

def _records(studio: Studio, cues: list[Cue]) -> list[highlight.Record | None]:
    return highlight.match(cues, [subtitles.line(c, c.language) for c in cues], studio.job.outputs.last_words())


def frames(studio: Studio) -> list[tuple[platforms.Platform, platforms.Frame]]:
    info, aspects = studio.job.info, platforms.parse_aspects(studio.settings.aspect)
    return [(p, render.frame_for(info, studio.job.still, platforms.aspect_for(p, aspects)))
            for p in platforms.chosen(studio.settings.platform)]


def _outputs(studio: Studio) -> list[dict]:
    return [{"name": p.name, "url": f"/media/output/{p.name}"}
            for p in (studio.job.outputs.path(platform.video) for platform, _ in frames(studio))
            if p.is_file()]


def state(studio: Studio) -> dict:
    info, cues = studio.job.info, studio.loaded
    rows = [review.row(c, r, i in studio.stale) for i, (c, r) in enumerate(zip(cues, _records(studio, cues)))]
    draft = artifacts.read_json(studio.draft_path) if studio.draft_path.is_file() else None
    if draft and (draft.get("version") != studio.version or not _differs(draft.get("cues", []), cues)):
        draft = None
    translator, _ = translators.choose(studio.settings.translator)
    spoken = main_language_of(cues)
    return {
        "video": {"name": studio.video.name, "duration": info.duration, "fps": studio.fps,
                  "width": info.width, "height": info.height, "audio_only": info.audio_only},
        "files": {suffix.split(".")[0]: studio.job.outputs.path(suffix).name for suffix in SUBTITLE_FILES},
        "version": studio.version, "spoken": spoken, "target": other_language(spoken), "cues": rows,
        "speech": [[a, b] for a, b in studio.speech], "peaks_per_second": audio.PEAKS_PER_SECOND,
        "frames": [{"platform": p.name, "width": f.width, "height": f.height, "picture": list(f.picture),
                    "button_zone": platforms.BUTTON_ZONE if f.height > f.width else 0,
                    "backdrop": f"/media/backdrop/{p.name}" if p.name in studio.backdrops else None,
                    "label": f"{FRAME_NAMES.get(p.name, p.name)} {f.width}x{f.height}"} for p, f in frames(studio)],
        "font": {"family": toolchain.cjk_font().family, "url": "/media/font"},
        "highlight": studio.settings.highlight_color if studio.settings.highlight == "words" else None,
        "translator": translator, "llm": translator in translators.LLMS,
        "draft": draft, "outputs": _outputs(studio),
    }


def _differs(rows: list[dict], cues: list[Cue]) -> bool:
    """A draft's rows differ from the cues; one with an unfinished cue (no text yet) always does."""
    try:
        return review.changed(rows, cues)
    except BivideoError:
        return True


def styled(studio: Studio, platform: str, rows: list[dict]) -> str:
    """The ASS the burn would use for `platform`'s frame, for the page's rows."""
    cues = review.cues(rows)
    words = [review.record(r) for r in rows]
    settings = replace(studio.settings, platform=cast(Any, "none" if platform == "bilingual" else platform))
    videos, _ = render.plan_videos(cues, studio.job.info, settings, toolchain.cjk_font().family, words, None,
                                   studio.job.outputs.path, studio.job.still)
    return videos[0].ass


# --- what the page asks for ---------------------------------------------------------------

def retranslate(studio: Studio, rows: list[dict], indices: list[int]) -> list[dict]:
    """The translation units holding the cues `indices`, translated again (through the cache,
    glossary and line budgets, as `make` does)."""
    cues = review.cues(rows)
    chosen = translate.text_translator(studio.settings, studio.reporter)
    if chosen is None:
        raise BivideoError("the whisper translator translates the audio, not an edited line; "
                           "run the studio with another --translator to re-translate")
    wanted = {i for i in indices if 0 <= i < len(cues)}
    order = [i for unit in translation_units.units(cues) if wanted.intersection(unit) for i in unit]
    fresh = translate.translate_text([replace(cues[i], target="") for i in order], studio.settings, studio.reporter,
                                     studio.job.outputs.path("bilingual.srt"), chosen)
    return [{"index": i, "text": subtitles.line(c, other_language(c.language))} for i, c in zip(order, fresh)]


def suggest(studio: Studio, rows: list[dict]) -> list[dict]:
    from bivideo import glossary

    name, _ = translators.choose(studio.settings.translator)
    backend = proofread.backend_for(name, studio.settings.translator_url)
    return proofread.suggestions(review.cues(rows), backend, glossary.load(studio.settings.glossary))


def save(studio: Studio, rows: list[dict], version: str, overwrite: bool) -> dict:
    """Write the three SRTs and the ASS from the page's rows. Nothing is written when the
    rows are those loaded; files changed on disk since are a Conflict, or with `overwrite`
    kept as a backup first."""
    cues = review.cues(rows)
    outputs = studio.job.outputs
    with studio.lock:
        on_disk = studio.disk_version()
        if on_disk != version and not overwrite:
            raise Conflict(f"{outputs.path('bilingual.srt').name} (or a single-language SRT) changed on disk since "
                           "the page loaded it: reload to see that version, or overwrite it")
        if on_disk == version and not review.changed(rows, studio.loaded):
            return {"version": version, "written": [], "unchanged": True}
        spoken = main_language_of(cues)
        texts = {"bilingual.srt": subtitles.bilingual_srt(cues),
                 f"{spoken}.srt": subtitles.srt_for_language(cues, spoken),
                 f"{other_language(spoken)}.srt": subtitles.srt_for_language(cues, other_language(spoken))}
        written = []
        for suffix, text in texts.items():
            path = outputs.path(suffix)
            if on_disk != studio.version and path.is_file() and outputs.edited(path):
                backup = outputs.backup(path)  # changed since the page loaded: kept, never lost
                studio.reporter.warn(f"{path.name} had changed on disk: kept as {backup.name}")
            artifacts.write_text(path, text)  # the user's edit: not recorded as ours, so make keeps it
            written.append(path.name)
        styled_text = styled(studio, frames(studio)[0][0].name, rows)
        written.append(outputs.write_text(STYLED_FILE, styled_text, studio.reporter).name)
        studio.loaded, studio.version = cues, studio.disk_version()
        studio.stale = {i for i, r in enumerate(rows) if r.get("stale")}
        studio.draft_path.unlink(missing_ok=True)
    return {"version": studio.version, "written": written, "unchanged": False}


def burn(studio: Studio) -> None:
    """`bivideo burn` of the saved files, its progress and outcome sent to the page."""
    relay = Relay(studio.reporter.quiet, studio.events)
    try:
        written = flow.run("burn", studio.video, studio.settings, relay)
        studio.events.publish("done", {"files": [{"name": p.name, "url": f"/media/output/{p.name}"}
                                                 for p in written if p.suffix == ".mp4"]})
    except BivideoError as error:
        studio.events.publish("failed", {"error": str(error)})
    except Exception as error:  # a bug: one line on the page, as the CLI would say it
        studio.events.publish("failed", {"error": f"unexpected {type(error).__name__}: {error}"})
