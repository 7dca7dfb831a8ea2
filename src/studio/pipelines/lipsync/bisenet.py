"""Face-parsing BiSeNet (ResNet-18 context path), laid out like the published ``79999_iter.pth``.

Module names follow the checkpoint's keys (``cp.resnet.*``, ``cp.arm16.*``, ``ffm.*``,
``conv_out.*``), so the state dict loads with ``strict=True``. ``base`` is the stem width (64 in
the published model); tests build the same graph narrower. Only the main output is computed.
Class ids (CelebAMask-HQ): 1 skin, 2/3 brows, 4/5 eyes, 10 nose, 11 mouth, 12/13 lips, 17 hair.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

LOWER_FACE_CLASSES = (1, 10, 11, 12, 13)


class ConvBNReLU(nn.Module):
    def __init__(self, cin: int, cout: int, ks: int = 3, padding: int = 1) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, ks, 1, padding, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)))


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        short = x if self.downsample is None else self.downsample(x)
        return F.relu(out + short)


def _stage(cin: int, cout: int, stride: int) -> nn.Sequential:
    return nn.Sequential(BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1))


class Resnet18(nn.Module):
    def __init__(self, base: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, base, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(base)
        self.layer1 = _stage(base, base, 1)
        self.layer2 = _stage(base, base * 2, 2)
        self.layer3 = _stage(base * 2, base * 4, 2)
        self.layer4 = _stage(base * 4, base * 8, 2)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 3, 2, 1)
        x = self.layer1(x)
        feat8 = self.layer2(x)
        feat16 = self.layer3(feat8)
        return feat8, feat16, self.layer4(feat16)


class AttentionRefinement(nn.Module):
    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv = ConvBNReLU(cin, cout)
        self.conv_atten = nn.Conv2d(cout, cout, 1, bias=False)
        self.bn_atten = nn.BatchNorm2d(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feat = self.conv(x)
        atten = torch.sigmoid(self.bn_atten(self.conv_atten(F.adaptive_avg_pool2d(feat, 1))))
        return feat * atten


class ContextPath(nn.Module):
    def __init__(self, base: int) -> None:
        super().__init__()
        mid = base * 2
        self.resnet = Resnet18(base)
        self.arm16 = AttentionRefinement(base * 4, mid)
        self.arm32 = AttentionRefinement(base * 8, mid)
        self.conv_head32 = ConvBNReLU(mid, mid)
        self.conv_head16 = ConvBNReLU(mid, mid)
        self.conv_avg = ConvBNReLU(base * 8, mid, ks=1, padding=0)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        feat8, feat16, feat32 = self.resnet(x)
        avg = self.conv_avg(F.adaptive_avg_pool2d(feat32, 1))
        feat32_sum = self.arm32(feat32) + F.interpolate(avg, feat32.shape[2:], mode="nearest")
        up32 = self.conv_head32(F.interpolate(feat32_sum, feat16.shape[2:], mode="nearest"))
        feat16_sum = self.arm16(feat16) + up32
        up16 = self.conv_head16(F.interpolate(feat16_sum, feat8.shape[2:], mode="nearest"))
        return feat8, up16


class FeatureFusion(nn.Module):
    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.convblk = ConvBNReLU(cin, cout, ks=1, padding=0)
        self.conv1 = nn.Conv2d(cout, cout // 4, 1, bias=False)
        self.conv2 = nn.Conv2d(cout // 4, cout, 1, bias=False)

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        feat = self.convblk(torch.cat([a, b], dim=1))
        atten = torch.sigmoid(self.conv2(F.relu(self.conv1(F.adaptive_avg_pool2d(feat, 1)))))
        return feat * atten + feat


class Output(nn.Module):
    def __init__(self, cin: int, mid: int, n_classes: int) -> None:
        super().__init__()
        self.conv = ConvBNReLU(cin, mid)
        self.conv_out = nn.Conv2d(mid, n_classes, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv_out(self.conv(x))


class BiSeNet(nn.Module):
    """Returns per-pixel class logits at the input resolution."""

    def __init__(self, n_classes: int = 19, base: int = 64) -> None:
        super().__init__()
        self.cp = ContextPath(base)
        self.ffm = FeatureFusion(base * 4, base * 4)
        self.conv_out = Output(base * 4, base * 4, n_classes)
        # Auxiliary heads exist in the checkpoint (training only); kept so strict loading works.
        self.conv_out16 = Output(base * 2, base, n_classes)
        self.conv_out32 = Output(base * 2, base, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feat8, cp8 = self.cp(x)
        out = self.conv_out(self.ffm(feat8, cp8))
        return F.interpolate(out, x.shape[2:], mode="bilinear", align_corners=True)


def bisenet_from_state_dict(state: dict[str, torch.Tensor]) -> BiSeNet:
    """Build the network whose widths match ``state`` and load it strictly."""
    base = int(state["cp.resnet.conv1.weight"].shape[0])
    n_classes = int(state["conv_out.conv_out.weight"].shape[0])
    net = BiSeNet(n_classes, base)
    net.load_state_dict(state, strict=True)
    return net.eval()
