"""The welcome dialog of the first start: the card, what each workspace can do on it, and the
models each one needs (sizes, licences), with a checkbox per workspace to download them.

Downloads are jobs on the downloads service, so they go on in the background after the dialog
closes. Free disk space is checked before anything is queued. Closing the dialog in any way
("Download selected", "Later", Escape) sets ``Settings.welcomed``; Help -> Welcome opens it again.
"""

from __future__ import annotations

import html
import logging
import shutil
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from studio.core.device import DeviceInfo
from studio.core.errors import DownloadFailed, format_size
from studio.core.settings import Settings
from studio.models.catalogue import LicenceNote, workspace_licence
from studio.models.download import DownloadRequest, bytes_missing, check_disk_space
from studio.models.readiness import Fit, WorkspaceFit, workspace_fit, workspace_models
from studio.models.store import ModelStore
from studio.services.inference import InferenceService
from studio.services.jobs import Job, Priority
from studio.ui.widgets.theme import set_tone, tone_colour

log = logging.getLogger(__name__)

# Tones (theme.py), not fixed colours: each one readable on the dark and the light window.
FIT_TONES = {
    Fit.FULL: "success",
    Fit.OFFLOAD: "warning",
    Fit.PARTLY: "warning",
    Fit.TOO_SMALL: "error",
    Fit.CPU: "muted",
}
# Mnemonics: C, H, L, V for the workspaces; D and T for the buttons.
CHECK_LABELS = {
    "canvas": "&Canvas",
    "headshots": "&Headshots",
    "lipsync": "&Lipsync",
    "live": "Li&ve",
}


class WorkspaceCard(QFrame):
    """One workspace: a checkbox, what it can do on the card, its models and its licence."""

    def __init__(self, workspace: str, store: ModelStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace, self.store = workspace, store
        self.model_ids = workspace_models(workspace, store.catalogue)
        self.setObjectName(f"welcome-{workspace}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        name = store.catalogue.workspaces[workspace].name
        self.check = QCheckBox(CHECK_LABELS.get(workspace, name))
        self.check.setObjectName(f"download-{workspace}")
        self.check.setStyleSheet("font-weight: bold; font-size: 14px;")
        self.size_label = QLabel()
        self.size_label.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.fit_label = _wrapping_label()
        self.models_label = _wrapping_label()
        self.licence_label = _wrapping_label()
        self.licence_label.setStyleSheet("font-size: 11px;")
        top = QHBoxLayout()
        top.addWidget(self.check)
        top.addStretch(1)
        top.addWidget(self.size_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.setSpacing(2)
        layout.addLayout(top)
        for label in (self.fit_label, self.models_label, self.licence_label):
            layout.addWidget(label)
        self._show_licence()
        self.refresh()

    def refresh(self) -> None:
        """Installed models and the bytes still to download (after a download finished)."""
        missing = bytes_missing(self.store, self.model_ids)
        self.size_label.setText(
            f"{format_size(missing)} to download" if missing else "all models installed"
        )
        parts = []
        for model_id in self.model_ids:
            entry = self.store.catalogue.get(model_id)
            notes = [format_size(entry.size_bytes)]
            if not entry.commercial_use:
                notes.append(_toned("error", _unbroken("non-commercial")))
            if self.store.is_installed(model_id):
                notes.append("installed")
            # one unbreakable run per model: lines wrap between models only
            parts.append(
                f'<span style="white-space:nowrap">{_unbroken(entry.name)} '
                f"({', '.join(notes)})</span>"
            )
        self.models_label.setText("<b>Models:</b> " + " · ".join(parts))

    def show_fit(self, fit: WorkspaceFit | None) -> None:
        if fit is None:
            self.fit_label.setText(_toned("muted", "Looking for a graphics card…"))
            return
        label = _toned(FIT_TONES[fit.fit], f"{html.escape(fit.label)}.", tag="b")
        self.fit_label.setText(f"{label} {html.escape(fit.detail)}")

    def _show_licence(self) -> None:
        """The workspace's licence summary, about the models this card downloads (optional
        variants with other terms are listed in the Models dialog)."""
        summary = workspace_licence(self.workspace, self.store.catalogue)
        here = set(self.model_ids)

        def listed(notes: tuple[LicenceNote, ...]) -> str:
            return "; ".join(
                f"<i>{html.escape(n.name)}</i>: {html.escape(n.reason.rstrip('.'))}"
                for n in notes
                if n.model_id in here
            )

        restricted = listed((*summary.restricted_by, *summary.optional_restricted))
        conditions = listed(summary.conditions)
        if restricted:
            text = f"{_toned('error', 'Not for commercial use.')} {restricted}."
        else:
            text = "Commercial use allowed."
        if conditions:
            text += f" Conditions: {conditions}."
        self.licence_label.setText(f"<b>Licence:</b> {text}")


def _toned(tone: str, markup: str, tag: str = "span") -> str:
    """``markup`` in the tone's colour of the theme shown now (rich text: no palette reaches it)."""
    return f'<{tag} style="color:{tone_colour(tone).name()}">{markup}</{tag}>'


def _unbroken(text: str) -> str:
    """Escaped, with non-breaking hyphens: Qt breaks lines after a hyphen even in ``nowrap``."""
    return html.escape(text).replace("-", "\u2011")


def _wrapping_label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    return label


class WelcomeDialog(QDialog):
    """Shown on the first start (``Settings.welcomed`` false) and from Help -> Welcome.

    ``device`` may be None while the GPU thread is still looking; :meth:`set_device` fills
    it in. Downloads go to ``downloads`` (the app's download service).
    """

    def __init__(
        self,
        settings: Settings,
        store: ModelStore,
        downloads: InferenceService,
        device: DeviceInfo | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Welcome to Studio")
        self.resize(900, 600)
        self.settings, self.store, self.downloads = settings, store, downloads
        self.started: list[Job] = []
        title = QLabel("Welcome to Studio")
        title.setStyleSheet("font-size: 20px; font-weight: bold;")
        self.device_label = QLabel()
        self.device_label.setObjectName("welcomeDevice")
        self.device_label.setWordWrap(True)
        self.device_label.setStyleSheet("font-size: 14px;")
        intro = QLabel(
            "Tick the workspaces whose models you want: they download in the background while "
            "you look around. Tools → Models lists every model."
        )
        intro.setWordWrap(True)
        self.cards = {
            ws: WorkspaceCard(ws, store) for ws in store.catalogue.workspaces if ws in CHECK_LABELS
        }
        cards = QWidget()
        column = QVBoxLayout(cards)
        column.setContentsMargins(0, 0, 4, 0)
        column.setSpacing(6)
        for card in self.cards.values():
            column.addWidget(card)
            card.check.toggled.connect(lambda _on: self._update_totals())
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(cards)
        self.totals_label = QLabel()
        self.totals_label.setObjectName("welcomeTotals")
        self.message = QLabel()
        self.message.setObjectName("welcomeMessage")
        self.message.setWordWrap(True)
        set_tone(self.message, "error")
        self.message.hide()
        self.download_button = QPushButton("&Download selected")
        self.download_button.setDefault(True)
        self.later_button = QPushButton("La&ter")
        # lambdas: clicked(bool) must not land in a parameter
        self.download_button.clicked.connect(lambda: self.download_selected())
        self.later_button.clicked.connect(lambda: self.reject())
        buttons = QHBoxLayout()
        buttons.addWidget(self.totals_label, 1)
        buttons.addWidget(self.download_button)
        buttons.addWidget(self.later_button)
        header = QHBoxLayout()
        header.addWidget(title)
        header.addSpacing(16)
        header.addWidget(self.device_label, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(intro)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.set_device(device)
        self._update_totals()

    # ---- device --------------------------------------------------------------------------
    def set_device(self, info: DeviceInfo | None) -> None:
        """Show the card (or that there is none) and what each workspace can do on it."""
        if info is None:
            self.device_label.setText("Looking for a graphics card…")
        elif info.is_cuda:
            memory = f", {format_size(info.total_bytes)} of memory" if info.total_bytes else ""
            self.device_label.setText(f"<b>Graphics card:</b> {html.escape(info.name)}{memory}")
        elif self.settings.device == "auto":
            self.device_label.setText(
                _toned("error", "No NVIDIA GPU found: jobs run on the CPU, slowly.", tag="b")
            )
        else:  # the user chose the CPU (or a GPU that is not there) in Settings
            self.device_label.setText(_toned("error", html.escape(info.warning), tag="b"))
        card_bytes = info.total_bytes if info is not None and info.is_cuda else None
        for ws, card in self.cards.items():
            fit = None if info is None else workspace_fit(ws, self.store.catalogue, card_bytes)
            card.show_fit(fit)

    # ---- downloads -----------------------------------------------------------------------
    def selected_models(self) -> list[str]:
        """Models of the ticked workspaces that are neither installed nor downloading."""
        active = {
            getattr(j.request, "model_id", None)
            for j in self.downloads.jobs.values()
            if not j.state.done
        }
        ids = [i for card in self.cards.values() if card.check.isChecked() for i in card.model_ids]
        return [i for i in dict.fromkeys(ids) if not self.store.is_installed(i) and i not in active]

    def download_selected(self) -> list[Job]:
        """Check the free space, queue the downloads and close; or say why not and stay."""
        if not any(card.check.isChecked() for card in self.cards.values()):
            return self._say("Tick the workspaces to download first, or choose Later.")
        ids = self.selected_models()
        try:
            check_disk_space(self.store, ids)
        except DownloadFailed as exc:
            log.info("welcome: not downloading %s: %s", ids, exc.detail)
            return self._say(exc.user_message)
        for model_id in ids:
            entry = self.store.catalogue.get(model_id)
            self.started.append(
                self.downloads.submit(
                    "models.download",
                    DownloadRequest(model_id),
                    Priority.NORMAL,
                    f"Download {entry.name} ({format_size(entry.size_bytes)})",
                )
            )
        log.info("welcome: downloading %s", ids)
        self.accept()
        return self.started

    def _say(self, text: str) -> list[Job]:
        self.message.setText(text)
        self.message.show()
        return []

    def _update_totals(self) -> None:
        needed = bytes_missing(self.store, self.selected_models())
        free = _free_bytes(self.store.root)
        where = f"{format_size(free)} free in {self.store.root}" if free is not None else ""
        if not any(card.check.isChecked() for card in self.cards.values()):
            what = "Nothing selected"
        else:
            what = (
                f"Selected: {format_size(needed)} to download"
                if needed
                else "Nothing left to download"
            )
        self.totals_label.setText(f"{what} ({where})" if where else what)
        self.message.hide()

    def done(self, result: int) -> None:
        """Any way of closing counts as seen: the dialog is not shown on the next start."""
        self.settings.welcomed = True
        try:
            self.settings.save()
        except OSError as exc:  # a read-only config folder: the dialog simply shows again
            log.warning("could not save the settings: %s", exc)
        super().done(result)


def _free_bytes(folder: Path) -> int | None:
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent  # the store may not exist yet
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None
