"""How closely the studio's subtitle overlay (libass in the browser, JASSUB) matches the burned
video, frame by frame: `make bench` and `tests/test_studio_page.py` use it.

For each platform's frame and a few cue midpoints, the page's frame box is screenshotted with
the video paused there, and the burned video's frame at the same instant is read with ffmpeg
and scaled to the screenshot's size. The talk's picture is a plain dark grey, so that the
subtitles are the only bright pixels in both: their masks are compared line by line (the
bounding box of each line: its top, bottom, left and right edges, in the frame's pixels),
and the band that holds them by SSIM (ffmpeg's ssim filter, on the grey levels above the
picture's, where only the letters are).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from support import BIVIDEO, CHROMIUM_ARGS, MEDIA

from bivideo import toolchain

INK = 150  # grey level: subtitle letters are white / light yellow, the picture is 0x303030


def dark_talk(speech: Path, dest: Path) -> Path:
    """The recording's audio over a plain dark grey 1280x720 picture."""
    subprocess.run([toolchain.ffmpeg(), "-hide_banner", "-v", "error", "-y", "-f", "lavfi",
                    "-i", "color=c=0x303030:size=1280x720:rate=25", "-i", str(speech), "-shortest",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", str(dest)],
                   check=True)
    return dest


def grey(path: Path, size: tuple[int, int] | None = None, at: float | None = None) -> np.ndarray:
    """A picture (or a video's frame at `at` s) as grey levels, scaled to `size` (area averaging)."""
    seek = ["-ss", f"{at:.3f}"] if at is not None else []
    scale = ["-vf", f"scale={size[0]}:{size[1]}:flags=area"] if size else []
    raw = subprocess.run([toolchain.ffmpeg(), "-v", "error", *seek, "-i", str(path), "-frames:v", "1", *scale,
                          "-f", "rawvideo", "-pix_fmt", "gray", "-"], capture_output=True, check=True).stdout
    if size is None:
        probe = subprocess.run([toolchain.ffprobe(), "-v", "error", "-select_streams", "v:0", "-show_entries",
                                "stream=width,height", "-of", "csv=p=0", str(path)],
                               capture_output=True, text=True, check=True).stdout
        size = tuple(map(int, probe.strip().split(",")[:2]))  # type: ignore[assignment]
    return np.frombuffer(raw, dtype=np.uint8).reshape(size[1], size[0])


def lines(mask: np.ndarray) -> list[tuple[int, int, int, int]]:
    """(top, bottom, left, right) of each run of rows with ink: one per subtitle line."""
    rows = np.flatnonzero(mask.any(axis=1))
    if not len(rows):
        return []
    runs = np.split(rows, np.flatnonzero(np.diff(rows) > 3) + 1)
    out = []
    for run in runs:
        columns = np.flatnonzero(mask[run[0]:run[-1] + 1].any(axis=0))
        out.append((int(run[0]), int(run[-1]), int(columns[0]), int(columns[-1])))
    return out


def ssim(a: np.ndarray, b: np.ndarray, folder: Path) -> float:
    """ffmpeg's SSIM of two grey pictures of one size."""
    paths = []
    for name, picture in (("a", a), ("b", b)):
        path = folder / f"ssim-{name}.pgm"
        path.write_bytes(b"P5 %d %d 255\n" % (picture.shape[1], picture.shape[0]) + picture.tobytes())
        paths.append(path)
    out = subprocess.run([toolchain.ffmpeg(), "-v", "info", "-i", str(paths[0]), "-i", str(paths[1]),
                          "-lavfi", "ssim", "-f", "null", "-"], capture_output=True, text=True).stderr
    return float(re.search(r"All:([\d.]+)", out)[1])


@dataclass
class Agreement:
    platform: str
    at: float
    frame: tuple[int, int]
    page_lines: list[tuple[int, int, int, int]]
    burned_lines: list[tuple[int, int, int, int]]
    band_ssim: float

    @property
    def worst_edge(self) -> float:
        """The largest difference of any line's edge, in the frame's pixels (inf: the line
        counts differ)."""
        if len(self.page_lines) != len(self.burned_lines) or not self.page_lines:
            return float("inf")
        return max(abs(p - q) for a, b in zip(self.page_lines, self.burned_lines) for p, q in zip(a, b))

    def to_json(self) -> dict:
        return {"platform": self.platform, "at": self.at, "lines": len(self.page_lines),
                "burned_lines": len(self.burned_lines), "worst_edge_px": self.worst_edge,
                "band_ssim": round(self.band_ssim, 4)}


def compare(page, frame_box, burned: Path, platform: str, frame: tuple[int, int], at: float,
            folder: Path) -> Agreement:
    """The page (paused at `at`, showing `platform`'s frame) against the burned video there."""
    page.evaluate("t => { const v = document.querySelector('video'); v.pause(); v.currentTime = t }", at)
    page.wait_for_timeout(1500)  # the seek, then libass's frame for it
    page.evaluate("document.getElementById('button-zone').hidden = true")  # its label is no subtitle
    shot = folder / f"page-{platform}-{at:.2f}.png"
    frame_box.screenshot(path=str(shot))
    seen = grey(shot, frame)  # the screenshot scaled to the frame's pixels
    truth = grey(burned, frame, at)
    page_ink, burned_ink = seen > INK, truth > INK
    page_lines, burned_lines = lines(page_ink), lines(burned_ink)
    spans = page_lines + burned_lines
    top, bottom = (min(s[0] for s in spans) - 8, max(s[1] for s in spans) + 8) if spans else (0, frame[1] - 1)
    band = slice(max(0, top), min(frame[1], bottom + 1))
    return Agreement(platform, at, frame, page_lines, burned_lines,
                     ssim(_letters(seen[band]), _letters(truth[band]), folder))


def _letters(picture: np.ndarray) -> np.ndarray:
    """The subtitle layer of a picture: grey levels above the picture's own (dark grey in the
    frame, darker or black around it, which page and burn draw differently), stretched."""
    return (np.clip(picture.astype(int) - 100, 0, 155) * 255 // 155).astype(np.uint8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speech", type=Path, default=MEDIA / "en" / "en06_harvard_stale_smell_44k_stereo.wav")
    parser.add_argument("--folder", type=Path, default=Path(tempfile.mkdtemp(prefix="bivideo-overlay-")))
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    from tests.servers import libre_server

    video = dark_talk(args.speech, args.folder / "dark talk.mp4")
    with libre_server() as (url, _):
        common = ["--model", "base", "--translator", "libre", "--translator-url", url]
        subprocess.run([str(BIVIDEO), "make", str(video), "--quality", "high", "-q", *common], check=True)
        process = subprocess.Popen([str(BIVIDEO), "studio", str(video), "--no-browser", "-q", *common],
                                   stdout=subprocess.PIPE, text=True)
        try:
            address = re.search(r"http://\S+", process.stdout.readline())[0]
            results = measure(address, video, args.folder, sync_playwright)
        finally:
            process.terminate()
            process.wait(timeout=60)
    for result in results:
        print(json.dumps(result.to_json()))
    edges = [r.worst_edge for r in results]
    print(f"overlay vs burn: {len(results)} frames, worst line edge {max(edges):.0f} px, "
          f"median {float(np.median(edges)):.0f} px; band SSIM median {np.median([r.band_ssim for r in results]):.4f},"
          f" lowest {min(r.band_ssim for r in results):.4f}")


def measure(address: str, video: Path, folder: Path, sync_playwright) -> list[Agreement]:
    results = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1400}, device_scale_factor=2)
        page.goto(address)
        page.wait_for_selector("body[data-ready=true]")
        page.wait_for_selector("body[data-overlay-ready=true]", timeout=60_000)
        state = page.evaluate("fetch('/api/state').then(r => r.json())")
        midpoints = [(c["start"] + c["end"]) / 2 for c in state["cues"][:3]]
        for index, frame in enumerate(state["frames"]):
            page.locator("#frame-select").select_option(index=index)
            page.wait_for_timeout(800)
            burned = video.with_name(f"{video.stem}.{frame['platform']}.mp4")
            for at in midpoints:
                results.append(compare(page, page.locator("#frame"), burned, frame["platform"],
                                       (frame["width"], frame["height"]), at, folder))
        browser.close()
    return results


if __name__ == "__main__":
    main()
