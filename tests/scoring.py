"""Scoring helpers: error rates against reference text, cues too short to read or cut inside a
Chinese word, OCR of burned frames, pixel checks."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import jiwer
import numpy as np
import srt


def normalise_en(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9' ]", " ", text.lower()).split())


def chinese_only(text: str) -> str:
    return re.sub(r"[^\u4e00-\u9fff]", "", text)


def wer(reference: str, hypothesis: str) -> float:
    return jiwer.wer(normalise_en(reference), normalise_en(hypothesis))


def cer(reference: str, hypothesis: str) -> float:
    return jiwer.cer(chinese_only(reference), chinese_only(hypothesis))


def faster_whisper_own(samples: np.ndarray, language: str) -> str:
    """What faster-whisper alone makes of the float samples, on bivideo's base weights as
    bivideo runs them on a CPU (int8): its own VAD (`vad_filter=True`) and otherwise its
    default options. The path bivideo's transcription must lose no words against. Seeded as
    bivideo seeds it, on a model loaded for this call: in noise its temperature fallback
    samples, and CTranslate2 seeds a thread's generator once, at its first sample, so a
    model that sampled before goes on from there (the same audio gave 0.86 and 0.91 WER)."""
    import ctranslate2
    from faster_whisper import WhisperModel

    from bivideo import weights
    from bivideo.engines import SEED

    ctranslate2.set_random_seed(SEED)
    model = WhisperModel(str(weights.ctranslate2_dir("base")), device="cpu", compute_type="int8")
    found, _ = model.transcribe(samples, language=language, vad_filter=True)
    return "".join(s.text for s in found)


def errors(reference: str, hypothesis: str, language: str) -> int:
    """Word errors (English) or character errors (Chinese) against the reference, as a count:
    what a margin of "N more words" is measured in."""
    if language == "en":
        out = jiwer.process_words(normalise_en(reference), normalise_en(hypothesis))
    else:
        out = jiwer.process_characters(chinese_only(reference), chinese_only(hypothesis))
    return out.substitutions + out.deletions + out.insertions


def too_short(cues: list) -> list[str]:
    """The cues (bivideo Cues) on screen for less than the standard's minimum, 5/6 s."""
    from bivideo.standard import MIN_DURATION

    return [c.source for c in cues if c.end - c.start < MIN_DURATION - 1e-3]


def jieba_cuts(text: str) -> set[int]:
    """The offsets between words as jieba cuts `text`."""
    from bivideo.segmentation import segmenter

    cuts, at = set(), 0
    for word in segmenter().cut(text):
        at += len(word)
        cuts.add(at)
    return cuts


def inside_a_word(cues: list) -> list[str]:
    """The joins between consecutive Chinese cues (bivideo Cues) that fall inside a word, as
    jieba cuts each run of Chinese cues' text together ("后面有专 | 门的活动")."""
    out, run = [], []
    for cue in [*cues, None]:
        if cue is not None and cue.language == "zh":
            run.append(cue.source.replace(" ", ""))
            continue
        text, cuts, at = "".join(run), jieba_cuts("".join(run)), 0
        for source in run[:-1]:
            at += len(source)
            if at not in cuts:
                out.append(f"{text[max(0, at - 4):at]} | {text[at:at + 4]}")
        run = []
    return out


def read_srt(path: Path) -> list[srt.Subtitle]:
    return list(srt.parse(path.read_text(encoding="utf-8")))


def frame(video: Path, at: float, dest: Path) -> np.ndarray:
    """The frame shown at `at` seconds, as an RGB array (also saved as PNG at `dest`)."""
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-ss", f"{at:.3f}", "-i", str(video), "-frames:v", "1",
                    str(dest)], check=True)
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(dest), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True).stdout
    width, height = map(int, subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=width,height", "-of", "csv=p=0", str(dest)],
        capture_output=True, text=True, check=True).stdout.strip().split(","))
    return np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 3)


def ocr_subtitles(burned: np.ndarray, plain: np.ndarray, folder: Path, languages: str = "chi_sim+eng") -> str:
    """Tesseract on what the burn added to the picture: pixels that changed and are now light
    (the letters, not their dark outline) become black on white, upscaled 3x. Comparing with
    the plain frame keeps a busy background from looking like text."""
    changed = np.abs(burned.astype(int) - plain.astype(int)).max(axis=2) > 60
    light = burned.astype(int).mean(axis=2) > 150
    return ocr_mask(changed & light, folder, languages)


def _page(ink: np.ndarray, folder: Path) -> Path:
    """A mask of letter pixels as a PNG for tesseract: black on white, upscaled 3x."""
    page = np.where(ink, 0, 255).astype(np.uint8)
    pgm = folder / "subtitles.pgm"
    pgm.write_bytes(b"P5 %d %d 255\n" % (page.shape[1], page.shape[0]) + page.tobytes())
    big = folder / "subtitles.png"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(pgm), "-vf", "scale=iw*3:-1:flags=bicubic",
                    str(big)], check=True)
    return big


def ocr_mask(ink: np.ndarray, folder: Path, languages: str = "chi_sim+eng") -> str:
    """Tesseract on a mask of letter pixels, drawn black on white and upscaled 3x."""
    return subprocess.run(["tesseract", str(_page(ink, folder)), "stdout", "-l", languages, "--psm", "6"],
                          capture_output=True, text=True, check=True).stdout


def near(pixels: np.ndarray, colour: str, tolerance: int = 60) -> np.ndarray:
    """Pixels within `tolerance` of `colour` (#RRGGBB) in every channel."""
    rgb = np.array([int(colour.lstrip("#")[k:k + 2], 16) for k in (0, 2, 4)])
    return np.abs(pixels.astype(int) - rgb).max(axis=2) < tolerance


def word_boxes(ink: np.ndarray, folder: Path, languages: str) -> list[tuple[str, int, int, int, int]]:
    """Tesseract's words on a mask of letter pixels: (text, left, top, width, height) in the
    mask's own pixels (it reads the mask black on white, upscaled 3x)."""
    tsv = subprocess.run(["tesseract", str(_page(ink, folder)), "stdout", "-l", languages, "--psm", "6", "tsv"],
                         capture_output=True, text=True, check=True).stdout
    boxes = []
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) == 12 and cells[0] == "5" and cells[11].strip():
            left, top, width, height = (int(v) // 3 for v in cells[6:10])
            boxes.append((cells[11].strip(), left, top, width, height))
    return boxes
