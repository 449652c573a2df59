#!/usr/bin/env bash
# System packages bivideo needs: ffmpeg with libass, a CJK font, and for the tests and the
# sample tesseract (with Simplified Chinese), espeak-ng, chromium (the preview page's
# test) and pocketsphinx-testdata (real English speech with transcripts: the tests' English
# when ../shared/media is absent), and iproute2 and util-linux (`ip`, `unshare`: the tests run in
# a network namespace with only loopback, tools/loopback-only). Installs them with apt-get where that is possible;
# elsewhere it says what to run and fails if the essentials are missing.
set -u
apt_packages="ffmpeg fonts-noto-cjk tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-eng espeak-ng fontconfig chromium pocketsphinx-testdata iproute2 util-linux"

have_ffmpeg() { command -v ffmpeg >/dev/null && ffmpeg -hide_banner -filters 2>/dev/null | grep -q ' subtitles '; }
have_font() { command -v fc-list >/dev/null && fc-list :lang=zh-cn family | grep -q .; }
have_ocr() { command -v tesseract >/dev/null && tesseract --list-langs 2>/dev/null | grep -qx chi_sim; }
have_speech() { [ -f /usr/share/pocketsphinx/test/data/librivox/transcription ]; }
have_all() { have_ffmpeg && have_font && have_ocr && command -v espeak-ng >/dev/null && [ -x /usr/bin/chromium ] && have_speech \
  && command -v ip >/dev/null && command -v unshare >/dev/null; }

if have_all; then
  echo "system packages: ffmpeg (libass), CJK font, tesseract chi_sim, espeak-ng, chromium, pocketsphinx-testdata present"
  exit 0
fi

if command -v apt-get >/dev/null; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo -n"
  if $sudo true 2>/dev/null; then
    echo "installing system packages: $apt_packages"
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $apt_packages >/dev/null
  fi
fi

if have_all; then
  echo "system packages installed"
  exit 0
fi
cat >&2 <<MSG
Some system packages are missing. Install them, then run make install again:
  Debian/Ubuntu: sudo apt-get install $apt_packages
  macOS:         brew install ffmpeg tesseract tesseract-lang espeak-ng font-noto-sans-cjk chromium
  Windows:       winget install Gyan.FFmpeg UB-Mannheim.TesseractOCR; install Noto Sans CJK SC
MSG
have_ffmpeg && have_font || exit 1   # without these bivideo cannot burn Chinese at all
echo "(tesseract/espeak-ng/chromium/pocketsphinx-testdata are only needed by the tests and samples/make_sample.sh)" >&2
