"""The `bivideo` command line (click). Errors the user can act on print one line and exit
non-zero; settings default from bivideo.toml (working folder, then the user config dir)."""

from __future__ import annotations

import os
import signal
import sys
import tomllib
from pathlib import Path

import click
from platformdirs import user_config_dir

from bivideo import __version__, models as model_registry
from bivideo import transcribe, translators
from bivideo.errors import BivideoError
from bivideo.ui import Reporter


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
            if isinstance(config.get("glossary"), str):
                config["glossary"] = str(path.parent / Path(config["glossary"]).expanduser())
            return config
    return {}


def _stop(signum, frame):
    """SIGTERM stops like Ctrl-C: temporary files are removed, finished stages kept."""
    raise KeyboardInterrupt


class Group(click.Group):
    def invoke(self, ctx):
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
            if os.environ.get("BIVIDEO_DEBUG"):
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
    ctx.default_map = {"make": config, "batch": config,
                       "doctor": {k: v for k, v in config.items() if k.startswith("translator")}}


# The options of `make`, which `batch` takes too (applied by @make_options).
MAKE_OPTIONS = (
    click.option("--from", "source", type=click.Choice(["en", "zh", "auto"]), default="auto", show_default=True,
                 help="Spoken language."),
    click.option("--to", "target", type=click.Choice(["en", "zh"]), help="Subtitle language added [default: the other one]."),
    click.option("--engine", type=click.Choice(transcribe.ENGINES), default="faster-whisper", show_default=True),
    click.option("--model", default=model_registry.DEFAULT, show_default=True,
                 help=f"{' | '.join(model_registry.NAMES)} | PATH"),
    click.option("--translator", type=click.Choice(translators.NAMES), default="google", show_default=True,
                 help="whisper: Whisper's own translate task, offline, into English only."),
    click.option("--translator-url", help="Server URL for libre (LibreTranslate) or openai (any OpenAI-compatible API)."),
    click.option("--glossary", type=click.Path(path_type=Path, dir_okay=False),
                 help="TSV of terms: English<TAB>Chinese, or a term twice to keep it as is."),
    click.option("-o", "--output-dir", type=click.Path(path_type=Path), help="Write outputs here [default: beside the input]."),
    click.option("--force", is_flag=True, help="Redo every stage instead of reusing earlier results."),
    click.option("-q", "--quiet", is_flag=True, help="Print nothing but warnings and errors."),
)


def make_options(command):
    for option in reversed(MAKE_OPTIONS):
        command = option(command)
    return command


@main.command()
@click.argument("video", type=click.Path(path_type=Path))
@make_options
def make(video: Path, quiet: bool, **options) -> None:
    """Transcribe, translate and burn bilingual subtitles into VIDEO."""
    from bivideo import pipeline  # loaded when needed: `batch` with nothing to do never is
    reporter = Reporter(quiet)
    for path in pipeline.make(video, pipeline.Settings(**options), reporter):
        if quiet:
            continue
        click.echo(str(path))


@main.command()
@click.argument("folder", type=click.Path(path_type=Path))
@make_options
@click.option("--recursive", is_flag=True, help="Also the videos in subfolders.")
@click.option("--jobs", type=click.IntRange(min=1), default=min(2, os.cpu_count() or 1), show_default=True,
              help="Videos in flight: while one is transcribed, up to N-1 others are burned.")
@click.option("--retry-failed", is_flag=True, help="Run again only the videos that failed last time.")
@click.option("--preview", "mode", flag_value="preview", help="Only the subtitle files (and stills), for review.")
@click.option("--burn", "mode", flag_value="burn", help="Burn from the (edited) subtitle files of a --preview run.")
def batch(folder: Path, quiet: bool, recursive: bool, jobs: int, retry_failed: bool, mode: str | None,
          **options) -> None:
    """Every video in FOLDER: resumable, and one failure stops nothing."""
    from bivideo import batch as batches

    reporter = Reporter(quiet)
    run = batches.Batch(folder, options, batches.Options(
        mode or "make", recursive, jobs, retry_failed), reporter)
    try:
        items = run.run()
    finally:
        report = run.report()
    if not quiet:
        batches.print_summary(items, report)
    failed = sum(item.status == "failed" for item in items)
    if failed:
        raise BivideoError(f"{failed} of {len(items)} files failed (see {report.name}; --retry-failed runs them again)")


@main.command()
@click.option("--translator", type=click.Choice(translators.NAMES), default="google", show_default=True)
@click.option("--translator-url", help="Server URL for libre (LibreTranslate) or openai (any OpenAI-compatible API).")
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
@click.option("--fps", type=click.FloatRange(min=1), default=25.0, show_default=True,
              help="Frame rate for the two-frame gap rule.")
def check(subtitles: Path, as_json: bool, minimum: float, fps: float) -> None:
    """Report how SUBTITLES (an SRT) meets the subtitle standard, rule by rule."""
    import json

    from rich.console import Console

    from bivideo import check as standard_check

    report = standard_check.score(standard_check.entries_from_srt(subtitles), fps)
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        Console().print(standard_check.table(report, subtitles.name))
        for problem in report.problems[:20]:
            click.echo(f"  cue {problem['cue']} at {problem['start']:.2f}s: {', '.join(problem['rules'])}")
        if len(report.problems) > 20:
            click.echo(f"  … and {len(report.problems) - 20} more (--json lists all)")
    if report.compliance < minimum:
        raise BivideoError(f"{subtitles.name}: {report.compliance:.1%} of cues compliant, below --min {minimum:.1%}")


@main.command()
@click.option("--prepare", "prepare", metavar="NAME",
              help="Make model NAME ready offline for both engines (assemble, verify, convert).")
def models(prepare: str | None) -> None:
    """List the Whisper models and whether each works offline."""
    if prepare:
        ct2, checkpoint = model_registry.prepare(prepare)
        click.echo(f"{prepare}: faster-whisper {ct2}\n{prepare}: openai-whisper {checkpoint}")
        return
    for row in model_registry.status():
        click.echo(f"{row.name:<9} {'offline' if row.offline else 'online ':<8} {row.source}")
