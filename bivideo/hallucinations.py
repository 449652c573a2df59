"""Whisper's known hallucinations, removed before they become subtitles: stock phrases from
its training subtitles ("Thanks for watching", "字幕由Amara.org社区提供"), words placed where
the VAD heard no speech, and a phrase looping over and over. Pure functions over segments."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

from bivideo.datatypes import Segment, Word

# Normalised (lower case, letters and CJK only) lines Whisper emits over silence or music.
STOCK_PHRASES = (
    "thanksforwatching", "thankyouforwatching", "thankyouverymuchforwatching", "pleasesubscribe",
    "likeandsubscribe", "subscribetomychannel", "pleasesubscribetomychannel", "seeyouinthenextvideo",
    "subtitlesbytheamaraorgcommunity", "subtitlesbyamaraorg", "transcriptionbycastingwords",
    "请不吝点赞订阅转发打赏支持明镜与点点栏目", "字幕由amaraorg社区提供", "小编字幕由amaraorg社区提供",
    "中文字幕志愿者", "谢谢观看", "感谢观看", "请订阅我的频道", "点赞订阅转发", "优优独播剧场youyoutvshow",
    "明镜需要您的支持欢迎订阅明镜", "字幕by索兰娅", "由amaraorg社区提供的字幕",
)
# Phrases no talk says: dropped even inside a longer line. The others only when they are the whole line.
_UNMISTAKABLE = re.compile("amara|明镜|字幕")
SPEECH_PAD = 0.3  # seconds of slack around VAD regions for word timestamps that drift
MIN_REPEATS = 3  # a phrase said this many times in a row is a decoding loop, not speech
MAX_PHRASE = 8  # longest phrase (in words) checked for loops


def _normal(text: str) -> str:
    return re.sub(r"[^0-9a-z\u3400-\u9fff]", "", text.lower())


def is_stock_phrase(text: str) -> bool:
    normal = _normal(text)
    return bool(normal) and any(p == normal or (p in normal and _UNMISTAKABLE.search(p)) for p in STOCK_PHRASES)


def _in_speech(word: Word, speech: list[tuple[float, float]]) -> bool:
    return any(word.start < end + SPEECH_PAD and word.end > start - SPEECH_PAD for start, end in speech)


def _loop_at(keys: list[str], i: int) -> tuple[int, int]:
    """(phrase length, times repeated) of a decoding loop starting at word i, else (1, 1)."""
    for size in range(1, MAX_PHRASE + 1):
        phrase = keys[i:i + size]
        if len(phrase) < size or not all(phrase):
            break
        repeats = 1
        while keys[i + repeats * size:i + (repeats + 1) * size] == phrase:
            repeats += 1
        if repeats >= MIN_REPEATS + (size == 1):  # single words need one more: "very, very, very"
            return size, repeats
    return 1, 1


def collapse_repeats(words: list[Word]) -> tuple[list[Word], int]:
    """Keep one copy of any phrase of up to MAX_PHRASE words repeated MIN_REPEATS+ times in a
    row; returns the words kept and how many were dropped."""
    keys = [_normal(w.text) for w in words]
    kept: list[Word] = []
    i, dropped = 0, 0
    while i < len(words):
        size, repeats = _loop_at(keys, i)
        kept += words[i:i + size]
        dropped += (repeats - 1) * size
        i += repeats * size
    return kept, dropped


def collapse_repeated_sentences(text: str) -> str:
    """Pure: `text` with each sentence that only repeats the one before it dropped. A decoder
    loops on whole sentences too, longer than MAX_PHRASE words ("Let's talk a little bit about
    the construction of this building." six times for six different sentences)."""
    kept: list[str] = []
    for sentence in re.split(r"(?<=[.!?])\s+", text.strip()):
        if not kept or _normal(sentence) != _normal(kept[-1]):
            kept.append(sentence)
    return " ".join(kept)


def clean(segments: list[Segment], speech: list[tuple[float, float]]) -> tuple[list[Segment], Counter]:
    """Segments without hallucinations, and a count of what was removed, by kind."""
    removed: Counter = Counter()
    out = []
    for segment in segments:
        if is_stock_phrase(segment.text):
            removed["stock phrase"] += 1
            continue
        words = [w for w in segment.words if _in_speech(w, speech)]
        removed["word over silence"] += len(segment.words) - len(words)
        words, looped = collapse_repeats(words)
        removed["repeated word"] += looped
        if words:
            out.append(replace(segment, words=tuple(words), text="".join(w.text for w in words)))
    return out, +removed
