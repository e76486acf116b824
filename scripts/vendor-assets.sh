#!/usr/bin/env bash
# Re-vendor the front-end assets under src/clientvault/static/vendor/.
#
# MAINTAINER TOOL ONLY. It is never run at build, install, test or run time:
# the product runs on networks without internet, so every asset it serves is
# committed to the repository and no page may reference a CDN.
#
# It fetches the pinned package tarballs from the npm registry configured for
# this machine (`npm pack`, in a temporary directory outside the repo), checks
# each tarball against its pinned sha512 integrity, and copies only the
# distribution files (plus licences) into static/vendor/, stripping
# sourceMappingURL comments: the .map files are not shipped, and a dangling
# reference makes browsers 404 and Django's ManifestStaticFilesStorage fail
# at collectstatic.
#
# Usage:
#   scripts/vendor-assets.sh           # (re)write static/vendor/*/ from the pins below
#   scripts/vendor-assets.sh --check   # rebuild into a temp dir and diff against the tree
#
# To update a package: change its VERSION and INTEGRITY below (INTEGRITY is
# `npm view NAME@VERSION dist.integrity`), run this script, review the diff,
# and update the table in src/clientvault/static/vendor/VENDOR.md.
set -euo pipefail

# ---- pins -----------------------------------------------------------------
HTMX_VERSION=2.0.11
HTMX_INTEGRITY='sha512-Thx/WtpeOQqSrqBCw/A1cwGJGg4UrVa3+sW0GmrM3p4gJgO89ecH4qtbnyzDDWFvBTqjnIMCgELTNt636dtamA=='

BOOTSTRAP_VERSION=5.3.9
BOOTSTRAP_INTEGRITY='sha512-20cU0rcfw8WdxtVbmfU+xT2EjvVTw9Ror/h1Qvd7DXCujRg8OO9mdBCsmTHdJFf3BuadmBNJtgIuUXsBqSkk/w=='
# Popper is compiled into bootstrap.bundle.min.js; only its licence is copied.
POPPER_VERSION=2.11.8
POPPER_INTEGRITY='sha512-P1st0aksCrn9sGZhp8GMYwBnQsbvAWsZAX44oXNNvLHGqAOcoVxmjZiohstwQ7SqKnbR47akdNi+uleWD8+g6A=='

ICONS_VERSION=1.13.2
ICONS_INTEGRITY='sha512-fAU1Ly3dH7hwRg+CB8EZ0Vl0fF80zgXHeUVJyfUOKzoURr+TbwISbCW5tKUoQLERaWYG2emTCybcPbD96hdD1A=='

ECHARTS_VERSION=5.6.0
ECHARTS_INTEGRITY='sha512-oTbVTsXfKuEhxftHqL5xprgLoc0k7uScAwtryCgWF6hPYFLRwOUHiFmHGCBKP5NPFNkDVopOieyUqYGH8Fa3kA=='
# ZRender (echarts' pinned dependency) is compiled into echarts.min.js; only its licence is copied.
ZRENDER_VERSION=5.6.1
ZRENDER_INTEGRITY='sha512-OFXkDJKcrlx5su2XbzJvj/34Q3m6PvyCZkVPHGYpcCJ52ek4U/ymZyfuV1nKE23AyBJ51E/6Yr0mhZ7xGTO4ag=='
# ---------------------------------------------------------------------------

MODE="write"
case "${1:-}" in
  "") ;;
  --check) MODE="check" ;;
  -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

for tool in npm node tar diff; do
  command -v "$tool" >/dev/null || { echo "error: '$tool' is required" >&2; exit 1; }
done

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENDOR_DIR="$REPO_ROOT/src/clientvault/static/vendor"
# Only these subdirectories are owned (and replaced) by this script; VENDOR.md is hand-written.
PACKAGES=(htmx bootstrap bootstrap-icons echarts)

WORK="$(mktemp -d "${TMPDIR:-/tmp}/vendor-assets.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# fetch NAME VERSION INTEGRITY -> prints the directory holding the unpacked package/
fetch() {
  local name="$1" version="$2" integrity="$3"
  local dir="$WORK/pkg/${name//\//_}"
  mkdir -p "$dir"
  (cd "$dir" && npm pack --silent --ignore-scripts --cache "$WORK/npm-cache" \
      "$name@$version" >/dev/null)
  local tgz
  tgz="$(find "$dir" -maxdepth 1 -name '*.tgz' -print -quit)"
  [[ -n "$tgz" ]] || { echo "error: npm pack produced no tarball for $name@$version" >&2; exit 1; }
  local actual
  actual="sha512-$(node -e '
    const h = require("crypto").createHash("sha512");
    h.update(require("fs").readFileSync(process.argv[1]));
    process.stdout.write(h.digest("base64"));' "$tgz")"
  if [[ "$actual" != "$integrity" ]]; then
    echo "error: integrity mismatch for $name@$version" >&2
    echo "  expected $integrity" >&2
    echo "  got      $actual" >&2
    exit 1
  fi
  tar -xzf "$tgz" -C "$dir"
  local got_version
  got_version="$(node -p 'require(process.argv[1]).version' "$dir/package/package.json")"
  [[ "$got_version" == "$version" ]] || { echo "error: $name is $got_version, wanted $version" >&2; exit 1; }
  printf '%s\n' "$dir/package"
}

# copy_stripped SRC DST: copy, dropping whole-line sourceMappingURL comments.
copy_stripped() {
  mkdir -p "$(dirname "$2")"
  sed -E '/^[[:space:]]*(\/\/|\/\*)[#@][[:space:]]*sourceMappingURL=/d' "$1" > "$2"
}

copy_plain() {
  mkdir -p "$(dirname "$2")"
  cp "$1" "$2"
}

OUT="$WORK/out"
mkdir -p "$OUT"

echo "fetching pinned packages..." >&2
HTMX="$(fetch htmx.org "$HTMX_VERSION" "$HTMX_INTEGRITY")"
BOOTSTRAP="$(fetch bootstrap "$BOOTSTRAP_VERSION" "$BOOTSTRAP_INTEGRITY")"
POPPER="$(fetch @popperjs/core "$POPPER_VERSION" "$POPPER_INTEGRITY")"
ICONS="$(fetch bootstrap-icons "$ICONS_VERSION" "$ICONS_INTEGRITY")"
ECHARTS="$(fetch echarts "$ECHARTS_VERSION" "$ECHARTS_INTEGRITY")"
ZRENDER="$(fetch zrender "$ZRENDER_VERSION" "$ZRENDER_INTEGRITY")"

# htmx.org
copy_stripped "$HTMX/dist/htmx.min.js"                 "$OUT/htmx/htmx.min.js"
copy_plain    "$HTMX/LICENSE"                          "$OUT/htmx/LICENSE"

# bootstrap (+ Popper licence, bundled in bootstrap.bundle.min.js)
copy_stripped "$BOOTSTRAP/dist/css/bootstrap.min.css"     "$OUT/bootstrap/bootstrap.min.css"
copy_stripped "$BOOTSTRAP/dist/js/bootstrap.bundle.min.js" "$OUT/bootstrap/bootstrap.bundle.min.js"
copy_plain    "$BOOTSTRAP/LICENSE"                        "$OUT/bootstrap/LICENSE"
copy_plain    "$POPPER/LICENSE.md"                        "$OUT/bootstrap/LICENSE-popper.md"

# bootstrap-icons (the css loads fonts/bootstrap-icons.woff2|woff relative to itself)
copy_stripped "$ICONS/font/bootstrap-icons.min.css"      "$OUT/bootstrap-icons/bootstrap-icons.min.css"
copy_plain    "$ICONS/font/fonts/bootstrap-icons.woff2"  "$OUT/bootstrap-icons/fonts/bootstrap-icons.woff2"
copy_plain    "$ICONS/font/fonts/bootstrap-icons.woff"   "$OUT/bootstrap-icons/fonts/bootstrap-icons.woff"
copy_plain    "$ICONS/LICENSE"                           "$OUT/bootstrap-icons/LICENSE"

# echarts (+ NOTICE, d3 and ZRender licences for code compiled into echarts.min.js)
copy_stripped "$ECHARTS/dist/echarts.min.js"           "$OUT/echarts/echarts.min.js"
copy_plain    "$ECHARTS/LICENSE"                       "$OUT/echarts/LICENSE"
copy_plain    "$ECHARTS/NOTICE"                        "$OUT/echarts/NOTICE"
copy_plain    "$ECHARTS/licenses/LICENSE-d3"           "$OUT/echarts/LICENSE-d3"
copy_plain    "$ZRENDER/LICENSE"                       "$OUT/echarts/LICENSE-zrender"

# ---- sanity checks on what is about to be vendored ------------------------
fail=0
if grep -rlE '(//|/\*)[#@][[:space:]]*sourceMappingURL=' "$OUT"; then
  echo "error: sourceMappingURL left in the files above" >&2; fail=1
fi
# Every url(...) in CSS must be a data: URI or a relative path (no remote fonts/images).
bad_urls="$(grep -rhoE 'url\([^)]*\)' --include='*.css' "$OUT" \
  | grep -vE "^url\([\"']?data:" \
  | grep -E "^url\([\"']?([a-zA-Z][a-zA-Z0-9+.-]*:|//|/)" || true)"
if [[ -n "$bad_urls" ]]; then
  echo "error: CSS references non-relative URLs:" >&2; echo "$bad_urls" >&2; fail=1
fi
if grep -rhE '@import' --include='*.css' "$OUT"; then
  echo "error: CSS @import found" >&2; fail=1
fi
# Each relative url() in CSS must resolve to a vendored file.
while IFS= read -r css; do
  while IFS= read -r ref; do
    path="${ref%%[?#]*}"
    [[ -f "$(dirname "$css")/$path" ]] || { echo "error: $css references missing $path" >&2; fail=1; }
  done < <(grep -oE 'url\([^)]*\)' "$css" | sed -E "s/^url\([\"']?//; s/[\"']?\)$//" | grep -v '^data:' || true)
done < <(find "$OUT" -name '*.css')
[[ "$fail" == 0 ]] || exit 1

# ---- write or check --------------------------------------------------------
if [[ "$MODE" == check ]]; then
  status=0
  for p in "${PACKAGES[@]}"; do
    diff -r "$OUT/$p" "$VENDOR_DIR/$p" || status=1
  done
  if [[ "$status" == 0 ]]; then
    echo "ok: $VENDOR_DIR matches the pinned packages" >&2
  else
    echo "error: $VENDOR_DIR differs from the pinned packages (run $0)" >&2
  fi
  exit "$status"
fi

mkdir -p "$VENDOR_DIR"
for p in "${PACKAGES[@]}"; do
  rm -rf "${VENDOR_DIR:?}/$p"
  cp -R "$OUT/$p" "$VENDOR_DIR/$p"
done
# Predictable permissions regardless of the maintainer's umask.
find "${PACKAGES[@]/#/$VENDOR_DIR/}" -type d -exec chmod 755 {} +
find "${PACKAGES[@]/#/$VENDOR_DIR/}" -type f -exec chmod 644 {} +

echo "vendored into $VENDOR_DIR:" >&2
(cd "$VENDOR_DIR" && find "${PACKAGES[@]}" -type f | LC_ALL=C sort) >&2
du -sh "$VENDOR_DIR" >&2
