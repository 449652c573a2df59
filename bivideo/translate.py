"""Stage 5: the other language for every cue, a whole phrase at a time.

Cues are fragments; translated one by one they read as nonsense and drift onto the wrong cue.
So the cues are grouped into translation units (a sentence, or a phrase where a sentence is
too long for one request), each unit is translated once (with its neighbours as context where
the backend can use it), and the translation is divided back over the unit's cues in
proportion to the source at punctuation or word boundaries (jieba words for Chinese). The
number of cues and their times never change here.

Every unit's translation is kept in the SQLite cache before the next is needed, so a failure
part-way loses nothing and a rerun (or an edit of one cue) sends only what is new.
"""

from __future__ import annotations

import math
import os
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace

import requests

from bivideo import cues as cue_stage
from bivideo import glossary as glossaries
from bivideo.errors import TranslationFailed
from bivideo.model import Cue, Word, other_language
from bivideo.standard import MAX_CPS, MAX_LINE, NOTICEABLE_PAUSE, TRANSLATION_WIDTH, display_width
from bivideo.translation_cache import TranslationCache
from bivideo.translators import OFFLINE, Backend, LineBackend, TextBackend, public_url
from bivideo.translators.deep import SECRETS as MT_SECRETS
from bivideo.translators.openai_chat import KEY_VARIABLES, Ask, LineMismatch, ServerError

REQUEST_TIMEOUT = 30.0  # seconds; deep-translator's own requests have no timeout at all
RETRIES = 3  # after the first try, for 429s, 5xx, timeouts and dropped connections
BACKOFF = 0.5  # seconds before the first retry, doubling; BIVIDEO_BACKOFF overrides
WORKERS = 4  # units in flight at once: polite to free services, quick on paid ones
SENTENCE_END = cue_stage.SENTENCE_END
CLAUSE_END = cue_stage.CLAUSE_END
SECRETS = MT_SECRETS + KEY_VARIABLES
# The most one unit may hold. MyMemory takes at most 500 bytes of UTF-8 per request (and
# deep-translator refuses 500 characters); Google and LibreTranslate's public servers allow
# 5000 characters, DeepL and Microsoft far more. 400 bytes leaves room for the placeholders
# that guard terms: about 130 Chinese characters or 400 English ones, 25-30 s of speech.
MAX_UNIT_BYTES = 400
# Whisper's translate task hears a unit's audio in one 30 s window (less the padding).
MAX_UNIT_SECONDS = 28.0
LONG_PAUSE = 2.0  # seconds: the speaker stopped; never one unit across it
# In unpunctuated speech a pause this long stands in for a sentence end. Read Mandarin pauses
# 0.9-1.1 s between sentences (zh03); spontaneous speech pauses 0.4-0.7 s inside a phrase
# (zh04), which NOTICEABLE_PAUSE (0.4 s, where cues end) would cut.
SENTENCE_PAUSE = 0.8


def pauses_before(cues: list[Cue], words: list[Word] | None = None) -> list[float]:
    """Pure: the silence before each cue (0 for the first), between the words themselves when
    the transcript is at hand: cue times are stretched for reading and chained, which hides
    the pauses."""
    spoken = cue_stage.words_of(cues, words) if words else [None] * len(cues)
    out = [0.0]
    for k in range(1, len(cues)):
        before, after = spoken[k - 1], spoken[k]
        if before and after:
            out.append(max(0.0, after[0].start - before[-1].end))
        else:
            out.append(max(0.0, cues[k].start - cues[k - 1].end))
    return out


def _fits(run: list[int], cues: list[Cue]) -> bool:
    text = joined([cues[i].source for i in run], cues[run[0]].language)
    return len(text.encode()) <= MAX_UNIT_BYTES and cues[run[-1]].end - cues[run[0]].start <= MAX_UNIT_SECONDS


def _ends(cue: Cue, marks: tuple[str, ...]) -> bool:
    return cue.source.rstrip().endswith(marks)


def units(cues: list[Cue], pauses: list[float] | None = None) -> list[list[int]]:
    """Pure: runs of cue indices translated as one request. A unit always ends at a sentence
    end, a change of spoken language or a long pause. Unpunctuated speech (Whisper often
    gives Mandarin none) has no sentence ends to go by, so there a SENTENCE_PAUSE is one.
    A sentence longer than a request may be is cut at the best place inside the cap:
    clause punctuation, else a noticeable pause, else the best break between words; never
    just where a cue count runs out."""
    pauses = pauses or pauses_before(cues)
    runs: list[list[int]] = []
    for i, cue in enumerate(cues):
        previous = cues[i - 1] if i else None
        if (previous is None or previous.language != cue.language or pauses[i] >= LONG_PAUSE
                or _ends(previous, SENTENCE_END)):
            runs.append([i])
        else:
            runs[-1].append(i)
    out: list[list[int]] = []
    for run in runs:
        if not any(_ends(cues[i], SENTENCE_END + CLAUSE_END) for i in run):
            run_cuts = [k for k in range(1, len(run)) if pauses[run[k]] >= SENTENCE_PAUSE]
            pieces = [run[a:b] for a, b in zip([0] + run_cuts, run_cuts + [len(run)])]
        else:
            pieces = [run]
        for piece in pieces:
            out += _within_cap(piece, cues, pauses)
    return out


def _edges(cue: Cue) -> tuple[str, str]:
    """The first and last word of a cue (jieba words for Chinese)."""
    text = cue.source.strip()
    if cue.language != "zh":
        words = text.split() or [""]
        return words[0], words[-1]
    cuts = sorted(cue_stage.chinese_boundaries(text))
    return (text[:cuts[0]], text[cuts[-1]:]) if cuts else (text, text)


def _break_cost(left: Cue, right: Cue) -> int:
    """How good a place the boundary between two cues of one language is, as the cue builder
    judges breaks (before a conjunction is good; after an article or between names is not)."""
    token = lambda text: cue_stage.Token(text, 0.0, 0.0, left.language)  # noqa: E731
    return cue_stage.break_cost(token(_edges(left)[1]), token(_edges(right)[0]))


def _within_cap(run: list[int], cues: list[Cue], pauses: list[float]) -> list[list[int]]:
    out: list[list[int]] = []
    while not _fits(run, cues):
        # k: the unit is run[:k]; a single cue over the cap goes alone (a cue is one line of text)
        fitting = [k for k in range(1, len(run)) if _fits(run[:k], cues)] or [1]

        def rank(k: int, run: list[int] = run) -> tuple:
            # clause punctuation, then a noticeable pause, then the cue builder's idea of a good
            # break; among equals the latest, so units stay long
            left, right = cues[run[k - 1]], cues[run[k]]
            return (_ends(left, CLAUSE_END), pauses[run[k]] >= NOTICEABLE_PAUSE, -_break_cost(left, right), k)

        cut = max(fitting, key=rank)
        out.append(run[:cut])
        run = run[cut:]
    return out + [run]


@dataclass(frozen=True)
class Budget:
    """How much of the target language one cue can show: one line, and what can be read in
    the time the cue is up (display width: a half-width character counts 0.5 in Chinese)."""

    line: float
    reading: float
    seconds: float

    @property
    def width(self) -> float:
        return min(self.line, self.reading)

    def to_json(self) -> dict:
        return {"max_chars": int(self.width), "one_line": int(self.line), "seconds": round(self.seconds, 2),
                "readable": int(self.reading)}


def budget(cue: Cue, target: str) -> Budget:
    seconds = max(cue.end - cue.start, 0.0)
    return Budget(MAX_LINE[target], max(1.0, math.floor(MAX_CPS[target] * seconds)), seconds)


def over_budget(lines: list[str], budgets: list[Budget], target: str) -> dict[int, float]:
    """Pure: index -> how far over its budget, for the lines that are."""
    widths = [display_width(line.strip(), target) for line in lines]
    return {k: w - b.width for k, (w, b) in enumerate(zip(widths, budgets)) if w > b.width + 1e-9}


def tight(sources: list[str], budgets: list[Budget], source: str) -> list[int]:
    """Pure: lines whose usual translation would not fit their budget: to be condensed."""
    return [k for k, (text, b) in enumerate(zip(sources, budgets))
            if display_width(text.strip(), source) * TRANSLATION_WIDTH[source] > b.width]


def joined(texts: list[str], language: str) -> str:
    return ("" if language == "zh" else " ").join(t.strip() for t in texts)


def spread(translation: str, sources: list[str], source: str, target: str) -> list[str]:
    """Pure: a sentence's translation divided over its cues, in proportion to each cue's share
    of the source text."""
    widths = [max(display_width(s, source), 0.5) for s in sources]
    pieces = cue_stage.divide(translation.strip(), target, [w / sum(widths) for w in widths])
    return [p.strip() for p in pieces]


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


def with_retries(call: Callable[[], object], stop: threading.Event):
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


def _with_timeout(call: Callable[[], object], seconds: float, stop: threading.Event):
    """Run `call` in a daemon thread so a server that never answers cannot hang the run, and
    a stopping run need not wait for it."""
    outcome: dict = {}

    def run():
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


@dataclass
class Plan:
    """What one unit (or one --refine window) asks of the translator."""

    indices: list[int]
    source: str  # language
    target: str
    lines: list[str]
    budgets: list[Budget]
    before: str  # context, for backends that take it
    after: str
    first_pass: list[str] | None = None  # --refine: the translations to correct


class UnitTranslator:
    """Translates units through one backend, the glossary and the cache."""

    def __init__(self, backend: Backend, cache: TranslationCache, glossary: glossaries.Glossary,
                 refresh: bool = False):
        self.backend, self.cache, self.glossary = backend, cache, glossary
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

    def _request(self, call: Callable[[], object]):
        self.requests += 1
        return with_retries(call, self.stop)

    def _whole(self, plan: Plan) -> list[str]:
        """Machine translation: the unit as one text, placeholders guarding the terms."""
        text, held = glossaries.protect(joined(plan.lines, plan.source), self.glossary, plan.source, plan.target)
        backend = self.backend
        assert isinstance(backend, TextBackend)
        translated = self._request(lambda: backend.translate(text, plan.source, plan.target))
        return spread(glossaries.restore(translated or "", held), plan.lines, plan.source, plan.target)

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


def plans(cues: list[Cue], pauses: list[float] | None = None) -> list[Plan]:
    groups = units(cues, pauses)
    texts = [joined([cues[i].source for i in g], cues[g[0]].language) for g in groups]
    return [_plan(cues, g, texts[k - 1] if k else "", texts[k + 1] if k + 1 < len(texts) else "")
            for k, g in enumerate(groups)]


def _plan(cues: list[Cue], group: list[int], before: str, after: str, first_pass: list[str] | None = None) -> Plan:
    source = cues[group[0]].language
    target = other_language(source)
    return Plan(group, source, target, [cues[i].source for i in group], [budget(cues[i], target) for i in group],
                before, after, first_pass)


REFINE_WINDOW = 30  # cues per --refine request: a minute or two of talk, well inside any model's context
REFINE_CONTEXT = 3  # cues either side shown (source and translation), not corrected


def refine_plans(cues: list[Cue], targets: list[str]) -> list[Plan]:
    """The --refine windows: up to REFINE_WINDOW consecutive cues of one spoken language."""
    windows: list[list[int]] = []
    for i, cue in enumerate(cues):
        if windows and cues[windows[-1][0]].language == cue.language and len(windows[-1]) < REFINE_WINDOW:
            windows[-1].append(i)
        else:
            windows.append([i])

    def shown(indices: range) -> str:
        return " / ".join(f"{cues[i].source} = {targets[i]}" for i in indices)

    return [_plan(cues, w, shown(range(max(0, w[0] - REFINE_CONTEXT), w[0])),
                  shown(range(w[-1] + 1, min(len(cues), w[-1] + 1 + REFINE_CONTEXT))), [targets[i] for i in w])
            for w in windows]


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
