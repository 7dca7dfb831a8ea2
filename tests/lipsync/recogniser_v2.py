"""A tiny ArcFace-shaped recogniser (1x3x112x112 -> 512, ONNX at the antelopev2 pack's
``glintr100.onnx``) with hand-set weights, so identity embeddings mean something on the
synthetic avatars: the aligned face pooled to 4 x 4 colours, each colour centred, then
spread to 512-d by a fixed random projection (which keeps cosines). A random-initialised
head scores every picture alike (cosine 0.999), which could not show a cut to another
person."""

from __future__ import annotations

from pathlib import Path


def build_recogniser(pack_folder: Path) -> Path:
    """Write ``glintr100.onnx`` into ``pack_folder/models/antelopev2``; returns its path."""
    import torch
    from torch import nn

    class Recogniser(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.pool = nn.AdaptiveAvgPool2d(4)
            self.project = nn.Linear(48, 512, bias=False)
            generator = torch.Generator().manual_seed(0)
            with torch.no_grad():
                self.project.weight.copy_(torch.randn(512, 48, generator=generator))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            cells = self.pool(x)  # (n, 3, 4, 4)
            # each colour centred over the face: the pattern counts, not the overall tint
            cells = cells - cells.mean(dim=(2, 3), keepdim=True)
            return self.project(cells.flatten(1))

    target = Path(pack_folder) / "models" / "antelopev2" / "glintr100.onnx"
    target.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        Recogniser().eval(),
        (torch.zeros(1, 3, 112, 112),),
        str(target),
        input_names=["input.1"],
        output_names=["out0"],
        dynamic_axes={"input.1": {0: "n"}},
        opset_version=17,
        dynamo=False,
    )
    return target
