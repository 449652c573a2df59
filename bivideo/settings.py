"""What a run is asked to do: every option of make, burn, preview and batch, with its default
and the values it may take. The single source of defaults: the command line and bivideo.toml
take theirs from `Settings`. No third-party imports, so the command line can build its
options without loading any stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

Source = Literal["auto", "en", "zh"]
EngineName = Literal["faster-whisper", "openai-whisper"]
PlatformChoice = Literal["both", "linkedin", "wechat", "none"]
Quality = Literal["draft", "normal", "high"]
Placement = Literal["above", "below"]
HighlightMode = Literal["none", "words"]
Mode = Literal["make", "preview", "burn"]  # what a run stops at: everything, the subtitles and stills, or the burn

SOURCES: tuple[str, ...] = get_args(Source)
ENGINES: tuple[str, ...] = get_args(EngineName)
PLATFORMS: tuple[str, ...] = get_args(PlatformChoice)
QUALITIES: tuple[str, ...] = get_args(Quality)
PLACEMENTS: tuple[str, ...] = get_args(Placement)
HIGHLIGHTS: tuple[str, ...] = get_args(HighlightMode)
MODES: tuple[str, ...] = get_args(Mode)


@dataclass(frozen=True)
class Look:
    """How the subtitles look: which language sits on top, the colours, and with `highlight`
    "words", the colour the spoken line's words turn as they are said."""

    chinese: Placement
    zh_color: str
    en_color: str
    highlight: HighlightMode
    highlight_color: str


@dataclass(frozen=True)
class Settings:
    source: Source = "auto"  # --from
    target: Literal["en", "zh"] | None = None  # --to; default: the other language
    engine: EngineName = "faster-whisper"
    model: str = "auto"  # the best the machine runs near real time (model_choice), a name in weights.NAMES, or a path
    translator: str = "auto"  # a name in translators.NAMES
    translator_url: str | None = None
    refine: bool = False  # a second LLM pass over the whole talk's translation
    glossary: Path | None = None
    output_dir: Path | None = None
    force: bool = False  # redo every stage, ignoring cached artifacts
    vocab: bool | None = None  # vocab.csv; default: for English talks
    subtitles: Path | None = None  # make --subtitles: the spoken-language transcript, made elsewhere
    resegment: bool = False  # given subtitles cut again to the standard (by text: no word times)
    # the videos written (see platforms.py and `bivideo make --help`)
    platform: PlatformChoice = "both"  # --for
    aspect: tuple[str, ...] = ()  # --aspect values: SHAPE or PLATFORM=SHAPE
    soft: bool = False  # also an MP4 with selectable subtitle tracks
    quality: Quality = "normal"
    audio_track: int | None = None  # 1-based, as users count; None: the track with speech
    # an audio-only talk's videos show `picture`, or without one a plain background with `title`
    # (default: the file's name)
    picture: Path | None = None
    title: str | None = None
    # The look follows bilingual releases: the larger white Chinese line first, the English
    # line below it smaller and in a pale gold, both with a dark outline; words already said
    # in a light cyan, apart from both.
    chinese: Placement = "above"
    zh_color: str = "#FFFFFF"
    en_color: str = "#F5E7A1"
    highlight: HighlightMode = "none"
    highlight_color: str = "#4DD8FF"

    @property
    def look(self) -> Look:
        return Look(self.chinese, self.zh_color, self.en_color, self.highlight, self.highlight_color)


DEFAULTS = Settings()
