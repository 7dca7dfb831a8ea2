"""The Headshots workspace: a four-tab wizard over the ``headshots.*`` jobs.

1. *Selfies*: add 1-3 photos (button or drag and drop); each is checked at once by a
   ``headshots.check`` job, showing its aligned face crop or why it was rejected.
2. *Style*: a style pack, picked from a list or its illustrative thumbnail (or a custom
   prompt), images, size, refine top-k, upscale; the licences of the face models (some
   non-commercial) are shown here.
3. *Generate & review*: one ``headshots.pack`` job; the gallery fills as drafts arrive, with
   progress, ETA and cancel; then best first with scores, flagged ones hidden unless asked;
   re-roll one image (``headshots.reroll``). Past packs can be reopened.
4. *Export*: the chosen images as JPEG (q95) or WebP with metadata and JSON sidecars.

Widgets never call pipelines: they submit jobs and follow the service's signals by job id.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from studio.core import paths
from studio.core.errors import StudioError
from studio.pipelines.headshots import packs
from studio.pipelines.headshots.pack import PackRequest
from studio.pipelines.headshots.reroll import RerollRequest
from studio.pipelines.headshots.selfies import SelfieRequest
from studio.pipelines.headshots.styles import list_styles
from studio.services.jobs import Priority

FACE_MODELS = ("antelopev2", "instantid", "realvisxl-v4-lightning", "taesdxl")
THUMB = 104  # style thumbnail size in the Style step (the files are 256 px)


def pixmap(image: Any, side: int = 160) -> QPixmap:
    """A PIL image or RGB array as a scaled pixmap."""
    import numpy as np

    arr = np.ascontiguousarray(
        np.asarray(image.convert("RGB") if hasattr(image, "convert") else image, dtype=np.uint8)[
            :, :, :3
        ]
    )
    h, w = arr.shape[:2]
    qimg = QImage(arr.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
    return QPixmap.fromImage(qimg).scaled(
        side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )


def packs_root() -> Path:
    return paths.headshot_packs_dir()


class HeadshotsWorkspace(QWidget):
    def __init__(self, service: Any, store: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service, self.store = service, store
        self.selfies: list[Path] = []
        self.accepted: dict[str, bool] = {}
        self.pack: packs.Pack | None = None
        self._jobs: dict[str, str] = {}  # job id -> what it is ("check", "pack", "reroll")
        self.setAcceptDrops(True)
        self.tabs = QTabWidget()
        self.tabs.addTab(self._selfie_tab(), "1 Selfies")
        self.tabs.addTab(self._style_tab(), "2 Style")
        self.tabs.addTab(self._gallery_tab(), "3 Generate && review")
        self.tabs.addTab(self._export_tab(), "4 Export")
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        service.job_progress.connect(self._on_progress)
        service.job_finished.connect(self._on_finished)
        service.job_failed.connect(self._on_failed)
        service.job_cancelled.connect(self._on_cancelled)
        self.refresh_past_packs()

    # ---- tabs ------------------------------------------------------------------------------
    def _selfie_tab(self) -> QWidget:
        page = QWidget()
        self.add_button = QPushButton("Add selfies…", clicked=self._browse)
        self.clear_button = QPushButton("Clear", clicked=self.clear_selfies)
        self.selfie_list = QListWidget(viewMode=QListWidget.ViewMode.IconMode)
        self.selfie_list.setIconSize(QSize(150, 150))
        self.selfie_status = QLabel("Add 1-3 clear, well-lit photos with only your face.")
        self.selfie_status.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.add_button)
        row.addWidget(self.clear_button)
        row.addStretch()
        lay = QVBoxLayout(page)
        lay.addLayout(row)
        lay.addWidget(self.selfie_list)
        lay.addWidget(self.selfie_status)
        return page

    def _style_tab(self) -> QWidget:
        page = QWidget()
        self.style_box = QComboBox()
        # the same choices as thumbnails (illustrations of each style, not generated samples)
        self.style_list = QListWidget(viewMode=QListWidget.ViewMode.IconMode)
        self.style_list.setIconSize(QSize(THUMB, THUMB))
        self.style_list.setGridSize(QSize(THUMB + 24, THUMB + 26))
        self.style_list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.style_list.setMovement(QListWidget.Movement.Static)
        self.style_list.setUniformItemSizes(True)
        self.style_list.setMinimumHeight(THUMB + 40)
        try:
            for style in list_styles():
                self.style_box.addItem(style.name, style.id)
                self._add_style_item(style.name, style.id, style.thumbnail)
        except StudioError as exc:
            self.style_box.addItem(f"(styles unreadable: {exc.user_message})", "")
            self._add_style_item("(styles unreadable)", "", None)
        self.style_box.addItem("Custom prompt", "custom")
        self._add_style_item("Custom prompt", "custom", None)
        self.style_box.currentIndexChanged.connect(self.style_list.setCurrentRow)
        self.style_list.currentRowChanged.connect(
            lambda row: row >= 0 and self.style_box.setCurrentIndex(row)
        )
        self.style_list.setCurrentRow(self.style_box.currentIndex())
        self.prompt = QLineEdit(placeholderText="extra details, e.g. 'red tie, glasses'")
        self.count = QSpinBox(minimum=1, maximum=200, value=40)
        self.size = QSpinBox(minimum=64, maximum=2048, singleStep=64, value=1024)
        self.top_k = QSpinBox(minimum=0, maximum=50, value=10)
        self.upscale = QCheckBox("Upscale x4", checked=True)
        form = QFormLayout(page)
        form.addRow("Style", self.style_box)
        form.addRow("", self.style_list)
        form.addRow("Prompt", self.prompt)
        form.addRow("Images", self.count)
        form.addRow("Size (px)", self.size)
        form.addRow("Refine best", self.top_k)
        form.addRow("", self.upscale)
        self.licences = QLabel(self._licence_text())
        self.licences.setWordWrap(True)
        form.addRow("Models", self.licences)
        return page

    def _add_style_item(self, name: str, style_id: str, thumbnail: Path | None) -> None:
        image = QPixmap(str(thumbnail)) if thumbnail is not None else QPixmap()
        if image.isNull():  # no thumbnail (custom prompt, or a missing file): a plain tile
            image = QPixmap(THUMB, THUMB)
            image.fill(QColor(224, 226, 230))
            painter = QPainter(image)
            painter.setPen(QColor(110, 114, 122))
            font = painter.font()
            font.setPixelSize(THUMB // 3)
            painter.setFont(font)
            painter.drawText(image.rect(), Qt.AlignmentFlag.AlignCenter, "✎" if style_id else "?")
            painter.end()
        image = image.scaled(
            THUMB,
            THUMB,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        icon = QIcon(image)
        icon.addPixmap(image, QIcon.Mode.Selected)  # untinted: the label shows the selection
        item = QListWidgetItem(icon, name)
        item.setData(Qt.ItemDataRole.UserRole, style_id)
        item.setToolTip(f"{name} (illustration, not a generated sample)" if thumbnail else name)
        self.style_list.addItem(item)

    def _licence_text(self) -> str:
        lines = []
        for model_id in FACE_MODELS:
            if model_id in self.store.catalogue:
                e = self.store.catalogue.get(model_id)
                mark = " — <b>non-commercial use only</b>" if not e.commercial_use else ""
                lines.append(f"{e.name}: {e.licence}{mark}")
        lines.append("Identity scoring: dlib face recognition ResNet (MIT, ships with Studio)")
        return "<br>".join(lines)

    def _gallery_tab(self) -> QWidget:
        page = QWidget()
        self.generate_button = QPushButton("Generate", clicked=self.generate)
        self.cancel_button = QPushButton("Cancel", clicked=self.cancel, enabled=False)
        self.reroll_button = QPushButton("Re-roll selected", clicked=self.reroll)
        self.show_flagged = QCheckBox("Show flagged")
        self.show_flagged.toggled.connect(self._apply_filter)
        self.past = QComboBox(minimumContentsLength=14)
        self.past.activated.connect(self._open_past)
        self.progress = QProgressBar()
        self.eta = QLabel("")
        self.gallery = QListWidget(viewMode=QListWidget.ViewMode.IconMode)
        self.gallery.setIconSize(QSize(160, 160))
        self.gallery.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.gallery.setResizeMode(QListWidget.ResizeMode.Adjust)
        top = QHBoxLayout()  # two short rows: the workspace must fit a 700 px window
        for w in (self.generate_button, self.cancel_button, self.reroll_button):
            top.addWidget(w)
        top.addStretch()
        second = QHBoxLayout()
        second.addWidget(self.show_flagged)
        second.addStretch()
        second.addWidget(QLabel("Past packs"))
        second.addWidget(self.past)
        bar = QHBoxLayout()
        bar.addWidget(self.progress)
        bar.addWidget(self.eta)
        lay = QVBoxLayout(page)
        lay.addLayout(top)
        lay.addLayout(second)
        lay.addLayout(bar)
        lay.addWidget(self.gallery)
        return page

    def _export_tab(self) -> QWidget:
        page = QWidget()
        self.export_format = QComboBox()
        self.export_format.addItem("JPEG (quality 95)", "jpeg")
        self.export_format.addItem("WebP", "webp")
        self.export_button = QPushButton("Export selected…", clicked=self.export_selected)
        self.export_status = QLabel("Select images in the gallery, then export them.")
        form = QFormLayout(page)
        form.addRow("Format", self.export_format)
        form.addRow("", self.export_button)
        form.addRow("", self.export_status)
        return page

    # ---- selfies ---------------------------------------------------------------------------
    def _browse(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(
            self, "Add selfies", "", "Images (*.jpg *.jpeg *.png *.webp *.heic)"
        )
        self.add_selfies([Path(f) for f in files])

    def dragEnterEvent(self, event: Any) -> None:  # noqa: N802 (Qt API)
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: Any) -> None:  # noqa: N802 (Qt API)
        self.add_selfies([Path(u.toLocalFile()) for u in event.mimeData().urls()])

    def add_selfies(self, files: list[Path]) -> None:
        """Add photos (at most three in all) and check them on the device thread."""
        self.selfies = (self.selfies + [f for f in files if f not in self.selfies])[:3]
        self.selfie_status.setText("Checking…")
        job = self.service.submit(
            "headshots.check",
            SelfieRequest(list(self.selfies)),
            Priority.INTERACTIVE,
            "Check selfies",
        )
        self._jobs[job.id] = "check"

    def clear_selfies(self) -> None:
        self.selfies, self.accepted = [], {}
        self.selfie_list.clear()
        self.selfie_status.setText("Add 1-3 clear, well-lit photos with only your face.")

    def _show_checks(self, result: Any) -> None:
        self.selfie_list.clear()
        self.accepted = {}
        for report in result.reports:
            item = QListWidgetItem(report.name if report.ok else f"✗ {report.name}")
            if report.ok:
                item.setIcon(QIcon(pixmap(report.crop, 150)))
                item.setToolTip(
                    f"sharpness {report.sharpness:.0f}, brightness {report.brightness:.0f}"
                )
            else:
                item.setToolTip(report.message)
            self.accepted[report.name] = report.ok
            self.selfie_list.addItem(item)
        problems = [r.message for r in result.reports if not r.ok]
        if not result.same_person:
            problems.append("These photos do not look like the same person.")
        self.selfie_status.setText("\n".join(problems) or f"{result.accepted} selfie(s) ready.")

    # ---- generate --------------------------------------------------------------------------
    def build_request(self) -> PackRequest:
        good = [p for p in self.selfies if self.accepted.get(p.name, False)]
        return PackRequest(
            selfies=good,
            style=self.style_box.currentData() or "corporate",
            custom_prompt=self.prompt.text(),
            count=self.count.value(),
            size=self.size.value(),
            refine_top_k=self.top_k.value(),
            upscale=self.upscale.isChecked(),
            seed=int.from_bytes(__import__("os").urandom(3)),
        )

    def generate(self) -> None:
        request = self.build_request()
        if not request.selfies:
            self.selfie_status.setText("Add at least one accepted selfie first.")
            self.tabs.setCurrentIndex(0)
            return
        request.folder = packs_root() / request.pack_id
        self.pack = None
        self._pack_folder = request.folder
        self.gallery.clear()
        self.progress.setValue(0)
        job = self.service.submit("headshots.pack", request, Priority.BATCH, "Headshot pack")
        self._jobs[job.id] = "pack"
        self._pack_job = job.id
        self.generate_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.tabs.setCurrentIndex(2)

    def cancel(self) -> None:
        job_id = getattr(self, "_pack_job", None)
        if job_id:
            self.service.cancel(job_id)

    def reroll(self) -> None:
        items = self.gallery.selectedItems()
        if self.pack is None or not items:
            return
        index = items[0].data(Qt.ItemDataRole.UserRole)
        job = self.service.submit(
            "headshots.reroll",
            RerollRequest(self.pack.folder, index),
            Priority.NORMAL,
            f"Re-roll #{index}",
        )
        self._jobs[job.id] = "reroll"

    # ---- signals ---------------------------------------------------------------------------
    def _on_progress(self, job: Any, update: Any) -> None:
        kind = self._jobs.get(job.id)
        if kind != "pack":
            return
        self.progress.setMaximum(max(1, update.total))
        self.progress.setValue(update.done)
        self.progress.setFormat(f"{update.stage} %v/%m")
        self.eta.setText(f"about {update.eta_s:.0f} s left" if update.eta_s else "")
        if update.preview is not None and update.stage == "Drafts":
            item = QListWidgetItem(QIcon(pixmap(update.preview)), f"#{update.done}")
            self.gallery.addItem(item)  # streamed: shown before its scores are in

    def _on_finished(self, job: Any, result: Any) -> None:
        kind = self._jobs.pop(job.id, None)
        if kind == "check":
            self._show_checks(result)
        elif kind == "pack":
            self._job_ended()
            self.show_pack(result.pack)
            self.refresh_past_packs()
        elif kind == "reroll" and self.pack is not None:
            self.show_pack(packs.load_pack(self.pack.folder))

    def _on_failed(self, job: Any, message: str, detail: str) -> None:
        kind = self._jobs.pop(job.id, None)
        if kind == "check":
            self.selfie_status.setText(message)
        elif kind in ("pack", "reroll"):
            self._job_ended()
            self.eta.setText(message)
            self._show_partial()

    def _on_cancelled(self, job: Any) -> None:
        if self._jobs.pop(job.id, None) == "pack":
            self._job_ended()
            self.eta.setText("Cancelled: finished images are kept.")
            self._show_partial()

    def _job_ended(self) -> None:
        self.generate_button.setEnabled(True)
        self.cancel_button.setEnabled(False)

    def _show_partial(self) -> None:
        folder = getattr(self, "_pack_folder", None)
        if folder is not None and (folder / packs.MANIFEST).is_file():
            self.show_pack(packs.load_pack(folder))
            self.refresh_past_packs()

    # ---- review ----------------------------------------------------------------------------
    def show_pack(self, pack: packs.Pack) -> None:
        """Fill the gallery best first, with scores; flagged images hidden unless asked."""
        from PIL import Image

        self.pack = pack
        self.gallery.clear()
        for im in pack.ranked():
            with Image.open(pack.path(im.final or im.draft)) as img:
                img.thumbnail((320, 320))
                icon = QIcon(pixmap(img))
            label = f"#{im.index} id {im.id_score:.2f}" + (" ★" if im.final else "")
            item = QListWidgetItem(icon, label)
            item.setData(Qt.ItemDataRole.UserRole, im.index)
            item.setData(Qt.ItemDataRole.UserRole + 1, bool(im.flags))
            item.setToolTip(
                f"seed {im.seed}\nidentity {im.id_score:.2f}\nsharpness "
                f"{im.sharpness:.0f}\n{', '.join(im.flags) or 'ok'}"
            )
            self.gallery.addItem(item)
        self._apply_filter()

    def _apply_filter(self) -> None:
        show = self.show_flagged.isChecked()
        for i in range(self.gallery.count()):
            item = self.gallery.item(i)
            flagged = bool(item.data(Qt.ItemDataRole.UserRole + 1))
            item.setHidden(flagged and not show)

    def visible_indices(self) -> list[int]:
        return [
            self.gallery.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.gallery.count())
            if not self.gallery.item(i).isHidden()
        ]

    def refresh_past_packs(self) -> None:
        self.past.clear()
        for pack in packs.list_packs(packs_root()):
            done = "" if pack.complete else " (unfinished)"
            self.past.addItem(f"{pack.style} · {len(pack.images)} images{done}", str(pack.folder))

    def _open_past(self, row: int) -> None:
        folder = self.past.itemData(row)
        if folder:
            self._pack_folder = Path(folder)
            self.show_pack(packs.load_pack(folder))

    # ---- export ----------------------------------------------------------------------------
    def export_selected(self, folder: Path | None = None) -> list[Path]:
        if self.pack is None:
            self.export_status.setText("Generate or open a pack first.")
            return []
        indices = [
            it.data(Qt.ItemDataRole.UserRole)
            for it in self.gallery.selectedItems()
            if it.data(Qt.ItemDataRole.UserRole) is not None
        ]
        if not indices:
            self.export_status.setText("Select images in the gallery first.")
            return []
        if folder is None:
            chosen = QFileDialog.getExistingDirectory(self, "Export to")
            if not chosen:
                return []
            folder = Path(chosen)
        try:
            written = packs.export_images(
                self.pack, indices, folder, self.export_format.currentData()
            )
        except StudioError as exc:
            self.export_status.setText(exc.user_message)
            return []
        self.export_status.setText(f"{len(written)} image(s) exported to {folder}.")
        return written
