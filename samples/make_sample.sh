#!/usr/bin/env bash
# Regenerates samples/talk.mp4: a short English "talk" spoken by espeak-ng over an ffmpeg
# test pattern. Needs espeak-ng and ffmpeg (make install sets both up).
set -euo pipefail
cd "$(dirname "$0")"
text="Welcome to this short talk. Today we will turn a recorded video into subtitles in two languages. \
First, the speech is transcribed. Then every sentence is translated. \
Finally, both languages are burned into the picture, ready to share."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
espeak-ng -v en-us -s 150 -w "$tmp/speech.wav" "$text"
ffmpeg -hide_banner -v error -y \
  -f lavfi -i "testsrc2=size=1280x720:rate=25" -i "$tmp/speech.wav" \
  -vf "eq=brightness=-0.25:saturation=0.5" -shortest \
  -c:v libx264 -preset veryslow -crf 32 -pix_fmt yuv420p -c:a aac -b:a 64k -ac 1 \
  -movflags +faststart talk.mp4
echo "wrote samples/talk.mp4"
