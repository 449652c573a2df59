"""`<stem>.vocab.csv`: the words of a talk a learner is least likely to know, ready for Anki.

Rarity is wordfreq's Zipf frequency (log10 of occurrences per billion words) of the word and
of its lemma (simplemma), whichever is higher, so "lingers" counts as common when "linger" is.
A word is kept below Zipf 4.0: the scale's authors (van Heuven et al. 2014) put the line
between low- and high-frequency words there, and in wordfreq's English list it falls just past
the 5,000 most frequent words (rank 5,000 is at Zipf 4.2), roughly what a B1-B2 learner knows.
Words wordfreq has never seen (Zipf 0: names, mishearings) are left out, as are numbers, names
(capitalised inside a sentence; for Chinese, jieba's name tags) and glossary terms. The rarest
COUNT are kept: 20 is Anki's default of new cards a day, one talk's words for one day's study.

Rows are in the order the words are heard: word, gloss (the Anki front/back pair), lemma,
sentence, its translation, time. The pure core picks the words; `glosses` asks the
configured translator, through the translation cache, so a rerun sends nothing.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from dataclasses import dataclass
from itertools import pairwise
from types import ModuleType
from typing import Protocol

from bivideo.datatypes import Cue, other_language
from bivideo.highlight import Record
from bivideo.translation_units import Plan, joined, units

ZIPF_MAX = 4.0
COUNT = 20
COLUMNS = ("word", "gloss", "lemma", "sentence", "translation", "time")
_EN_WORD = re.compile(r"[A-Za-z]+(?:['’-][A-Za-z]+)*")
_ZH_NUMERAL = re.compile(r"[〇零一二三四五六七八九十百千万亿两几第]+")


@dataclass(frozen=True)
class Entry:
    word: str
    lemma: str
    sentence: str
    translation: str
    time: float
    zipf: float


@functools.cache
def _wordfreq() -> ModuleType:
    import wordfreq

    return wordfreq


def lemma(word: str, language: str) -> str:
    if language != "en":
        return word
    import simplemma

    return simplemma.lemmatize(word, lang="en").lower()


def _zh_names(text: str) -> set[str]:
    """Person, place and organisation names in a Chinese sentence, as jieba tags them."""
    from bivideo.segmentation import segmenter

    segmenter()  # jieba.posseg cuts with jieba's tokenizer: its dictionary from SQLite too
    import jieba.posseg

    return {w.word for w in jieba.posseg.cut(text) if w.flag in ("nr", "nrfg", "nrt", "ns", "nt", "nz")}


def _heard(cue: Cue, record: Record | None) -> list[tuple[str, float]]:
    """A cue's spoken words with their times (the cue's start when they are not known)."""
    if record:
        return [(w.text, w.start) for w in record.words]
    if cue.language == "zh":
        return [(cue.source, cue.start)]  # cut into words below
    return [(w, cue.start) for w in cue.source.split()]


def _words(text: str, language: str) -> list[tuple[str, bool]]:
    """(word, capitalised) for each word in a piece of text."""
    if language == "zh":
        from bivideo.segmentation import chinese_boundaries

        cuts = [0, *sorted(chinese_boundaries(text)), len(text)]
        return [(text[a:b], False) for a, b in pairwise(cuts) if text[a:b].strip()]
    return [(m.group(), m.group()[0].isupper()) for m in _EN_WORD.finditer(text)]


def pick(cues: list[Cue], records: list[Record | None], language: str, terms: set[str],
         count: int = COUNT) -> list[Entry]:
    """The `count` rarest words said in `language`, each at its first hearing, in the order
    heard. `records` are the cues' timed words (None where unknown); `terms` the glossary's
    words, lower case."""
    zipf = functools.partial(_wordfreq().zipf_frequency, lang=language)
    found: dict[str, Entry] = {}
    for group in units(cues):
        first = cues[group[0]]
        if first.language != language:
            continue
        sentence = joined([cues[i].source for i in group], language)
        translation = joined([cues[i].target for i in group], other_language(language))
        names = _zh_names(sentence) if language == "zh" else set()
        position = 0  # words into the sentence: a capital after the first is a name
        for i in group:
            for text, at in _heard(cues[i], records[i]):
                for word, capital in _words(text, language):
                    position += 1
                    bare = word.lower().removesuffix("'s").removesuffix("’s")
                    if (bare in found or bare in terms or word in names or any(ch.isdigit() for ch in word)
                            or _ZH_NUMERAL.fullmatch(word) or (capital and position > 1) or word.isupper()):
                        continue
                    root = lemma(bare, language)
                    rarity = max(zipf(bare), zipf(root))
                    if zipf(bare) > 0 and rarity < ZIPF_MAX and root not in terms:
                        found[bare] = Entry(bare, root if root != bare else "", sentence, translation, at, rarity)
    kept = sorted(found.values(), key=lambda e: e.zipf)[:count]
    return sorted(kept, key=lambda e: e.time)


def glossary_words(pairs: tuple[tuple[str, str], ...]) -> set[str]:
    """Every word of every glossary term, lower case (English and Chinese forms)."""
    return {w.lower() for pair in pairs for term in pair for w in re.split(r"\s+", term) if w}


def stamp(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes:02d}:{secs:02d}"


def csv_text(entries: list[Entry], glosses: list[str]) -> str:
    """The CSV, with Anki's file headers: comma separated, plain text, the column names
    (Anki maps the first two to a Basic note's Front and Back)."""
    out = io.StringIO()
    out.write("#separator:comma\n#html:false\n#columns:" + ",".join(COLUMNS) + "\n")
    writer = csv.writer(out, lineterminator="\n")
    for entry, gloss in zip(entries, glosses):
        writer.writerow([entry.word, gloss, entry.lemma, entry.sentence, entry.translation, stamp(entry.time)])
    return out.getvalue()


class Translator(Protocol):
    """What `glosses` asks of translate.UnitTranslator (a floor above this module's)."""

    def run(self, plan: Plan) -> list[str]: ...


def glosses(entries: list[Entry], source: str, translator: Translator) -> list[str]:
    """A short gloss of each entry's lemma (or word) in the other language, from `translator`
    (a translate.UnitTranslator: its cache answers a rerun, so nothing is sent again)."""
    from bivideo.standard import MAX_CPS, MAX_LINE
    from bivideo.translation_units import Budget

    target = other_language(source)
    one_line = Budget(MAX_LINE[target], MAX_LINE[target], MAX_LINE[target] / MAX_CPS[target])  # a gloss is a line
    return [translator.run(Plan([0], source, target, [e.lemma or e.word], [one_line], "", ""))[0].strip()
            for e in entries]
