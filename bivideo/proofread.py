"""The studio's "Suggest fixes": an LLM reads the spoken lines in windows, with the lines
around each window and the glossary, and returns them corrected for likely mishearings
(under the numbered-line contract of the chat translators). Each changed line is one
suggestion for the user to accept or reject; nothing is applied here.
"""

from __future__ import annotations

from bivideo.datatypes import Cue
from bivideo.errors import BivideoError, TranslationFailed
from bivideo.glossary import Glossary
from bivideo.translators.openai_chat import Ask, LineMismatch, OpenAIChat, ServerError

WINDOW = 30  # lines per request, as --refine reads them
CONTEXT = 3  # lines either side sent as context


def asks(cues: list[Cue], terms: Glossary) -> list[tuple[list[int], Ask]]:
    """Pure: the requests, each with the cue indices its numbered lines stand for."""
    glossary = "\n".join(sorted({form for pair in terms.pairs for form in pair}))
    out = []
    for first in range(0, len(cues), WINDOW):
        indices = list(range(first, min(first + WINDOW, len(cues))))
        before = " ".join(c.source for c in cues[max(0, first - CONTEXT):first])
        after = " ".join(c.source for c in cues[indices[-1] + 1:indices[-1] + 1 + CONTEXT])
        language = cues[first].language
        out.append((indices, Ask({str(k + 1): cues[i].source for k, i in enumerate(indices)}, language, language,
                                 {}, before, after, glossary)))
    return out


def suggestions(cues: list[Cue], backend: OpenAIChat, terms: Glossary) -> list[dict]:
    """Each line the model would change: {"index", "language", "before", "after"}."""
    found = []
    for indices, ask in asks(cues, terms):
        try:
            reply = backend.proofread_lines(ask)
        except (ServerError, LineMismatch, OSError) as error:
            raise TranslationFailed(f"suggest fixes: {backend.name} failed ({error})") from None
        for k, index in enumerate(indices):
            before, after = cues[index].source, " ".join(reply[str(k + 1)].split())
            if after and after != " ".join(before.split()):
                found.append({"index": index, "language": cues[index].language, "before": before, "after": after})
    return found


def backend_for(name: str, url: str | None) -> OpenAIChat:
    """The chat backend of an LLM translator name; BivideoError for any other translator."""
    from bivideo import translators

    if name not in translators.LLMS:
        raise BivideoError(f"suggest fixes needs an LLM translator ({', '.join(translators.LLMS)}), not {name}")
    return OpenAIChat(name, url)
