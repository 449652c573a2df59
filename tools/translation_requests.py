"""What the translate stage sends for one recording: its cues and every request, captured by a
local LibreTranslate-compatible server on 127.0.0.1. `--code DIR` runs another checkout of
bivideo (e.g. an older commit) the same way, for a before/after comparison.

    python tools/translation_requests.py ../shared/media/en/en08_jfk_inaugural_ask_not.flac
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from support import REPO

from tests.conftest import make_video
from tests.scoring import read_srt
from tests.servers import libre_server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("recording", type=Path)
    parser.add_argument("--code", type=Path, default=REPO, help="bivideo checkout to run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, libre_server() as (url, server):
        video = make_video(args.recording.resolve(), Path(tmp) / "talk.mp4")
        env = {**os.environ, "PYTHONPATH": str(args.code.resolve()), "BIVIDEO_CACHE": str(Path(tmp) / "cache")}
        subprocess.run([sys.executable, "-m", "bivideo", "make", str(video), "--model", "base", "--translator", "libre",
                        "--translator-url", url, "-q"], env=env, cwd=tmp, check=True)  # cwd: not this checkout
        cues = read_srt(Path(tmp) / "talk.en.srt")
        print(f"{len(cues)} cues:")
        for cue in cues:
            print(f"  {cue.start.total_seconds():6.2f}-{cue.end.total_seconds():6.2f}  {cue.content}")
        print(f"{len(server.requests)} requests:")
        for request in server.requests:
            print(f"  {request['source']}->{request['target']}: {request['q']}")


if __name__ == "__main__":
    main()
