#!/bin/sh
# Container entrypoint for Earshot (CPU and GPU images).
#
#   (no arguments)        earshot serve            (settings from EARSHOT_* variables)
#   --flag ...            earshot serve --flag ...
#   serve|models|doctor|bench ...   earshot <subcommand> ...
#   anything else         run it as a command (a shell, a one-off script)
#
# With EARSHOT_VERIFY_ON_START=1 the model files are re-hashed (`earshot models verify`) before
# serving; a failed check stops the container instead of serving a corrupt model.
set -eu

EARSHOT_BIN="${EARSHOT_BIN:-earshot}"

if [ "$#" -eq 0 ]; then
  set -- serve
fi
case "$1" in
  -*) set -- serve "$@" ;;
esac

case "$1" in
  serve)
    if [ "${EARSHOT_VERIFY_ON_START:-0}" = "1" ]; then
      "$EARSHOT_BIN" models verify
    fi
    exec "$EARSHOT_BIN" "$@"
    ;;
  models|doctor|bench)
    exec "$EARSHOT_BIN" "$@"
    ;;
  *)
    exec "$@"
    ;;
esac
