"""The `bivideo studio` page in a real browser (Debian's headless Chromium, driven by Playwright)
as a user works with it: by the accessible names the product spec fixes (`English 2`, `Save`,
`Split at playhead`, ...), the keyboard and the mouse on the waveform, against the real
`bivideo studio` command, with the outcome checked on disk (the SRT files, `bivideo check`, the
burned video) or in the page. The server's API alone: test_studio.py."""

from __future__ import annotations

import json
import re
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import bivideo, make_video, probe_json
from tests.scoring import read_srt
from tests.servers import ZH_MARK
from tests.studio_support import browser_page, llm_studio, studio

pytestmark = pytest.mark.slow  # real Whisper once, a real browser per test, one real encode

sync_api = pytest.importorskip("playwright.sync_api", reason="pip package playwright not installed")
expect = sync_api.expect

SUFFIXES = ("bilingual.srt", "en.srt", "zh.srt")


# --- the talk -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def made(tmp_path_factory, english_recording, libre) -> Path:
    """A talk with its subtitles made once for the module (Whisper, then the local translator)."""
    folder = tmp_path_factory.mktemp("studio-page")
    video = make_video(english_recording["path"], folder / "talk.mp4")
    run = bivideo("make", video, "--preview", "--model", "base", "--translator", "libre", "--translator-url", libre[0])
    assert run.code == 0, run.err
    return video


@pytest.fixture
def talk(made, tmp_path, libre) -> tuple[Path, Path]:
    """The talk's subtitles made again in this test's own folder (transcript and translations
    from the caches), for a test that changes files."""
    run = bivideo("make", made, "--preview", "-o", tmp_path, "--model", "base", "--translator", "libre",
                  "--translator-url", libre[0])
    assert run.code == 0, run.err
    return made, tmp_path


def srt_files(talk) -> dict[str, Path]:
    video, folder = talk
    return {suffix: folder / f"{video.stem}.{suffix}" for suffix in SUFFIXES}


def english_on_disk(path: Path) -> list[str]:
    """The English line of each cue of a bilingual SRT (Chinese first, English last)."""
    return [s.content.split("\n")[-1] for s in read_srt(path)]


# --- the page -----------------------------------------------------------------------------------

def watch(page) -> None:
    """Record what a user would notice beyond the DOM: dialogs (accepted, so that leaving the page
    goes on) and console errors (evidence for a failure report)."""
    page.dialogs, page.console_errors = [], []

    def dialog(d):
        page.dialogs.append((d.type, d.message))
        d.accept()

    page.on("dialog", dialog)
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)


@contextmanager
def opened(video: Path, *args: str, browser_args: tuple[str, ...] = ()):
    """`bivideo studio VIDEO ARGS` and its page in headless Chromium, ready; afterwards no
    uncaught error may have happened on the page."""
    with studio(video, *args) as server, page_of(server, browser_args) as page:
        yield page


@contextmanager
def page_of(server, browser_args: tuple[str, ...] = ()):
    """A running studio's page in headless Chromium, ready; afterwards no uncaught error may
    have happened on it."""
    with browser_page(server, extra_args=browser_args) as page:
        watch(page)
        page.server = server
        yield page
        assert page.errors == [], f"errors on the page: {page.errors}; console: {page.console_errors}"


def open_talk(talk, libre, *args: str, **kwargs):
    video, folder = talk
    return opened(video, "-o", str(folder), "--translator", "libre", "--translator-url", libre[0], *args, **kwargs)


def button(page, name: str):
    return page.get_by_role("button", name=name, exact=True)


def field(page, label: str, n: int):
    return page.get_by_label(f"{label} {n}", exact=True)


def row(page, n: int):
    """Cue n's row (the one holding its `Play n` button)."""
    return page.get_by_role("row").filter(has=button(page, f"Play {n}"))


def rows(page):
    return page.get_by_role("button", name=re.compile(r"^Play \d+$"))


def status(page):
    return page.get_by_role("status")


def cues(page) -> list[dict]:
    return page.evaluate("window.studio.cues()")


def type_line(page, label: str, n: int, text: str) -> None:
    """Fill the field, then type its last character as a real keystroke."""
    box = field(page, label, n)
    box.fill(text[:-1])
    box.press("End")
    box.press_sequentially(text[-1])
    expect(box).to_have_value(text)


def select_row(page, n: int) -> None:
    """Click the row (its verdict cell, not a field or a button): it becomes the current cue."""
    row(page, n).get_by_role("cell").last.click()
    expect(row(page, n)).to_have_attribute("aria-current", "true")


def video_at(page, t: float) -> None:
    page.locator("video").evaluate("(v, t) => { v.currentTime = t }", t)


def wait_until(page, expression: str, arg=None, timeout: float = 30) -> None:
    """Poll a JavaScript function of `arg` until it is true. (page.wait_for_function evaluates its
    predicate with eval inside the page, which the studio's CSP rightly refuses.)"""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression, arg):
        assert time.monotonic() < deadline, f"not true within {timeout} s: {expression}"
        page.wait_for_timeout(50)


def api_state(page) -> dict:
    return page.server.get("/api/state").json()


def shown_problems(page, n: int) -> set[str]:
    """The rules cue n breaks as its row shows them. The row has no machine-readable list (its
    data-problems is only "true"/"false"): the verdict cell's title says `Breaks: a, b`."""
    title = row(page, n).get_by_role("cell").last.get_attribute("title") or ""
    return set(title.removeprefix("Breaks: ").split(", ")) if title.startswith("Breaks: ") else set()


# --- the tests ----------------------------------------------------------------------------------

def test_edit_undo_redo_and_save_with_ctrl_s(talk, libre):
    files = srt_files(talk)
    with open_talk(talk, libre) as page:
        before = field(page, "English", 1).input_value()
        edited = "The stale smell of old beer lingers on and on."
        type_line(page, "English", 1, edited)
        expect(row(page, 1)).to_have_attribute("data-stale", "true")
        button(page, "Undo").click()
        expect(field(page, "English", 1)).to_have_value(before)
        expect(row(page, 1)).to_have_attribute("data-stale", "false")
        button(page, "Redo").click()
        expect(field(page, "English", 1)).to_have_value(edited)
        expect(row(page, 1)).to_have_attribute("data-stale", "true")
        page.keyboard.press("Control+s")
        expect(status(page)).to_contain_text("Saved")
        expect(status(page)).to_contain_text(files["bilingual.srt"].name)
        expect(button(page, "Save")).to_be_disabled()  # nothing left to save
    assert english_on_disk(files["bilingual.srt"])[0] == edited
    assert read_srt(files["en.srt"])[0].content == edited


def test_the_verdicts_shown_are_those_of_bivideo_check(talk, libre):
    files = srt_files(talk)
    with open_talk(talk, libre) as page:
        start = cues(page)[2]["start"]
        end = field(page, "End", 3)
        end.fill(f"0:{start + 0.3:06.3f}")  # far under 5/6 s
        end.press("Enter")
        type_line(page, "English", 3, "A cold dip restores health and zest, and a long walk restores the rest.")
        button(page, "Save").click()
        expect(status(page)).to_contain_text("Saved")
        verdict = row(page, 3).get_by_role("cell").last
        expect(verdict).to_have_attribute("title", re.compile(r"duration"))
        expect(verdict).to_have_attribute("title", re.compile(r"line length"))
        page.wait_for_timeout(500)  # any other check answers in flight
        shown = {n: shown_problems(page, n) for n in range(1, rows(page).count() + 1)}
    run = bivideo("check", files["bilingual.srt"], "--json")
    assert run.code == 0, run.err
    report = json.loads(run.out)
    checked = {n: set() for n in shown} | {p["cue"]: set(p["rules"]) for p in report["problems"]}
    assert report["cues"] == len(shown)
    assert {"duration", "line length"} <= shown[3]
    assert shown == checked


def test_split_at_playhead_merge_delete_insert_and_undo(talk, libre):
    with open_talk(talk, libre) as page:
        state = api_state(page)
        original = cues(page)
        assert [c["en"] for c in original] == [c["en"] for c in state["cues"]]
        words = state["cues"][1]["words"]
        # between two words: a pause, or words that just touch
        k = next(i for i in range(1, len(words) - 1) if words[i][2] <= words[i + 1][1])
        at = round((words[k][2] + words[k + 1][1]) / 2, 3)
        count = rows(page).count()

        select_row(page, 2)
        video_at(page, at)
        button(page, "Split at playhead").click()
        expect(rows(page)).to_have_count(count + 1)
        first, second = cues(page)[1:3]
        assert [w[0] for w in first["words"]] == [w[0] for w in words[:k + 1]]
        assert first["en"] == " ".join(w[0].strip() for w in words[:k + 1])
        assert first["end"] == at and second["start"] > at and first["stale"] and second["stale"]
        expect(field(page, "English", 2)).to_have_value(first["en"])
        expect(field(page, "English", 3)).to_have_value(second["en"])

        button(page, "Merge with next").click()
        expect(rows(page)).to_have_count(count)
        expect(field(page, "English", 2)).to_have_value(original[1]["en"])
        expect(field(page, "Chinese", 2)).to_have_value(original[1]["zh"])
        button(page, "Undo").click()
        expect(rows(page)).to_have_count(count + 1)
        button(page, "Undo").click()
        expect(rows(page)).to_have_count(count)
        assert cues(page) == original

        # the same split from the keyboard
        video_at(page, at)
        page.keyboard.press("Control+Enter")
        expect(rows(page)).to_have_count(count + 1)
        expect(field(page, "English", 2)).to_have_value(first["en"])
        button(page, "Undo").click()
        expect(rows(page)).to_have_count(count)

        select_row(page, 4)
        button(page, "Delete cue").click()
        expect(rows(page)).to_have_count(count - 1)
        expect(field(page, "English", 4)).to_have_value(original[4]["en"])
        button(page, "Undo").click()
        expect(rows(page)).to_have_count(count)
        expect(field(page, "English", 4)).to_have_value(original[3]["en"])

        select_row(page, 1)
        button(page, "Insert cue").click()
        expect(rows(page)).to_have_count(count + 1)
        expect(field(page, "English", 2)).to_have_value("")
        expect(field(page, "English", 3)).to_have_value(original[1]["en"])
        inserted = cues(page)[1]
        assert original[0]["end"] < inserted["start"] < inserted["end"] < original[1]["start"]
        button(page, "Undo").click()
        expect(rows(page)).to_have_count(count)
        assert cues(page) == original


def region_of(page, text: str):
    """The waveform region (in wavesurfer's shadow DOM) labelled with a cue's spoken line."""
    return page.get_by_role("region", name="Waveform").locator('[part~="region"]').filter(has_text=text)


def drag_end(page, region, cue: dict, to: float) -> None:
    """Drag the region's right handle so that the cue's end lands at `to` seconds, the pixels
    per second taken from the region's box and the cue's times."""
    box = region.bounding_box()
    per_second = box["width"] / (cue["end"] - cue["start"])
    handle = region.locator('[part~="region-handle-right"]').bounding_box()
    x, y = handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2
    dx = (to - cue["end"]) * per_second
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx / 2, y, steps=5)
    page.mouse.move(x + dx, y, steps=5)
    page.mouse.up()


def test_dragging_a_cue_edge_snaps_to_speech_unless_alt_is_held(talk, libre):
    with open_talk(talk, libre) as page:
        state = api_state(page)
        cue = state["cues"][0]
        # the nearest speech edge after the cue's end that is not its own
        edge = min((e for region in state["speech"] for e in region if e > cue["end"] + 0.2), default=None)
        assert edge is not None, state["speech"]
        region = region_of(page, cue["en"][:20])
        expect(region).to_have_count(1)
        zoomed_out = region.bounding_box()["width"]
        page.get_by_label("Zoom", exact=True).fill("40")
        for _ in range(50):
            if region.bounding_box()["width"] > 1.5 * zoomed_out:
                break
            page.wait_for_timeout(100)
        assert region.bounding_box()["width"] > 1.5 * zoomed_out, "Zoom did not zoom in"
        page.wait_for_timeout(300)  # placed on the next frame

        drag_end(page, region, cue, edge - 0.04)  # near the speech edge: lands on it
        expect(field(page, "End", 1)).to_have_value(f"0:{edge:06.3f}")
        assert cues(page)[0]["end"] == edge

        moved = cues(page)[0]
        page.keyboard.down("Alt")
        drag_end(page, region, moved, edge - 0.04)  # the same with Alt: where it was dropped
        page.keyboard.up("Alt")
        expect(field(page, "End", 1)).not_to_have_value(f"0:{edge:06.3f}")
        end = cues(page)[0]["end"]
        assert end == pytest.approx(edge - 0.04, abs=0.015) and end != edge


def test_retranslate_at_the_local_translator_and_undo(talk, libre):
    with open_talk(talk, libre) as page:
        old_zh = field(page, "Chinese", 2).input_value()
        edited = "It takes a great deal of summer heat to bring out the odor."
        type_line(page, "English", 2, edited)
        expect(row(page, 2)).to_have_attribute("data-stale", "true")
        sent = len(libre[1].requests)
        button(page, "Re-translate").click()
        expect(row(page, 2)).to_have_attribute("data-stale", "false", timeout=30_000)
        new_zh = field(page, "Chinese", 2).input_value()
        assert ZH_MARK in new_zh and new_zh != old_zh
        expect(field(page, "English", 2)).to_have_value(edited)
        assert any(edited in json.dumps(r, ensure_ascii=False) for r in libre[1].requests[sent:])
        expect(status(page)).to_contain_text("Re-translated")
        button(page, "Undo").click()
        expect(field(page, "Chinese", 2)).to_have_value(old_zh)
        expect(row(page, 2)).to_have_attribute("data-stale", "true")


def test_a_translator_failure_is_one_line_on_the_page_and_loses_nothing(talk):
    video, folder = talk
    closed = "http://127.0.0.1:9"  # nothing listens there
    with opened(video, "-o", str(folder), "--translator", "libre", "--translator-url", closed) as page:
        edited = "A line the translator never sees."
        type_line(page, "English", 1, edited)
        button(page, "Re-translate").click()
        expect(status(page)).to_contain_text("Re-translate failed", timeout=60_000)
        line = status(page).locator("p").first.inner_text()
        assert "\n" not in line.strip() and "Traceback" not in line, line
        assert status(page).get_attribute("data-kind") == "error"
        expect(field(page, "English", 1)).to_have_value(edited)
        expect(row(page, 1)).to_have_attribute("data-stale", "true")
        expect(button(page, "Save")).to_be_enabled()


def test_suggest_fixes_from_the_llm_accept_and_undo(talk, tmp_path):
    video, folder = talk
    with llm_studio(video, folder, tmp_path / "terms.tsv") as (server, recorder), page_of(server) as page:
        heard = "The stale smell of we chat lingers."
        type_line(page, "English", 1, heard)
        button(page, "Suggest fixes").click()
        panel = page.get_by_role("region", name="Suggestions")
        expect(panel).to_be_visible(timeout=30_000)
        expect(panel.locator("ins")).to_contain_text(["WeChat"])
        expect(panel.locator("del").first).to_contain_text("we")
        expect(panel).to_contain_text("Cue 1")
        button(page, "Accept suggestion 1").click()
        expect(field(page, "English", 1)).to_have_value("The stale smell of WeChat lingers.")
        button(page, "Undo").click()
        expect(field(page, "English", 1)).to_have_value(heard)
        assert any(r.get("proofread") and "we chat" in r["prompt"] for r in recorder.requests)


HOSTILE = '<img src=x onerror="window.__pwned=1">'


def test_hostile_cue_text_is_text_on_the_page_and_on_disk(talk, libre):
    files = srt_files(talk)
    with open_talk(talk, libre) as page:
        field(page, "English", 1).fill(HOSTILE)
        field(page, "English", 1).press("End")
        video_at(page, cues(page)[0]["start"] + 0.5)  # the preview shows cue 1
        button(page, "Save").click()
        expect(status(page)).to_contain_text("Saved")
        page.wait_for_timeout(800)  # the preview's ASS and the label were redrawn
        assert page.get_by_role("table", name="Cues").locator("img").count() == 0
        assert page.locator("#frame img").count() == 0  # the overlay (and its frame)
        assert page.locator("img").count() == 0  # nowhere, the waveform's shadow DOM included
        expect(region_of(page, HOSTILE)).to_have_count(1)  # the region's label is the text itself
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert page.dialogs == []
        assert english_on_disk(files["bilingual.srt"])[0] == HOSTILE
        assert read_srt(files["en.srt"])[0].content == HOSTILE

        page.reload()
        page.wait_for_selector("body[data-ready=true]", timeout=60_000)
        expect(field(page, "English", 1)).to_have_value(HOSTILE)
        page.wait_for_timeout(500)
        assert page.locator("img").count() == 0
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert page.dialogs == []


def test_a_file_changed_on_disk_is_a_conflict_and_overwrite_keeps_it(talk, libre):
    files = srt_files(talk)
    bilingual = files["bilingual.srt"]
    with open_talk(talk, libre) as page:
        type_line(page, "English", 3, "Fixed in the studio.")
        first = english_on_disk(bilingual)[0]
        theirs = bilingual.read_text(encoding="utf-8").replace(first, "Edited in another editor")
        bilingual.write_text(theirs, encoding="utf-8")
        button(page, "Save").click()
        expect(status(page)).to_contain_text("changed on disk")
        expect(button(page, "Reload")).to_be_visible()
        expect(button(page, "Overwrite")).to_be_visible()
        assert bilingual.read_text(encoding="utf-8") == theirs  # nothing written yet
        button(page, "Overwrite").click()
        expect(status(page)).to_contain_text("Saved")
        expect(button(page, "Overwrite")).to_be_hidden()
    backups = [p for p in bilingual.parent.iterdir() if re.fullmatch(re.escape(bilingual.name) + r"\.\d{8}-\d{6}\.bak",
                                                                      p.name)]
    assert [b.read_text(encoding="utf-8") for b in backups] == [theirs], sorted(bilingual.parent.iterdir())
    assert english_on_disk(bilingual)[2] == "Fixed in the studio."


def test_draft_restore_leaving_and_an_untouched_save(talk, libre):
    files = srt_files(talk)
    before = {s: p.read_bytes() for s, p in files.items()}
    with open_talk(talk, libre) as page:
        # an untouched page, saved: the files stay byte for byte
        page.evaluate("document.activeElement && document.activeElement.blur()")
        page.keyboard.press("Control+s")
        expect(status(page)).to_contain_text("Nothing to save")
        page.wait_for_timeout(500)
        assert {s: p.read_bytes() for s, p in files.items()} == before

        edited = "A draft nobody saved yet."
        type_line(page, "English", 1, edited)
        page.wait_for_timeout(2000)  # the draft is kept ~1 s after the last edit
        draft = api_state(page)["draft"]
        assert draft and draft["cues"][0]["en"] == edited, "the server holds the draft"
        page.reload()
        page.wait_for_selector("body[data-ready=true]", timeout=60_000)
        expect(field(page, "English", 1)).not_to_have_value(edited)  # the files' text until restored
        button(page, "Restore draft").click()
        expect(field(page, "English", 1)).to_have_value(edited)
        expect(button(page, "Save")).to_be_enabled()
        assert {s: p.read_bytes() for s, p in files.items()} == before

        page.dialogs.clear()
        page.close(run_before_unload=True)
        page.wait_for_event("close", timeout=15_000)
        assert [kind for kind, _ in page.dialogs] == ["beforeunload"]
    assert {s: p.read_bytes() for s, p in files.items()} == before


def test_burn_from_the_page_shows_progress_and_links_the_video(talk, libre):
    video, folder = talk
    with open_talk(talk, libre, "--for", "linkedin", "--quality", "draft") as page:
        # what the status region showed on the way, as a user would have seen it
        page.evaluate("""() => {
            window.__progress = []
            const region = document.querySelector('[role=status]')
            new MutationObserver(() => {
                const box = region.querySelector('progress')?.parentElement
                if (box && !box.hidden) window.__progress.push(box.textContent.trim())
            }).observe(region, { subtree: true, childList: true, characterData: true, attributes: true })
        }""")
        button(page, "Burn").click()
        expect(page.get_by_role("progressbar")).to_be_visible()
        expect(button(page, "Burn")).to_be_disabled()
        name = f"{video.stem}.linkedin.mp4"
        link = status(page).get_by_role("link", name=name)
        expect(link).to_be_visible(timeout=240_000)
        expect(status(page)).to_contain_text("Burned 1 video")
        expect(button(page, "Burn")).to_be_enabled()
        seen = page.evaluate("window.__progress")
        assert any(re.search(r"\d+%", s) and not s.endswith(": 0%") for s in seen), seen
        assert link.get_attribute("href") == f"/media/output/{name}"
    streams = probe_json(folder / name)["streams"]
    assert {s["codec_name"] for s in streams} >= {"h264", "aac"}


def test_keyboard_play_pause_next_cue_and_play_buttons(made, libre):
    with opened(made, "--translator", "libre", "--translator-url", libre[0]) as page:
        video = page.locator("video")
        all_cues = cues(page)
        wait_until(page, "() => document.querySelector('video').readyState >= 2")
        page.evaluate("document.activeElement && document.activeElement.blur()")
        assert video.evaluate("v => v.paused")
        page.keyboard.press("Space")
        wait_until(page, "() => !document.querySelector('video').paused")
        page.keyboard.press("Space")
        wait_until(page, "() => document.querySelector('video').paused")

        field(page, "English", 1).click()
        expect(row(page, 1)).to_have_attribute("aria-current", "true")
        page.keyboard.press("Alt+ArrowDown")
        expect(row(page, 2)).to_have_attribute("aria-current", "true")
        expect(row(page, 1)).not_to_have_attribute("aria-current", "true")
        expect(field(page, "English", 2)).to_be_focused()

        third = all_cues[2]
        button(page, "Play 3").click()
        wait_until(page, "c => { const v = document.querySelector('video'); "
                         "return !v.paused && v.currentTime > c.start + 0.2 }", third)
        assert third["start"] <= video.evaluate("v => v.currentTime") < third["end"]
        expect(row(page, 3)).to_have_attribute("aria-current", "true")
        expect(row(page, 3)).to_have_class(re.compile(r"\bplaying\b"))  # the row of the current time
        expect(row(page, 2)).not_to_have_class(re.compile(r"\bplaying\b"))
        # the cue plays to its end, then stops
        wait_until(page, "() => document.querySelector('video').paused", timeout=15)
        assert video.evaluate("v => v.currentTime") == pytest.approx(third["end"], abs=0.3)


def test_wechat_frame_shows_the_button_zone(made, libre, tmp_path):
    with opened(made, "--translator", "libre", "--translator-url", libre[0]) as page:
        state = api_state(page)
        wechat = next(f for f in state["frames"] if f["platform"] == "wechat")
        band = page.get_by_text("platform buttons")
        expect(band).to_be_hidden()  # LinkedIn first: no app buttons over it
        # by its role: get_by_label("Frame", exact=True) finds nothing, Playwright reads the label's
        # text with the options' text in it
        page.get_by_role("combobox", name="Frame", exact=True).select_option(label=wechat["label"])
        expect(band).to_be_visible()
        video_at(page, state["cues"][0]["start"] + 0.8)
        frame = page.locator("#frame")  # the frame box has no accessible name
        expect(frame).to_have_attribute("data-platform", "wechat")
        page.wait_for_timeout(1500)  # libass draws the new frame's ASS
        box, zone = frame.bounding_box(), band.locator("..").bounding_box()
        assert box["width"] / box["height"] == pytest.approx(wechat["width"] / wechat["height"], rel=0.02)
        assert zone["height"] / box["height"] == pytest.approx(wechat["button_zone"], abs=0.01)
        assert zone["y"] + zone["height"] == pytest.approx(box["y"] + box["height"], abs=2)
        shot = tmp_path / "wechat-frame.png"
        frame.screenshot(path=str(shot))
        assert shot.stat().st_size > 1000


def test_without_webassembly_the_overlay_is_html(made, libre, tmp_path):
    with opened(made, "--translator", "libre", "--translator-url", libre[0],
                browser_args=("--js-flags=--jitless",)) as page:
        assert page.evaluate("typeof WebAssembly") == "undefined"
        assert page.evaluate("document.body.dataset.overlay") == "html"
        first = cues(page)[0]
        video_at(page, first["start"] + 0.5)
        overlay = page.locator("#html-subs")  # aria-hidden: the picture's text, no accessible name
        expect(overlay).to_be_visible()
        expect(overlay).to_contain_text(first["en"])
        expect(overlay).to_contain_text(first["zh"])
        expect(status(page)).to_contain_text("not libass")
        expect(status(page)).to_contain_text("WebAssembly")
        page.locator("#frame").screenshot(path=str(tmp_path / "html-overlay.png"))
