"""Whisper-tiny audio tokens per video frame, computed lazily so rendering can start early.

MuseTalk's windowing: the encoder's input embedding and its 4 layer outputs are stacked (5 x
384 per 20 ms step, 50 steps a second); frame ``f`` at 25 fps sees steps ``2f-4 .. 2f+5`` (two
frames of context each side, zero-padded at the ends), flattened to 50 tokens of 384.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from studio.pipelines.lipsync.models import AudioEncoder

RATE = 16000
STEPS_PER_SECOND = 50
SEGMENT = 30 * RATE  # Whisper's fixed input window
PAD_LEFT = 2
PAD_RIGHT = 2
TOKENS = 2 * (PAD_LEFT + PAD_RIGHT + 1)  # steps per frame window (x 5 layers = 50 tokens)


class AudioFeatureStream:
    """Encodes 30 s Whisper segments only when a frame window first needs them."""

    def __init__(self, encoder: AudioEncoder, mono16k: np.ndarray, fps: int = 25) -> None:
        self.encoder = encoder
        self.audio = mono16k
        self.fps = fps
        self.step = STEPS_PER_SECOND / fps
        self.frames = math.floor(len(mono16k) / RATE * fps)
        self.steps = math.floor(len(mono16k) / RATE * STEPS_PER_SECOND)
        self._segments: list[Any] = []  # each (steps, layers, 384) on the device

    def _encoded_steps(self) -> int:
        return sum(int(s.shape[0]) for s in self._segments)

    def _ensure(self, steps: int) -> None:
        import torch

        steps = min(steps, self.steps)
        while self._encoded_steps() < steps:
            start = len(self._segments) * SEGMENT
            piece = self.audio[start : start + SEGMENT]
            mel = self.encoder.extractor(
                piece, sampling_rate=RATE, return_tensors="pt", device=self.encoder.device
            ).input_features
            with torch.inference_mode():
                out = self.encoder.encoder(
                    mel.to(self.encoder.device, self.encoder.dtype), output_hidden_states=True
                )
            stacked = torch.stack(out.hidden_states, dim=2)[0]  # (1500, layers, 384)
            self._segments.append(stacked)

    def window(self, start: int, end: int) -> Any:
        """Tokens for frames ``start..end-1``: (n, 10 * layers, 384)."""
        import torch

        first = math.floor(start * self.step) - PAD_LEFT * 2
        last = math.floor((end - 1) * self.step) - PAD_LEFT * 2 + TOKENS
        self._ensure(last)
        feats = torch.cat(self._segments, dim=0)[: self.steps]
        layers, dim = feats.shape[1], feats.shape[2]
        lo, hi = max(first, 0), min(last, self.steps)
        span = torch.zeros(last - first, layers, dim, device=feats.device, dtype=feats.dtype)
        if hi > lo:
            span[lo - first : hi - first] = feats[lo:hi]
        windows = []
        for f in range(start, end):
            off = math.floor(f * self.step) - PAD_LEFT * 2 - first
            windows.append(span[off : off + TOKENS].reshape(TOKENS * layers, dim))
        return torch.stack(windows)
