"""The `bivideo` command line (click). Errors the user can act on print one line and exit
non-zero; settings default from bivideo.toml (working folder, then the user config dir)."""

from __future__ import annotations

import os
import re
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn, TypeVar

import click
from platformdirs import user_config_dir

from bivideo import __version__, standard, translators, weights
from bivideo.errors import BivideoError, debugging
from bivideo.settings import DEFAULTS, ENGINES, HIGHLIGHTS, PLACEMENTS, PLATFORMS, QUALITIES, SOURCES, Mode, Settings
from bivideo.ui import Reporter

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: tomllib's origin, the same API (a dependency there)
    import tomli as tomllib

F = TypeVar("F", bound=Callable[..., Any])  # a command function, before click makes it a command


def _config() -> dict:
    """The first bivideo.toml found: its top-level keys are `make` option names. A relative
    glossary path is relative to the file that names it."""
    for path in (Path("bivideo.toml"), Path(user_config_dir("bivideo")) / "bivideo.toml"):
        if path.is_file():
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
                raise BivideoError(f"{path}: not valid TOML ({error})") from None
            config = {key.replace("-", "_"): value for key, value in data.items()}
            if "for" in config:  # `for` is a Python keyword: the option's parameter is `platform`
                config["platform"] = config.pop("for")
            if isinstance(config.get("glossary"), str):
                config["glossary"] = str(path.parent / Path(config["glossary"]).expanduser())
            return config
    return {}


def _stop(signum: int, frame: FrameType | None) -> NoReturn:
    """SIGTERM stops like Ctrl-C: temporary files are removed, finished stages kept."""
    raise KeyboardInterrupt


class Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BivideoError as error:
            click.secho(f"error: {error}", err=True, fg="red")
            sys.exit(error.exit_code)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise  # click's own usage errors already read well
        except KeyboardInterrupt:
            click.secho("interrupted; finished stages are kept and the next run resumes", err=True)
            sys.exit(130)
        except Exception as error:  # a bug: one line unless asked for the traceback
            if debugging():
                raise
            click.secho(f"error: unexpected {type(error).__name__}: {error} "
                        "(set BIVIDEO_DEBUG=1 for the traceback)", err=True, fg="red")
            sys.exit(70)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__)
@click.pass_context
def main(ctx: click.Context) -> None:
    """Bilingual (Chinese + English) burned-in subtitles for recorded talks."""
    signal.signal(signal.SIGTERM, _stop)
    config = _config()
    # every command takes the keys it has options for (click looks each option up by name)
    ctx.default_map = {name: config for name in main.commands}


def _aspects(ctx: click.Context, param: click.Parameter, values: tuple[str, ...] | list[str] | str) -> tuple[str, ...]:
    from bivideo import platforms

    try:
        platforms.parse_aspects(values)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    return (values,) if isinstance(values, str) else tuple(values)


def _colour(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not re.fullmatch(r"#?[0-9A-Fa-f]{6}", value):
        raise click.BadParameter(f"{value!r} is not a colour like #F5E7A1")
    return "#" + value.lstrip("#").upper()


def _options(*options: Callable[[F], F]) -> Callable[[F], F]:
    """A decorator adding `options` in the order given."""
    def decorate(command: F) -> F:
        for option in reversed(options):
            command = option(command)
        return command
    return decorate


# What `make` takes, and `batch` too.
make_options = _options(
    click.option("--from", "source", type=click.Choice(SOURCES), default=DEFAULTS.source, show_default=True,
                 help="Spoken language."),
    click.option("--to", "target", type=click.Choice(["en", "zh"]),
                 help="Subtitle language added [default: the other one]."),
    click.option("--engine", type=click.Choice(ENGINES), default=DEFAULTS.engine, show_default=True),
    click.option("--model", default=DEFAULTS.model, show_default=True,
                 help=f"auto | {' | '.join(weights.NAMES)} | PATH. auto: the best model this machine runs near "
                      "real time (turbo on a GPU, small on 8 or more CPUs, else base), base when its weights "
                      "are not at hand."),
    click.option("--translator", type=click.Choice(translators.NAMES), default=DEFAULTS.translator,
                 show_default=True, help="auto: the first of deepseek, openai, qwen whose API key is set, else google. "
                      "deepseek/qwen/ollama: presets of the OpenAI-compatible backend. "
                      "whisper: Whisper's own translate task, offline, into English only."),
    click.option("--translator-url",
                 help="Server URL for libre (LibreTranslate) or the OpenAI-compatible ones (any such API)."),
    click.option("--refine", is_flag=True,
                 help="A second LLM pass over the whole translation: consistent terms, natural phrasing."),
    click.option("--glossary", type=click.Path(path_type=Path, dir_okay=False),
                 help="TSV of terms: English<TAB>Chinese, or a term twice to keep it as is."),
    click.option("-o", "--output-dir", type=click.Path(path_type=Path),
                 help="Write outputs here [default: beside the input]."),
    click.option("--force", is_flag=True,
                 help="Redo every stage, and regenerate edited subtitle files (after a timestamped backup)."),
    click.option("--vocab/--no-vocab", default=DEFAULTS.vocab,
                 help="Write <stem>.vocab.csv, the rarest words with glosses (Anki) [default: for English talks]."),
)

# How the subtitles look and in which frames: shared by make, burn, preview and batch. Each
# can also be set in bivideo.toml (e.g. `for = "wechat"`, `aspect = ["wechat=keep"]`,
# `chinese = "below"`, `en-color = "#FFFFFF"`).
look_options = _options(
    click.option("--for", "platform", type=click.Choice(PLATFORMS), default=DEFAULTS.platform, show_default=True,
                 help="Videos to write: <stem>.linkedin.mp4, <stem>.wechat.mp4, both, "
                      "or none of those but <stem>.bilingual.mp4."),
    click.option("--aspect", multiple=True, callback=_aspects, metavar="[PLATFORM=]SHAPE",
                 help="Frame shape keep|16:9|1:1|9:16, for every video or for one platform "
                      "(repeatable: --aspect wechat=keep). A picture of another shape is fitted over "
                      "a blurred copy of itself. [default: linkedin=keep, wechat=9:16]"),
    click.option("--chinese", type=click.Choice(PLACEMENTS), default=DEFAULTS.chinese, show_default=True,
                 help="The Chinese line above or below the English one."),
    click.option("--zh-color", default=DEFAULTS.zh_color, show_default=True, callback=_colour,
                 help="Colour of the Chinese line."),
    click.option("--en-color", default=DEFAULTS.en_color, show_default=True, callback=_colour,
                 help="Colour of the English line."),
    click.option("--highlight", type=click.Choice(HIGHLIGHTS), default=DEFAULTS.highlight, show_default=True,
                 help="words: on the spoken line, each word lights up as it is said (karaoke)."),
    click.option("--highlight-color", default=DEFAULTS.highlight_color, show_default=True, callback=_colour,
                 help="Colour of the words already said, with --highlight words."),
    click.option("--picture", type=click.Path(path_type=Path, exists=True, dir_okay=False),
                 help="Audio-only recordings: the picture the videos show [default: a plain background with "
                      "the title]."),
    click.option("--title", help="Audio-only recordings: the title on the plain background [default: the file "
                                 "name]."),
)

# How the videos are encoded: shared by make, burn and batch.
encode_options = _options(
    click.option("--soft", is_flag=True,
                 help="Also write <stem>.soft.mp4 with Chinese and English as selectable subtitle tracks."),
    click.option("--quality", type=click.Choice(QUALITIES), default=DEFAULTS.quality, show_default=True,
                 help="Encoding effort and quality (draft is fastest)."),
    click.option("--audio-track", type=click.IntRange(min=1), default=DEFAULTS.audio_track,
                 help="Which audio track to transcribe and keep, counting from 1 [default: the one with the "
                      "most speech]."),
)


_resegment = click.option("--resegment", is_flag=True,
                          help="Cut the given cues again to the subtitle standard (by their text: there are "
                               "no word times) [default: keep their times].")


@main.command()
@click.argument("video", type=click.Path(path_type=Path))
@make_options
@click.option("--subtitles", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="Use these subtitles (SRT, WebVTT, ASS) as the spoken-language transcript instead of "
                   "transcribing; they are translated, styled and burned, and checked against the speech.")
@_resegment
@click.option("--preview", "preview_only", is_flag=True,
              help="Stop after the subtitle files and preview stills; burn later with `bivideo burn`.")
@look_options
@encode_options
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but warnings and errors.")
def make(video: Path, quiet: bool, preview_only: bool, **options: Any) -> None:
    """Transcribe, translate and burn bilingual subtitles into VIDEO."""
    from bivideo import flow  # loaded when needed: `batch` with nothing to do never is

    settings = Settings(**options)
    if settings.resegment and not settings.subtitles:
        raise click.UsageError("--resegment cuts the cues of --subtitles SUBS again; a transcript is always cut to "
                               "the standard")
    written = flow.run("preview" if preview_only else "make", video, settings, Reporter(quiet))
    _echo(written, quiet)
    if preview_only and not quiet:
        bilingual = (settings.output_dir or video.parent).expanduser() / f"{video.stem}.bilingual.srt"
        click.echo(f"\nCheck the stills, fix the subtitles in {bilingual}\n"
                   f"(or in the browser: bivideo studio {_quoted(video, settings)}), then burn them:\n"
                   f"  bivideo burn {_quoted(video, settings)}")


def _echo(paths: list[Path], quiet: bool) -> None:
    if not quiet:
        for path in paths:
            click.echo(str(path))


def _quoted(video: Path, settings: Settings) -> str:
    """The video (and -o) as the user would type them again in a shell."""
    import shlex

    out = f" -o {shlex.quote(str(settings.output_dir))}" if settings.output_dir else ""
    return shlex.quote(str(video)) + out


@main.command()
@click.argument("subs", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--from", "source", type=click.Choice(SOURCES), default=DEFAULTS.source,
              help="Language of SUBS [default: auto, found from its text].")
@click.option("--to", "target", type=click.Choice(["en", "zh"]), help="Language to add [default: the other one].")
@click.option("--translator", type=click.Choice([n for n in translators.NAMES if n != "whisper"]),
              default=DEFAULTS.translator, show_default=True,
              help="As for make (whisper needs the audio: use `make VIDEO --subtitles SUBS`).")
@click.option("--translator-url", help="Server URL for libre (LibreTranslate) or the OpenAI-compatible ones.")
@click.option("--refine", is_flag=True, help="A second LLM pass over the whole translation.")
@click.option("--glossary", type=click.Path(path_type=Path, dir_okay=False),
              help="TSV of terms: English<TAB>Chinese, or a term twice to keep it as is.")
@click.option("-o", "--output-dir", type=click.Path(path_type=Path), help="Write here [default: beside SUBS].")
@click.option("--force", is_flag=True, help="Translate again, and regenerate edited files (after a backup).")
@_resegment
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but warnings and errors.")
def translate(subs: Path, quiet: bool, **options: Any) -> None:
    """Translate subtitles made elsewhere (SRT, WebVTT, ASS; UTF-8, UTF-16 or GBK): writes the
    other language's SRT and the bilingual SRT, with the same cues and times. No video needed."""
    from bivideo import flow

    _echo(flow.translate_subtitles(subs, Settings(**options), Reporter(quiet)), quiet)


@main.command()
@click.argument("video", type=click.Path(path_type=Path))
@click.option("--srt", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="Burn this SRT (bilingual, or one language; also WebVTT or ASS) instead of VIDEO's subtitle files.")
@click.option("-o", "--output-dir", type=click.Path(path_type=Path),
              help="Where VIDEO's subtitle files are and the videos go [default: beside VIDEO].")
@look_options
@encode_options
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but warnings and errors.")
def burn(video: Path, srt: Path | None, quiet: bool, **options: Any) -> None:
    """Burn VIDEO's (possibly hand-edited) subtitle files into it; nothing is transcribed or
    translated again."""
    from bivideo import flow

    _echo(flow.run("burn", video, Settings(**options), Reporter(quiet), srt), quiet)


@main.command()
@click.argument("video", type=click.Path(path_type=Path))
@click.option("--at", "times", help="Comma-separated times (seconds, m:ss or h:mm:ss) [default: cue midpoints].")
@click.option("--serve", is_flag=True, help="Then serve `bivideo studio` on these subtitles (prints its address).")
@click.option("-o", "--output-dir", type=click.Path(path_type=Path),
              help="Where VIDEO's subtitle files are [default: beside VIDEO].")
@look_options
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but warnings and errors.")
def preview(video: Path, times: str | None, serve: bool, quiet: bool, **options: Any) -> None:
    """Stills of VIDEO with its subtitles as they will be burned (each platform's frame), and a
    contact sheet."""
    from bivideo import flow
    from bivideo import preview as stills

    reporter = Reporter(quiet)
    at = stills.parse_times(times) if times else None
    settings = Settings(**options)
    job = flow.on_disk(video, settings, reporter)
    _echo(stills.stills(job, settings, reporter, at), quiet)
    if serve:  # the studio, on the subtitles just shown
        _studio(video, settings, reporter, port=0, open_browser=False)


@main.command()
@click.argument("video", type=click.Path(path_type=Path))
@make_options
@look_options
@encode_options
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port on 127.0.0.1 [default: a free one].")
@click.option("--no-browser", is_flag=True, help="Print the address; don't open a browser.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but warnings, errors and the address.")
def studio(video: Path, port: int, no_browser: bool, quiet: bool, **options: Any) -> None:
    """Review VIDEO's subtitles in the browser: waveform, the burned look, edit, re-translate,
    save and burn. Makes the subtitles first when there are none. Runs until Ctrl-C."""
    _studio(video, Settings(**options), Reporter(quiet), port, not no_browser)


def _studio(video: Path, settings: Settings, reporter: Reporter, port: int, open_browser: bool) -> None:
    from bivideo import studio, studio_http

    session = studio.open_studio(video, settings, reporter)
    studio_http.serve(session, port, lambda url: click.echo(f"studio: {url}"), open_browser)


@main.command()
@click.argument("folder", type=click.Path(path_type=Path))
@make_options
@look_options
@encode_options
@click.option("--recursive", is_flag=True, help="Also the videos in subfolders.")
@click.option("--jobs", type=click.IntRange(min=1),
              help="Videos in flight: while one is transcribed, up to N-1 others are burned "
                   f"[default: {min(2, os.cpu_count() or 1)}; with --cluster, as many as the cluster takes].")
@click.option("--retry-failed", is_flag=True, help="Run again only the videos that failed last time.")
@click.option("--preview", "mode", flag_value="preview", help="Only the subtitle files (and stills), for review.")
@click.option("--burn", "mode", flag_value="burn", help="Burn from the (edited) subtitle files of a --preview run.")
@click.option("--cluster", metavar="ray|ray://HOST:PORT",
              help="Spread the videos over a Ray cluster: RAY_ADDRESS, the one started on this machine, or a new "
                   "local one (needs `pip install 'bivideo[cluster]'`; files on storage every node sees).")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but warnings and errors.")
def batch(folder: Path, quiet: bool, recursive: bool, jobs: int | None, retry_failed: bool, mode: Mode | None,
          cluster: str | None, **options: Any) -> None:
    """Every video in FOLDER: resumable, and one failure stops nothing."""
    from bivideo import batch as batches

    if cluster:
        from bivideo import cluster as clusters

        clusters.address(cluster)  # a malformed --cluster, or no Ray: said before anything is looked at
        clusters.require_ray()
    reporter = Reporter(quiet)
    jobs = jobs or (0 if cluster else min(2, os.cpu_count() or 1))
    run = batches.Batch(folder, Settings(**options), batches.Options(mode or "make", recursive, jobs, retry_failed),
                        reporter)
    try:
        items = run.run(clusters.runners(cluster) if cluster else None)
    finally:
        report = run.report()
    if not quiet:
        batches.print_summary(items, report)
    failed = sum(item.status == "failed" for item in items)
    if failed:
        raise BivideoError(f"{failed} of {len(items)} files failed (see {report.name}; --retry-failed runs them again)")


@main.command()
@click.option("--translator", type=click.Choice(translators.NAMES), default=DEFAULTS.translator, show_default=True)
@click.option("--translator-url", help="Server URL for libre (LibreTranslate) or the OpenAI-compatible ones.")
def doctor(translator: str, translator_url: str | None) -> None:
    """Check ffmpeg, libass, the CJK font, the models and the translator."""
    from bivideo import doctor as doctor_checks  # its HTTP client only when it runs

    checks = doctor_checks.run(translator, translator_url)
    for check in checks:
        mark = "ok  " if check.ok else ("FAIL" if check.required else "warn")
        click.echo(f"{mark}  {check.name:<11} {check.detail}")
    if not all(c.ok for c in checks if c.required):
        sys.exit(1)


@main.command()
@click.argument("subtitles", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--min", "minimum", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Exit non-zero when the share of fully compliant cues is below this.")
@click.option("--fps", type=click.FloatRange(min=1), default=standard.DEFAULT_FPS, show_default=True,
              help="Frame rate for the two-frame gap rule.")
@click.option("--audio", "media", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="Also check the cues against the speech in this video or recording.")
@click.option("--max-lead", type=click.FloatRange(min=0), default=standard.MAX_LEAD, show_default=True,
              help="With --audio: exit non-zero when a cue appears this many seconds before its speech.")
def check(subtitles: Path, as_json: bool, minimum: float, fps: float, media: Path | None, max_lead: float) -> None:
    """Report how SUBTITLES (an SRT, WebVTT or ASS file) meets the subtitle standard, rule by rule, and with
    --audio how well its cues follow the speech."""
    import json

    from rich.console import Console

    from bivideo import srtio, standard_report

    report = standard_report.score(srtio.read_any(subtitles), fps)
    synced = standard_report.sync_report(subtitles, media) if media else None
    if as_json:
        click.echo(json.dumps(report.to_json() | ({"sync": synced.to_json()} if synced else {}),
                              ensure_ascii=False, indent=2))
    else:
        Console().print(standard_report.table(report, subtitles.name))
        for problem in report.problems[:20]:
            click.echo(f"  cue {problem['cue']} at {problem['start']:.2f}s: {', '.join(problem['rules'])}")
        if len(report.problems) > 20:
            click.echo(f"  … and {len(report.problems) - 20} more (--json lists all)")
        if synced:
            from bivideo import sync_check

            click.echo("\n".join(sync_check.summary(synced, subtitles.name, max_lead)))
    if report.compliance < minimum:
        raise BivideoError(f"{report.compliance:.1%} of cues compliant, below --min {minimum:.1%}", path=subtitles)
    if synced and synced.worst_lead > max_lead:
        raise BivideoError(f"{subtitles.name}: a cue appears {synced.worst_lead:.2f} s before its speech, "
                           f"more than --max-lead {max_lead:g} s")


@main.command()
@click.option("--prepare", "prepare", metavar="NAME",
              help="Make model NAME ready offline for both engines (assemble, verify, convert); "
                   "auto: the one --model auto prefers here.")
def models(prepare: str | None) -> None:
    """List the Whisper models and whether each works offline, and what --model auto picks here."""
    from bivideo import model_choice

    machine = model_choice.here(DEFAULTS.engine)
    if prepare:
        name = model_choice.preferred(machine)[0] if prepare == model_choice.AUTO else prepare
        ct2, checkpoint = weights.prepare(name)
        click.echo(f"{name}: faster-whisper {ct2}\n{name}: openai-whisper {checkpoint}")
        return
    rows = weights.status()
    for row in rows:
        click.echo(f"{row.name:<9} {'offline' if row.offline else 'online ':<8} {row.source}")
    choice = model_choice.choose(machine, {row.name for row in rows if row.offline})
    then = f"; when {choice.better} can't be downloaded: {choice.model}" if choice.better else ""
    click.echo(f"{model_choice.AUTO:<9} -> {choice.better or choice.model}: {model_choice.preferred(machine)[1]} "
               f"({machine.describe()}){then}")
