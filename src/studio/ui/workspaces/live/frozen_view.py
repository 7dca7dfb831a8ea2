"""The strip under Live's output that shows the frozen frame and what can be done with it.

Before anything is frozen it says how to freeze; after, it shows the frame small, when it was
frozen and with what settings, the Save... and Send to Canvas buttons, and a note of what
became of it (saved, sent).
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from studio.ui.widgets.icons import set_icon
from studio.ui.widgets.images import to_pixmap

THUMB_SIDE = 88
EMPTY = "Freeze a frame (F) to keep it here, then save it or send it to the Canvas."


class FrozenStrip(QFrame):
    """Thumbnail, caption and the frozen frame's buttons (enabled once a frame is frozen)."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("frozenStrip")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.thumbnail = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.thumbnail.setFixedSize(THUMB_SIDE, THUMB_SIDE)
        self.thumbnail.setStyleSheet("background: #202020; color: #bbbbbb; border-radius: 4px;")
        self.thumbnail.setText("Nothing\nfrozen")
        self.caption = QLabel(EMPTY, wordWrap=True)
        self.note = QLabel(wordWrap=True)  # what became of the frame (saved, sent)
        self.save_button = QPushButton("&Save…", enabled=False)
        self.save_button.setToolTip("Save the frozen frame as PNG, JPEG or WebP (Ctrl+E)")
        set_icon(self.save_button, "mdi6.content-save")
        self.canvas_button = QPushButton("Send to &Canvas", enabled=False)
        self.canvas_button.setToolTip("Open the frozen frame in the Canvas to edit it")
        set_icon(self.canvas_button, "mdi6.image-edit")
        words = QVBoxLayout()
        words.addWidget(self.caption)
        words.addWidget(self.note)
        words.addStretch(1)
        buttons = QVBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.canvas_button)
        buttons.addStretch(1)
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 6, 6, 6)
        row.addWidget(self.thumbnail)
        row.addLayout(words, 1)
        row.addLayout(buttons)

    def show_frame(self, image: Any, settings: dict[str, Any]) -> None:
        """``image`` (PIL) was frozen with ``settings`` (the frame's LiveSettings values)."""
        self.thumbnail.setPixmap(to_pixmap(image, THUMB_SIDE))
        prompt = str(settings.get("prompt") or "").strip()
        what = f"“{prompt[:60]}”" if prompt else "no prompt"
        self.caption.setText(
            f"Frozen at {time.strftime('%H:%M:%S')}: {image.width} x {image.height},"
            f" seed {settings.get('seed', 0)}, {what}."
        )
        self.note.setText("Save it, or send it to the Canvas to edit it.")
        self.canvas_button.setEnabled(True)
