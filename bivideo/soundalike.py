"""Words Whisper heard that sound like a glossary term, written as the glossary writes it.

Whisper spells a name it does not know the way it sounds ("we chat", "LeBass", "Cubernetes").
A word, or a run of up to MAX_RUN words, becomes a glossary term when
- its letters are the term's, but for case, spaces and hyphens ("we chat", "Deep-Seek",
  "pytorch"), or
- it sounds the same (Metaphone keys equal), is spelled much alike (Jaro-Winkler at least
  SIMILAR) and holds a word no dictionary has (Zipf frequency under ORDINARY): "LeBass" is
  libass, but "pie torch", "queen" and "deep sick" stay as heard, since those are words.
Ordinary words only change case where the term is not itself an ordinary word capitalised:
"go" stays "go" with `Go` in the glossary, "linkedin" becomes "LinkedIn". Pure functions."""

from __future__ import annotations

import functools
import re
from dataclasses import replace

from bivideo.datatypes import Segment, Transcript, Word
from bivideo.glossary import Glossary

MAX_RUN = 3  # words a term may have been heard as ("F F mpeg")
ORDINARY = 3.0  # Zipf frequency (once per million words) from which a word is a dictionary word
SIMILAR = 0.85  # Jaro-Winkler similarity of the letters a sound-alike needs
MIN_SOUNDALIKE = 5  # letters a term needs to be matched by sound: short keys match too much
_LETTERS = re.compile(r"[^0-9a-z]")
_EDGES = re.compile(r"^(\W*)(.*?)(['’]s)?(\W*)$", re.DOTALL)  # lead, body, possessive, trail


def _chinese(text: str) -> bool:
    return any("\u3400" <= c <= "\u9fff" for c in text)


def letters(text: str) -> str:
    return _LETTERS.sub("", text.lower())


@functools.cache
def ordinary(word: str) -> bool:
    """A word a dictionary has (Zipf frequency ORDINARY or more in English)."""
    from wordfreq import zipf_frequency

    return bool(word) and zipf_frequency(word, "en") >= ORDINARY


@functools.cache
def _sound(key: str) -> str:
    import jellyfish

    return jellyfish.metaphone(key)


def _similar(a: str, b: str) -> float:
    import jellyfish

    return jellyfish.jaro_winkler_similarity(a, b)


def sounds_like(heard: list[str], term: str) -> bool:
    """Pure: whether the words `heard` (as Whisper wrote them) are the glossary `term`."""
    keys = [letters(w) for w in heard]
    joined, wanted = "".join(keys), letters(term)
    if not joined or not all(keys):
        return False
    if joined == wanted:  # only a change of case is left alone, where the word is ordinary and the term no brand
        plain_case = term[1:] == term[1:].lower() and heard[0].lower() == term.lower()
        return len(heard) > 1 or not (plain_case and ordinary(joined))
    return (len(wanted) >= MIN_SOUNDALIKE and not all(ordinary(k) for k in keys)
            and _sound(joined) == _sound(wanted) and _similar(joined, wanted) >= SIMILAR)


def respell(words: tuple[Word, ...], terms: list[str]) -> tuple[Word, ...]:
    """Pure: `words` with each run that sounds like one of `terms` (sounds_like) made one word
    spelled as the term, timed from the run's first word to its last, keeping the run's
    leading space and punctuation. Longest runs first; Chinese characters are never part of
    a run."""
    out: list[Word] = []
    i = 0
    while i < len(words):
        match = _match_at(words, i, terms)
        if match is None:
            out.append(words[i])
            i += 1
            continue
        size, term = match
        run = words[i:i + size]
        first, last = _EDGES.match(run[0].text), _EDGES.match(run[-1].text)
        assert first is not None and last is not None  # the pattern matches any text
        space = run[0].text[:len(run[0].text) - len(run[0].text.lstrip())]
        text = space + first.group(1).lstrip() + term + (last.group(3) or "") + last.group(4)
        out.append(Word(text, run[0].start, run[-1].end, min(w.probability for w in run)))
        i += size
    return tuple(out)


def _match_at(words: tuple[Word, ...], i: int, terms: list[str]) -> tuple[int, str] | None:
    for size in range(min(MAX_RUN, len(words) - i), 0, -1):
        run = words[i:i + size]
        if any(_chinese(w.text) for w in run):
            continue
        if size > 1 and any(_EDGES.match(w.text.strip()).group(4) for w in run[:-1]):  # type: ignore[union-attr]
            continue  # punctuation inside the run: "we. Chat" is two sentences
        bodies = [_EDGES.match(w.text.strip()).group(2) for w in run]  # type: ignore[union-attr]
        for term in terms:
            if bodies != [term] and sounds_like(bodies, term):
                return size, term
    return None


def respelled(transcript: Transcript, terms: Glossary) -> Transcript:
    """Pure: the transcript with its words heard as the glossary's terms spelled as the
    glossary spells them (the English forms; Chinese ones steer the engine only)."""
    english = [t for t in terms.spoken("en") if letters(t) and not _chinese(t)]
    if not english:
        return transcript
    segments: list[Segment] = []
    for segment in transcript.segments:
        words = respell(segment.words, english)
        segments.append(segment if words == segment.words else
                        replace(segment, words=words, text="".join(w.text for w in words)))
    return replace(transcript, segments=tuple(segments))
