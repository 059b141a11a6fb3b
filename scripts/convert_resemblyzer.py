"""Convert Resemblyzer's ``pretrained.pt`` (GE2E speaker encoder) to a plain ``.npz`` without torch.

Resemblyzer 0.1.4 (Apache-2.0) ships its weights in torch's *legacy* (pre-1.6, non-zip) save format:
five pickles in a row (magic number, protocol version, system info, the object with persistent storage
ids, the list of storage keys), then each storage's raw bytes preceded by its element count. This reads
that format with ``pickle`` alone and writes the 3-layer LSTM + linear weights as float32 arrays, so
Earshot never needs torch at run time.

    pip download --no-deps resemblyzer==0.1.4 && unzip Resemblyzer-0.1.4-py3-none-any.whl
    python scripts/convert_resemblyzer.py resemblyzer/pretrained.pt models/speaker/ge2e_resemblyzer.npz
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import pickle
import struct
import sys
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ByteStorage": np.uint8,
}
SAFE_BUILTINS: dict[str, type] = {"set": set, "dict": dict, "list": list, "tuple": tuple}


class _Storage:
    """A storage placeholder: its dtype and key, filled with data after the main pickle."""

    def __init__(self, dtype: type, key: str, size: int) -> None:
        self.dtype, self.key, self.size = dtype, key, size
        self.data: np.ndarray | None = None


class _LazyTensor:
    """A tensor view over a storage, materialised once the storages are read."""

    def __init__(
        self, storage: _Storage, offset: int, size: tuple[int, ...], stride: tuple[int, ...]
    ) -> None:
        self.storage, self.offset, self.shape, self.stride = storage, offset, tuple(size), tuple(stride)

    def numpy(self) -> np.ndarray:
        """The tensor's values as a contiguous array."""
        assert self.storage.data is not None
        item = self.storage.data.itemsize
        return np.lib.stride_tricks.as_strided(
            self.storage.data[self.offset :], self.shape, [s * item for s in self.stride]
        ).copy()


def _rebuild_tensor(storage: _Storage, offset: int, size: Any, stride: Any, *_: Any) -> _LazyTensor:
    return _LazyTensor(storage, offset, size, stride)


class _Unpickler(pickle.Unpickler):
    def __init__(self, f: BinaryIO, storages: dict[str, _Storage]) -> None:
        super().__init__(f)
        self.storages = storages

    def find_class(self, module: str, name: str) -> Any:
        if module == "torch._utils" and name in ("_rebuild_tensor", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if module == "torch" and name in DTYPES:
            return DTYPES[name]
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        if module in ("builtins", "__builtin__") and name in SAFE_BUILTINS:
            return SAFE_BUILTINS[name]
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")

    def persistent_load(self, pid: Any) -> Any:
        kind, dtype, key, _location, size, view = pid
        if kind != "storage" or view is not None:
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r}")
        if key not in self.storages:
            self.storages[key] = _Storage(dtype, key, size)
        return self.storages[key]


def _plain(obj: Any) -> Any:
    if isinstance(obj, _LazyTensor):
        return obj.numpy()
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    return obj


def load_legacy_torch(path: Path) -> Any:
    """Read a legacy-format torch file into plain Python/numpy objects (no code execution)."""
    storages: dict[str, _Storage] = {}
    with path.open("rb") as f:
        if pickle.load(f) != LEGACY_MAGIC:
            raise ValueError(f"{path} is not a legacy torch file")
        pickle.load(f)  # protocol version
        sys_info = pickle.load(f)
        if not sys_info.get("little_endian", True):
            raise ValueError("big-endian torch files are not supported")
        obj = _Unpickler(f, storages).load()
        for key in pickle.load(f):
            storage = storages[key]
            (count,) = struct.unpack("<q", f.read(8))
            storage.data = np.frombuffer(
                f.read(count * np.dtype(storage.dtype).itemsize), dtype=storage.dtype
            )
    return _plain(obj)


def convert(src: Path, dst: Path) -> dict[str, tuple[int, ...]]:
    """Write the encoder's weights (``model_state`` minus training-only entries) as float32 arrays."""
    state = load_legacy_torch(src)["model_state"]
    arrays = {
        k.replace(".", "_"): np.asarray(v, dtype=np.float32)
        for k, v in state.items()
        if k.startswith(("lstm.", "linear."))
    }
    dst.parent.mkdir(parents=True, exist_ok=True)
    np.savez(dst, **arrays)
    return {k: v.shape for k, v in arrays.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src", type=Path, help="resemblyzer/pretrained.pt")
    parser.add_argument("dst", type=Path, help="output .npz")
    args = parser.parse_args(argv)
    for name, shape in convert(args.src, args.dst).items():
        print(f"{name:28s} {shape}")
    print(f"sha256 {hashlib.sha256(args.dst.read_bytes()).hexdigest()}  {args.dst}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
