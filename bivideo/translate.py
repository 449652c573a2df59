"""Stage 5: the other language for every cue, a whole phrase at a time.

Cues are fragments; translated one by one they read as nonsense and drift onto the wrong cue.
So each translation unit (translation_units: a sentence, or a phrase where a sentence is too
long for one request) is translated once, with its neighbours as context where the backend
can use it, and divided back over its cues. The number of cues and their times never change.
Here: the requests (retries, timeouts, several in flight), the glossary's protection, the
length budgets asked for again, --refine, and the step itself (`text_translator`,
`translate_text`); Whisper's own translate task is whisper_translation's.

Every unit's translation is kept in the SQLite cache before the next is needed, so a failure
part-way loses nothing and a rerun (or an edit of one cue) sends only what is new.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

import requests

from bivideo import glossary, translators
from bivideo.datatypes import Cue, Word
from bivideo.errors import BivideoError, TranslationFailed
from bivideo.settings import Settings
from bivideo.standard import display_width
from bivideo.translation_cache import TranslationCache
from bivideo.translation_units import (
    Budget,
    Plan,
    joined,
    over_budget,
    pauses_before,
    plans,
    refine_plans,
    spread,
    tight,
    units,
)
from bivideo.translators import OFFLINE, Backend, LineBackend, TextBackend, public_url
from bivideo.translators.deep import SECRETS as MT_SECRETS
from bivideo.translators.openai_chat import KEY_VARIABLES, Ask, LineMismatch, ServerError
from bivideo.ui import Reporter

T = TypeVar("T")  # what a request returns

REQUEST_TIMEOUT = 30.0  # seconds; deep-translator's own requests have no timeout at all
RETRIES = 3  # after the first try, for 429s, 5xx, timeouts and dropped connections
BACKOFF = 0.5  # seconds before the first retry, doubling; BIVIDEO_BACKOFF overrides
WORKERS = 4  # units in flight at once: polite to free services, quick on paid ones
SECRETS = MT_SECRETS + KEY_VARIABLES
def _retryable(error: Exception) -> bool:
    from deep_translator.exceptions import ServerException, TooManyRequests

    if isinstance(error, ServerError):
        return error.status == 429 or error.status >= 500
    if isinstance(error, ServerException):
        return str(error.args[0] if error.args else "") in (
            "ERR_TOO_MANY_REQUESTS", "ERR_INTERNAL_SERVER_ERROR", "ERR_SERVICE_NOT_AVAIBLE", "API server error")
    return isinstance(error, (TooManyRequests, TimeoutError, requests.Timeout, requests.ConnectionError))


class Stopped(Exception):
    """The run is stopping (another sentence failed, or Ctrl-C): give up at once."""


def with_retries(call: Callable[[], T], stop: threading.Event) -> T:
    """`call`, retried with exponential backoff (and jitter) on errors worth retrying."""
    for attempt in range(RETRIES + 1):
        if stop.is_set():  # a worker may pick up a queued sentence just as the run gives up
            raise Stopped
        try:
            return _with_timeout(call, REQUEST_TIMEOUT, stop)
        except Stopped:
            raise
        except Exception as error:
            if attempt == RETRIES or not _retryable(error):
                raise
            backoff = float(os.environ.get("BIVIDEO_BACKOFF") or BACKOFF)
            if stop.wait(backoff * 2 ** attempt * (1 + random.random() / 4)):
                raise Stopped from None
    raise AssertionError("unreachable: the last attempt returns or raises")


def _with_timeout(call: Callable[[], T], seconds: float, stop: threading.Event) -> T:
    """Run `call` in a daemon thread so a server that never answers cannot hang the run, and
    a stopping run need not wait for it."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as error:  # handed to the caller below
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    deadline = time.monotonic() + seconds
    while thread.is_alive() and time.monotonic() < deadline:
        if stop.is_set():
            raise Stopped
        thread.join(0.1)
    if thread.is_alive():
        raise TimeoutError(f"no answer within {seconds:.0f} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def reason(error: Exception) -> str:
    """One short line; never a key, never a page of urllib3 internals."""
    from deep_translator.exceptions import ServerException

    if isinstance(error, requests.ConnectionError):
        server = public_url(str(error.request.url)) if error.request is not None else "the server"
        return f"cannot connect to {server} (offline, the server is down, or it dropped the connection)"
    text = " ".join(str(error).split()) or type(error).__name__
    if isinstance(error, ServerException):  # deep-translator keeps only a code name: say the status too
        status = {name: code for code, name in ServerException.errors.items()}.get(text)
        text = f"server answered HTTP {status} ({text})" if status else f"server answered with an error ({text})"
    for secret in filter(None, (os.environ.get(v) for v in SECRETS)):
        text = text.replace(secret, "***")
    return text[:200]


class UnitTranslator:
    """Translates units through one backend, the glossary and the cache."""

    def __init__(self, backend: Backend, cache: TranslationCache, terms: glossary.Glossary,
                 refresh: bool = False) -> None:
        self.backend, self.cache, self.glossary = backend, cache, terms
        self.refresh = refresh  # --force: translate again, replacing what the cache holds
        self.requests = self.hits = 0
        self.over_budget = self.still_over = 0  # LLM lines asked again for being too long; and still so
        self.stop = threading.Event()  # set when the run gives up: in-flight units stop too
        self.failure: Exception | None = None  # what made it give up

    def key(self, plan: Plan) -> str:
        context = ((plan.before, plan.after, [b.to_json() for b in plan.budgets], plan.first_pass)
                   if self.backend.lines else ())
        return self.cache.key(self.backend.identity, plan.source, plan.target, plan.lines, context,
                              self.glossary.digest)

    def _request(self, call: Callable[[], T]) -> T:
        self.requests += 1
        return with_retries(call, self.stop)

    def _whole(self, plan: Plan) -> list[str]:
        """Machine translation: the unit as one text, placeholders guarding the terms."""
        text, held = glossary.protect(joined(plan.lines, plan.source), self.glossary, plan.source, plan.target)
        backend = self.backend
        assert isinstance(backend, TextBackend)
        translated = self._request(lambda: backend.translate(text, plan.source, plan.target))
        return spread(glossary.restore(translated or "", held), plan.lines, plan.source, plan.target)

    def _ask(self, plan: Plan, lines: list[str], budgets: list[Budget], sources: list[str]) -> Ask:
        """`lines` numbered from 1 with their budgets; `sources` (the spoken lines they stand
        for) tell which budgets are tight."""
        numbers = [str(k) for k in range(1, len(lines) + 1)]
        return Ask(dict(zip(numbers, lines)), plan.source, plan.target,
                   {n: b.to_json() for n, b in zip(numbers, budgets)},
                   plan.before, plan.after, self.glossary.lines(plan.source, plan.target),
                   tuple(numbers[k] for k in tight(sources, budgets, plan.source)))

    def _fitted(self, ask: Ask, sources: list[str], reply: dict[str, str], budgets: list[Budget]) -> list[str]:
        """The reply's lines; those over budget are asked for once more, naming the overflow,
        and the second answer is accepted whatever its length."""
        numbers = list(ask.lines)
        over = over_budget([reply[n] for n in numbers], budgets, ask.target)
        if over:
            self.over_budget += len(over)
            redo = [numbers[k] for k in over]
            again = Ask({n: sources[int(n) - 1] for n in redo}, ask.source, ask.target, ask.budgets,
                        ask.before, ask.after, ask.glossary, tuple(redo),
                        kept={n: reply[n] for n in numbers if n not in redo},
                        too_long={n: (reply[n], display_width(reply[n], ask.target)) for n in redo})
            try:
                chat = self._chat()
                reply = {**reply, **self._request(lambda: chat.translate_lines(again))}
            except LineMismatch:
                pass  # the first answer stands
            self.still_over += len(over_budget([reply[n] for n in numbers], budgets, ask.target))
        return [reply[n] for n in numbers]

    def _chat(self) -> LineBackend:
        assert isinstance(self.backend, LineBackend)  # only chat models are asked for numbered lines
        return self.backend

    def _numbered(self, plan: Plan) -> list[str]:
        """Chat models: numbered lines with context and budgets; a reply with the wrong numbers
        is asked again once, then the unit is translated whole instead."""
        chat = self._chat()
        ask = self._ask(plan, plan.lines, plan.budgets, plan.lines)
        for _ in range(2):
            try:
                return self._fitted(ask, plan.lines, self._request(lambda: chat.translate_lines(ask)), plan.budgets)
            except LineMismatch:
                continue
        budgets = [Budget(sum(b.line for b in plan.budgets), sum(b.reading for b in plan.budgets),
                          sum(b.seconds for b in plan.budgets))]
        sentence = [joined(plan.lines, plan.source)]
        whole = self._ask(plan, sentence, budgets, sentence)
        found = self._fitted(whole, sentence,
                             self._request(lambda: chat.translate_lines(whole)), budgets)
        return spread(found[0], plan.lines, plan.source, plan.target)

    def _refined(self, plan: Plan) -> list[str]:
        """--refine: one request for the window; a reply with the wrong numbers leaves the
        first pass as it was."""
        first_pass, chat = plan.first_pass or [], self._chat()
        numbers = [str(k) for k in range(1, len(plan.lines) + 1)]
        ask = replace(self._ask(plan, first_pass, plan.budgets, plan.lines), sources=dict(zip(numbers, plan.lines)))
        try:
            return self._fitted(ask, plan.lines, self._request(lambda: chat.refine_lines(ask)), plan.budgets)
        except LineMismatch:
            return list(first_pass)

    def run(self, plan: Plan) -> list[str]:
        key = self.key(plan)
        cached = None if self.refresh else self.cache.get(key)
        if cached is not None and len(cached) == len(plan.lines):
            self.hits += 1
            return cached
        try:
            if plan.first_pass is not None:
                found = self._refined(plan)
            else:
                found = self._numbered(plan) if self.backend.lines else self._whole(plan)
        except Exception as error:
            if not isinstance(error, Stopped):
                self.failure = self.failure or error
            self.stop.set()  # here, not in the caller: this worker must not start another unit first
            raise
        self.cache.put(key, found)
        return found


def translate_cues(cues: list[Cue], translator: UnitTranslator, progress: Callable[[int], None],
                   pauses: list[float] | None = None) -> list[str]:
    """Each cue's translation, unit by unit (see `units`)."""
    return run_plans(plans(cues, pauses), len(cues), translator, progress)


def refine_cues(cues: list[Cue], targets: list[str], translator: UnitTranslator,
                progress: Callable[[int], None]) -> list[str]:
    """--refine: the whole talk's translation read again in windows, with the source."""
    return run_plans(refine_plans(cues, targets), len(cues), translator, progress)


def run_plans(work: list[Plan], count: int, translator: UnitTranslator, progress: Callable[[int], None]) -> list[str]:
    """Each cue's line from its plan, several plans in flight at once. Any failure becomes one
    TranslationFailed line; finished plans stay in the cache."""
    targets = [""] * count
    done = 0
    pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="translate")
    try:
        futures = {pool.submit(translator.run, plan): plan for plan in work}
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, return_when=FIRST_EXCEPTION)
            errors = [error for f in finished if isinstance(error := f.exception(), Exception)]
            if errors:  # report the failure, not the units it stopped
                saved = sum(1 for f in futures if f.done() and f.exception() is None)
                failure = translator.failure or errors[0]
                offline = (f"; without the internet: {OFFLINE}"
                           if isinstance(failure, (requests.ConnectionError, requests.Timeout, TimeoutError)) else "")
                raise TranslationFailed(f"translator {translator.backend.name!r} failed: {reason(failure)} "
                                        f"({saved} of {len(futures)} units done and kept){offline}") from None
            for future in finished:
                for index, text in zip(futures[future].indices, future.result()):
                    targets[index] = text
                done += len(futures[future].indices)
                progress(done)
    except BaseException:  # a failure or Ctrl-C: the units in flight stop within a tenth of a second
        translator.stop.set()
        # waited for, so no worker still reads the cache when the caller closes it
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown()
    return targets


# --- the step: cues in, cues with their translations out ---------------------------------


TextTranslator = tuple[Backend, glossary.Glossary]  # a text translator and the glossary it keeps to


def text_translator(settings: Settings, reporter: Reporter) -> TextTranslator | None:
    """The text translator and the glossary (None for whisper, which works from the audio)."""
    terms = glossary.load(settings.glossary)
    name, why = translators.choose(settings.translator)
    if why:
        reporter.note(f"translator: {name} ({why}; --translator chooses another)")
    if settings.refine and name not in translators.LLMS:
        raise BivideoError(f"--refine needs an LLM translator ({', '.join(translators.LLMS)}), not {name}")
    if name == "whisper":
        if settings.target == "zh":
            raise BivideoError("the whisper translator only translates into English; choose another --translator")
        return None
    return translators.make(name, settings.translator_url), terms


def translate_text(built: list[Cue], settings: Settings, reporter: Reporter, source_srt: Path,
                   chosen: TextTranslator, words: list[Word] | None = None) -> list[Cue]:
    """Each cue into the other language (per cue: a mixed talk goes both ways) by a text
    translator, through the cache. The cues' count, times and source text come back
    unchanged. `words` (the transcript) shows where the speaker paused; `source_srt` is named
    should the translator fail (it is kept)."""
    cache = TranslationCache()
    backend, terms = chosen
    translator = UnitTranslator(backend, cache, terms, settings.force)
    pauses = pauses_before(built, words)
    try:
        with reporter.stage("translate", len(built)) as progress:
            translations = translate_cues(built, translator, progress, pauses)
        if settings.refine:
            with reporter.stage("refine", len(built)) as progress:
                translations = refine_cues(built, translations, translator, progress)
    except TranslationFailed as error:
        raise TranslationFailed(f"{error}; kept the transcript and {source_srt.name}; "
                                "run again to continue") from None
    finally:
        cache.close()
    asked = len(units(built, pauses)) + (len(refine_plans(built, translations)) if settings.refine else 0)
    reporter.note(f"translation: {translator.hits} of {asked} units from the cache, "
                  f"{translator.requests} requests to {backend.name}")
    if translator.over_budget:
        reporter.note(f"translation: {translator.over_budget} lines over their length budget were asked for "
                      f"again; {translator.still_over} still over, accepted")
    return [replace(c, target=t) for c, t in zip(built, translations)]
