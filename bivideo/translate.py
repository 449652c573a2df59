"""Stage 5: the other language for every cue, a whole sentence at a time.

Cues are fragments; translated one by one they read as nonsense and drift onto the wrong cue.
So the cues are grouped into sentences, each sentence is translated once (with its neighbours
as context where the backend can use it), and the translation is divided back over the
sentence's cues in proportion to the source at punctuation or word boundaries (jieba words
for Chinese). The number of cues and their times never change here.

Every sentence's translation is kept in the SQLite cache before the next is needed, so a
failure part-way loses nothing and a rerun (or an edit of one cue) sends only what is new.
"""

from __future__ import annotations

import os
import random
import threading
import time
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Callable
import requests

from bivideo import cues as cue_stage
from bivideo import glossary as glossaries
from bivideo.cues import Cue
from bivideo.errors import TranslationFailed
from bivideo.standard import display_width
from bivideo.translation_cache import TranslationCache
from bivideo.translators import Backend, public_url
from bivideo.translators.deep import SECRETS as MT_SECRETS
from bivideo.translators.openai_chat import KEY_VARIABLE, LineMismatch, ServerError

REQUEST_TIMEOUT = 30.0  # seconds; deep-translator's own requests have no timeout at all
RETRIES = 3  # after the first try, for 429s, 5xx, timeouts and dropped connections
BACKOFF = float(os.environ.get("BIVIDEO_BACKOFF", "0.5"))  # seconds before the first retry, doubling
WORKERS = 4  # sentences in flight at once: polite to free services, quick on paid ones
MAX_SENTENCE_CUES = 4  # unpunctuated speech (common in Chinese transcripts) still gets cut
SENTENCE_END = cue_stage.SENTENCE_END
SECRETS = MT_SECRETS + (KEY_VARIABLE,)


def sentences(cues: list[Cue]) -> list[list[int]]:
    """Pure: runs of cue indices that make one sentence: up to a sentence end, a change of
    spoken language, a long pause, or MAX_SENTENCE_CUES cues."""
    groups: list[list[int]] = []
    for i, cue in enumerate(cues):
        previous = cues[i - 1] if i else None
        if (previous is None or previous.language != cue.language or cue.start - previous.end > 2.0
                or previous.source.rstrip().endswith(SENTENCE_END) or len(groups[-1]) >= MAX_SENTENCE_CUES):
            groups.append([i])
        else:
            groups[-1].append(i)
    return groups


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
            if stop.wait(BACKOFF * 2 ** attempt * (1 + random.random() / 4)):
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
        server = public_url(error.request.url) if error.request is not None else "the server"
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
    """What one sentence asks of the translator."""

    indices: list[int]
    source: str  # language
    target: str
    lines: list[str]
    before: str  # context, for backends that take it
    after: str


class SentenceTranslator:
    """Translates sentences through one backend, the glossary and the cache."""

    def __init__(self, backend: Backend, cache: TranslationCache, glossary: glossaries.Glossary,
                 refresh: bool = False):
        self.backend, self.cache, self.glossary = backend, cache, glossary
        self.refresh = refresh  # --force: translate again, replacing what the cache holds
        self.requests = self.hits = 0
        self.stop = threading.Event()  # set when the run gives up: in-flight sentences stop too
        self.failure: Exception | None = None  # what made it give up

    def key(self, plan: Plan) -> str:
        context = (plan.before, plan.after) if self.backend.lines else ()
        return self.cache.key(self.backend.identity, plan.source, plan.target, plan.lines, context,
                              self.glossary.digest)

    def _whole(self, plan: Plan) -> list[str]:
        """Machine translation: the sentence as one text, placeholders guarding the terms."""
        text, held = glossaries.protect(joined(plan.lines, plan.source), self.glossary, plan.source, plan.target)
        self.requests += 1
        translated = with_retries(lambda: self.backend.translate(text, plan.source, plan.target), self.stop)
        return spread(glossaries.restore(translated or "", held), plan.lines, plan.source, plan.target)

    def _numbered(self, plan: Plan) -> list[str]:
        """Chat models: numbered lines with context; a reply with the wrong numbers is asked
        again once, then the sentence is translated whole instead."""
        terms = self.glossary.lines(plan.source, plan.target)
        for _ in range(2):
            try:
                self.requests += 1
                return with_retries(lambda: self.backend.translate_lines(
                    plan.lines, plan.before, plan.after, terms, plan.source, plan.target), self.stop)
            except LineMismatch:
                continue
        self.requests += 1
        whole = with_retries(lambda: self.backend.translate_lines(
            [joined(plan.lines, plan.source)], plan.before, plan.after, terms, plan.source, plan.target), self.stop)
        return spread(whole[0], plan.lines, plan.source, plan.target)

    def run(self, plan: Plan) -> list[str]:
        key = self.key(plan)
        cached = None if self.refresh else self.cache.get(key)
        if cached is not None and len(cached) == len(plan.lines):
            self.hits += 1
            return cached
        try:
            found = self._numbered(plan) if self.backend.lines else self._whole(plan)
        except Exception as error:
            if not isinstance(error, Stopped):
                self.failure = self.failure or error
            self.stop.set()  # here, not in the caller: this worker must not start another sentence first
            raise
        self.cache.put(key, found)
        return found


def plans(cues: list[Cue]) -> list[Plan]:
    groups = sentences(cues)
    texts = [joined([cues[i].source for i in g], cues[g[0]].language) for g in groups]
    return [Plan(g, cues[g[0]].language, cue_stage.other_language(cues[g[0]].language),
                 [cues[i].source for i in g], texts[k - 1] if k else "", texts[k + 1] if k + 1 < len(texts) else "")
            for k, g in enumerate(groups)]


def translate_cues(cues: list[Cue], translator: SentenceTranslator, progress: Callable[[int], None]) -> list[str]:
    """Each cue's translation, sentence by sentence, several sentences in flight at once.
    Any failure becomes one TranslationFailed line; finished sentences stay in the cache."""
    targets = [""] * len(cues)
    done = 0
    pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="translate")
    try:
        futures = {pool.submit(translator.run, plan): plan for plan in plans(cues)}
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, return_when=FIRST_EXCEPTION)
            errors = [f.exception() for f in finished if f.exception()]
            if errors:  # report the failure, not the sentences it stopped
                saved = sum(1 for f in futures if f.done() and f.exception() is None)
                raise TranslationFailed(f"translator {translator.backend.name!r} failed: {reason(translator.failure or errors[0])} "
                                        f"({saved} of {len(futures)} sentences done and kept)") from None
            for future in finished:
                for index, text in zip(futures[future].indices, future.result()):
                    targets[index] = text
                done += len(futures[future].indices)
                progress(done)
    except BaseException:  # a failure or Ctrl-C: the sentences in flight stop within a tenth of a second
        translator.stop.set()
        # waited for, so no worker still reads the cache when the caller closes it
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown()
    return targets
