"""The text for the post that goes with the video: `<stem>.transcript.md` on every make, and
`<stem>.vocab.csv` for a talk in English (or as --vocab / --no-vocab say), the vocabulary's
glosses asked of the configured translator through the translation cache. Both are kept when
the user has edited them, like the subtitle files."""

from __future__ import annotations

from pathlib import Path

from bivideo import glossary, transcript_md, translate, translators, vocab
from bivideo.datatypes import Cue, main_language_of
from bivideo.highlight import Record
from bivideo.outputs import Outputs
from bivideo.settings import Settings
from bivideo.translation_cache import TranslationCache
from bivideo.ui import Reporter


def texts(cues: list[Cue], title: str, words: list[Record | None], settings: Settings,
          reporter: Reporter) -> dict[str, str]:
    """The post's files by suffix: transcript.md, and vocab.csv when the talk calls for one.
    `words` are each cue's timed words (None where unknown). Only the glosses leave the
    process (asked of the translator, through the cache): this can run beside the burn."""
    said = [(r.words[0].start, r.words[-1].end) if r and r.words else (c.start, c.end) for c, r in zip(cues, words)]
    made = {"transcript.md": transcript_md.render(cues, title, said)}
    spoken = main_language_of(cues)
    if settings.vocab is False or (settings.vocab is None and spoken != "en"):
        return made
    terms = glossary.load(settings.glossary)
    entries = vocab.pick(cues, words, spoken, vocab.glossary_words(terms.pairs))
    made["vocab.csv"] = vocab.csv_text(entries, _glosses(entries, spoken, terms, settings, reporter))
    return made


def write(outputs: Outputs, made: dict[str, str], reporter: Reporter) -> list[Path]:
    """Write the post's files through `outputs`, each kept instead when the user has edited
    it. Returns the files written or kept."""
    return [outputs.write_text(suffix, text, reporter) for suffix, text in made.items()]


def _glosses(entries: list[vocab.Entry], spoken: str, terms: glossary.Glossary, settings: Settings,
             reporter: Reporter) -> list[str]:
    if not entries:
        return []
    name, _ = translators.choose(settings.translator)
    if name == "whisper":
        reporter.note("vocab.csv: no glosses (the whisper translator only translates speech)")
        return [""] * len(entries)
    cache = TranslationCache()
    translator = translate.UnitTranslator(translators.make(name, settings.translator_url), cache, terms,
                                          settings.force)
    try:
        with reporter.stage("glosses", None):
            found = vocab.glosses(entries, spoken, translator)
    except Exception as error:  # the glosses are extras: the words are still worth having
        reporter.warn(f"vocab.csv written without glosses: {translate.reason(error)}")
        return [""] * len(entries)
    finally:
        cache.close()
    if translator.requests:
        reporter.note(f"vocab.csv: {translator.requests} glosses from {name}")
    return found
