"""The data a talk's transcript is made of: words with times, grouped in Whisper's segments.

Plain frozen dataclasses with no heavy imports, shared by the stages that read transcripts.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Word:
    text: str  # as Whisper spells it, English words with their leading space
    start: float
    end: float
    probability: float


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    words: tuple[Word, ...]
    language: str = ""


@dataclass(frozen=True)
class Transcript:
    language: str  # the main spoken language
    segments: tuple[Segment, ...]
    removed: dict[str, int] = field(default_factory=dict)  # hallucinations dropped, by kind

    @property
    def words(self) -> list[Word]:
        return [w for s in self.segments for w in s.words]

    @property
    def word_languages(self) -> list[str]:
        return [s.language or self.language for s in self.segments for _ in s.words]

    @property
    def segment_ends(self) -> set[int]:
        """Indices (in `words`) of the last word of each segment."""
        ends, count = set(), 0
        for segment in self.segments:
            count += len(segment.words)
            ends.add(count - 1)
        return ends

    @property
    def text(self) -> str:
        return "".join(w.text for w in self.words).strip()

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Transcript:
        return cls(language=data["language"], removed=data.get("removed", {}), segments=tuple(
            Segment(s["start"], s["end"], s["text"], tuple(Word(**w) for w in s["words"]),
                    s.get("language") or data["language"])
            for s in data["segments"]))
