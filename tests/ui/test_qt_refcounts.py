"""The installed PySide6 must not leak references to True/None on signal emits.

PySide6 6.12.0 drops a reference to ``True`` on every ``Signal.emit`` and one to ``None`` on
every ``processEvents``; on Python < 3.12 (no immortal objects) the interpreter aborts with
"bool_dealloc" once the count reaches zero, after a few thousand Live frames. pyproject.toml
excludes that release; this test fails if a broken build comes back.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QCoreApplication, QObject, Signal


class _Emitter(QObject):
    fired = Signal(object)


def test_emits_and_event_processing_keep_true_and_none_alive(qapp):
    emitter = _Emitter()
    received: list[object] = []
    emitter.fired.connect(received.append)
    before_true, before_none = sys.getrefcount(True), sys.getrefcount(None)
    for i in range(200):
        emitter.fired.emit(i)
        QCoreApplication.processEvents()
    assert len(received) == 200
    # A leak shows as a steady loss of one reference per emit; allow small noise.
    assert sys.getrefcount(True) - before_true > -20
    assert sys.getrefcount(None) - before_none > -20
