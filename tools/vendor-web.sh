#!/usr/bin/env bash
# Vendors the studio page's browser libraries into bivideo/web/vendor/ from the npm registry
# (npm pack, pinned versions, sha256-checked tarballs): no CDN, no bundler, no node_modules.
#
#   wavesurfer.js  -> bivideo/web/vendor/wavesurfer/  wavesurfer.esm.js, plugins/regions.esm.js, LICENSE
#   jassub         -> bivideo/web/vendor/jassub/      jassub.js, jassub-worker.js (patched: no new Function), jassub-worker.wasm,
#                                                      LICENSE, COPYRIGHT (libass, freetype, harfbuzz, fribidi, ...)
#
# Both wavesurfer files are self-contained ES modules (no imports). jassub.js is jassub's own
# unbundled ES module (src/jassub.js) with its one import, `import 'rvfc-polyfill'`, removed: that
# package is GPL-3.0 (dist/jassub.es.js inlines it), it only adds HTMLVideoElement.requestVideoFrameCallback
# where a browser lacks it (Chromium has it natively since 83, Firefox since 132, Safari since 15.4),
# and without it JASSUB falls back by itself to rendering on timeupdate. Not taken: jassub-worker.wasm.js
# (asm.js fallback for browsers without WebAssembly: the worker eval()s it, which script-src 'self' forbids),
# jassub-worker-modern.wasm (SIMD build, optional), default.woff2 (Liberation Sans, JASSUB's default
# 'liberation sans' font: the page passes its own fonts). VERSIONS.txt records all this.
#
# Usage: tools/vendor-web.sh   (or: make vendor). Rerunning replaces the two folders whole.
set -euo pipefail

WAVESURFER_VERSION=7.12.12
WAVESURFER_SHA256=00c3cf03060fac88f9b4c2164b1961402c72113b6f59cfc7860c29125188fb70
JASSUB_VERSION=1.8.8
JASSUB_SHA256=92668938b5f8ca47b26a1641a6dddf649a8c3e72a27bc54c4e7da3558c38b1bf

root=$(cd "$(dirname "$0")/.." && pwd)
vendor=$root/bivideo/web/vendor
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# fetch NAME VERSION SHA256: packs NAME@VERSION into $tmp, checks its sha256, unpacks it into $tmp/NAME
fetch() {
    local name=$1 version=$2 sha=$3 tgz got
    tgz=$(cd "$tmp" && npm pack --silent "$name@$version" | tail -n 1)
    got=$(sha256sum "$tmp/$tgz" | cut -d' ' -f1)
    if [ "$got" != "$sha" ]; then
        echo "vendor-web: $name@$version: sha256 $got, expected $sha" >&2
        exit 1
    fi
    mkdir -p "$tmp/$name"
    tar -xzf "$tmp/$tgz" -C "$tmp/$name" --strip-components=1
}

fetch wavesurfer.js "$WAVESURFER_VERSION" "$WAVESURFER_SHA256"
fetch jassub "$JASSUB_VERSION" "$JASSUB_SHA256"

rm -rf "$vendor/wavesurfer" "$vendor/jassub"
mkdir -p "$vendor/wavesurfer/plugins" "$vendor/jassub"

ws=$tmp/wavesurfer.js
install -m 0644 "$ws/dist/wavesurfer.esm.js" "$vendor/wavesurfer/wavesurfer.esm.js"
install -m 0644 "$ws/dist/plugins/regions.esm.js" "$vendor/wavesurfer/plugins/regions.esm.js"
install -m 0644 "$ws/LICENSE" "$vendor/wavesurfer/LICENSE"

js=$tmp/jassub
# jassub-worker.js, with embind's one `new Function(...)` made a closure. Emscripten's embind builds
# each C++ method's JS wrapper as source text and compiles it with new Function (the worker was built
# without -sDYNAMIC_EXECUTION=0), which script-src without 'unsafe-eval' forbids: the worker dies in
# init, and JASSUB never fires 'ready' nor 'error'. Er(argTypes, isClassMethod, returns, isAsync) below
# returns the same wrapper factory as the generated source did (same arguments, same calls, same order).
python3 - "$js/dist/jassub-worker.js" "$vendor/jassub/jassub-worker.js" <<'PY'
import re, sys
src = open(sys.argv[1], encoding="utf-8").read()
start = "function Er(t,r,n,s){var o=xe(t),l=t.length-2,u=[],f=[\"fn\"];"
end = "new Function(S,m)}"
i = src.find(start)
j = src.find(end, i) + len(end)
if i < 0 or j < len(end) or src.count(start) != 1 or src.count("new Function(") != 1:
    sys.exit("vendor-web: jassub-worker.js: embind's new Function invoker not found as expected")
closure = (
    "function Er(t,r,n,s){var o=xe(t),l=t.length-2;"
    "return function(hn,tbe,invoker,fn,runDestructors,fromRetWire,toClassParamWire,...w){"
    "var toArg=w.slice(0,l),dtor=w.slice(l);"
    "return function(...a){var d=o?[]:null,c=[fn],tw,aw=new Array(l);"
    "if(r){tw=toClassParamWire(d,this);c.push(tw)}"
    "for(var p=0;p<l;++p){aw[p]=toArg[p](d,a[p]);c.push(aw[p])}"
    "var rv=invoker(...c);"
    "if(o)runDestructors(d);else for(var p=r?1:2,k=0;p<t.length;++p)"
    "t[p].destructorFunction!==null&&dtor[k++](p===1?tw:aw[p-2]);"
    "if(n)return fromRetWire(rv)}}}"
)
out = src[:i] + closure + src[j:]
if re.search(r"(?<![\w$.])Function\s*\(", out):
    sys.exit("vendor-web: jassub-worker.js: a Function constructor remains")
open(sys.argv[2], "w", encoding="utf-8").write(out)
PY
chmod 0644 "$vendor/jassub/jassub-worker.js"
install -m 0644 "$js/dist/jassub-worker.wasm" "$vendor/jassub/jassub-worker.wasm"
install -m 0644 "$js/LICENSE" "$vendor/jassub/LICENSE"
install -m 0644 "$js/dist/COPYRIGHT" "$vendor/jassub/COPYRIGHT"
if [ "$(head -n 1 "$js/src/jassub.js" | tr -d '\r')" != "import 'rvfc-polyfill'" ]; then
    echo "vendor-web: jassub $JASSUB_VERSION src/jassub.js does not start with import 'rvfc-polyfill'" >&2
    exit 1
fi
{
    echo "// jassub $JASSUB_VERSION src/jassub.js (MIT, see LICENSE), vendored by tools/vendor-web.sh:"
    echo "// its first line, import 'rvfc-polyfill', removed (see ../VERSIONS.txt)."
    tail -n +2 "$js/src/jassub.js" | tr -d '\r'
} >"$vendor/jassub/jassub.js"
chmod 0644 "$vendor/jassub/jassub.js"

# the browser loads these as they are: not one import or export-from may remain
for f in "$vendor/wavesurfer/wavesurfer.esm.js" "$vendor/wavesurfer/plugins/regions.esm.js" "$vendor/jassub/jassub.js"; do
    if grep -nE "^[[:space:]]*import[[:space:]]|import[[:space:]]*\(|[}*][[:space:]]*from[[:space:]]*['\"]" "$f"; then
        echo "vendor-web: $f still imports a module" >&2
        exit 1
    fi
done

files() { (cd "$vendor/$1" && find . -type f -printf '%P\n' | sort | while read -r f; do
    printf '    %s  %s bytes  sha256 %s\n' "$1/$f" "$(stat -c %s "$f")" "$(sha256sum "$f" | cut -d' ' -f1)"
done); }

cat >"$vendor/VERSIONS.txt" <<EOF
Browser libraries of the studio page, written by tools/vendor-web.sh (make vendor) from the npm registry.
Do not edit these files by hand: change the pinned versions in tools/vendor-web.sh and rerun it.

wavesurfer.js $WAVESURFER_VERSION
  licence: BSD-3-Clause (wavesurfer/LICENSE)
  tarball: wavesurfer.js-$WAVESURFER_VERSION.tgz sha256 $WAVESURFER_SHA256
  taken, unchanged: dist/wavesurfer.esm.js -> wavesurfer.esm.js, dist/plugins/regions.esm.js -> plugins/regions.esm.js, LICENSE
  files:
$(files wavesurfer)

jassub $JASSUB_VERSION
  licence: MIT for jassub itself (jassub/LICENSE); the wasm build holds libass (ISC), FreeType (FTL),
    HarfBuzz (MIT-Modern-Variant), FriBidi (LGPL-2.1-or-later), fontconfig, expat, brotli, ... each
    listed in jassub/COPYRIGHT. npm's licence field: LGPL-2.1-or-later AND (FTL OR GPL-2.0-or-later)
    AND MIT AND MIT-Modern-Variant AND ISC AND NTP AND Zlib AND BSL-1.0
  tarball: jassub-$JASSUB_VERSION.tgz sha256 $JASSUB_SHA256
  taken, unchanged: dist/jassub-worker.wasm, LICENSE, dist/COPYRIGHT
  taken, changed: dist/jassub-worker.js -> jassub-worker.js: embind's invoker factory, function Er,
    which built each wrapper's source text and compiled it with new Function (so the worker needed
    script-src 'unsafe-eval', and without it died in init with neither 'ready' nor 'error'), replaced
    by a closure that makes the same calls in the same order. The worker still holds one eval: of
    jassub-worker.wasm.js, reached only where WebAssembly is missing (not vendored, see below).
  taken, changed: src/jassub.js -> jassub.js: line 1, import 'rvfc-polyfill', removed (two comment
    lines put in its place), and its CRLF line ends made LF. rvfc-polyfill (GPL-3.0) is jassub's one
    dependency and its only import; it defines HTMLVideoElement.prototype.requestVideoFrameCallback
    where missing, which Chromium 83+, Firefox 132+ and Safari 15.4+ have natively; without it JASSUB
    renders on timeupdate instead.
    So no import map and no bundler: jassub.js has no imports at all.
  not taken: dist/jassub.es.js (the same code bundled with rvfc-polyfill inlined), dist/jassub.umd.js,
    dist/jassub-worker.wasm.js (asm.js fallback without WebAssembly, eval()ed by the worker: needs
    'unsafe-eval'), dist/jassub-worker-modern.wasm (SIMD build, used only if modernWasmUrl is given),
    dist/default.woff2 (Liberation Sans, JASSUB's default availableFonts: the page gives its own fonts)
  files:
$(files jassub)
EOF

echo "vendor-web: wrote $(find "$vendor" -type f | wc -l) files, $(du -sk "$vendor" | cut -f1) KiB, into ${vendor#"$root"/}"
