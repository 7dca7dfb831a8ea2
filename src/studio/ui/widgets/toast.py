"""A toast: a short message over the bottom of a window that goes away by itself
("Saved to ~/Pictures/x.png"). It takes no clicks and no focus, so work goes on under it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QLabel, QWidget

TOAST_MS = 3000
MARGIN = 24  # px above the bottom edge of the host
MAX_WIDTH = 720  # px: longer messages wrap


class Toast(QLabel):
    """A child of ``host`` drawn above its other children, centred near its bottom edge."""

    def __init__(self, host: QWidget, duration_ms: int = TOAST_MS) -> None:
        super().__init__(host)
        self.setObjectName("toast")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # Dark glass in either theme: the message must stand out from the page under it.
        self.setStyleSheet(
            "QLabel#toast { background: rgba(32, 32, 36, 230); color: #f4f4f4;"
            " border: 1px solid rgba(255, 255, 255, 40); border-radius: 8px;"
            " padding: 8px 16px; }"
        )
        self.timer = QTimer(self, singleShot=True, interval=duration_ms, timeout=self.hide)
        host.installEventFilter(self)  # follow the host's size
        self.hide()

    def show_message(self, text: str) -> None:
        """Show ``text`` for the toast's duration (a new message restarts the clock)."""
        self.setText(text)
        self._place()
        self.show()
        self.raise_()
        self.timer.start()

    def _place(self) -> None:
        host = self.parentWidget()
        # One line when it fits (a wrapping label's own hint wraps early), else wrapped.
        margins = self.contentsMargins()
        natural = self.fontMetrics().horizontalAdvance(self.text()) + margins.left()
        natural += margins.right() + 2 * self.frameWidth() + 8
        width = max(120, min(natural, MAX_WIDTH, host.width() - 2 * MARGIN))
        self.setFixedWidth(width)
        self.setFixedHeight(max(self.heightForWidth(width), self.minimumSizeHint().height()))
        self.move((host.width() - width) // 2, host.height() - self.height() - MARGIN)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Resize and self.isVisible():
            self._place()
        return False
