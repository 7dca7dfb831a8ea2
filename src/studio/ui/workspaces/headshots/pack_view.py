"""Showing packs on the Headshots review page: a pack in the gallery (best first, or updated
in place after a re-roll), its manifest read on an I/O worker, Hide flagged, the Past packs
list. A mixin of :class:`~studio.ui.workspaces.headshots.workspace.HeadshotsWorkspace`,
whose widgets and state (``gallery``, ``note``, ``past``, ``pack``...) it uses."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.core.errors import StudioError
from studio.ui.workspaces.headshots.gallery import review_note
from studio.ui.workspaces.headshots.past_packs import packs_root, past_entries

if TYPE_CHECKING:
    from studio.pipelines.headshots.packs import Pack


class PackView:
    """The review page's pack handling (mixed into the workspace)."""

    gallery: Any
    hide_flagged: Any
    note: Any
    past: Any
    workers: Any
    pack: Pack | None
    _pack_folder: Path | None
    _load_request: int
    _past_request: int
    opened_file: Any
    _update_buttons: Any

    def show_pack(self, pack: Pack, prefix: str = "") -> None:
        """Fill the gallery best first, with scores, flagged images badged; the same pack
        again (after a re-roll) keeps each image's place and the selection. A pack whose
        every image is flagged is shown even when Hide flagged is ticked."""
        if (
            pack.folder != self.gallery.folder
            and pack.images
            and all(im.flags for im in pack.images)
        ):
            self.hide_flagged.setChecked(False)  # hiding all would leave a blank review
        self.pack = pack
        self._pack_folder = pack.folder
        self.gallery.hide_flagged = self.hide_flagged.isChecked()
        self.gallery.show_pack(pack)
        note = review_note(pack, self.hide_flagged.isChecked())
        self.note.setText(f"{prefix} {note}" if prefix else note)
        self._update_buttons()

    def _set_hide_flagged(self, on: bool) -> None:
        self.gallery.set_hide_flagged(on)
        if self.pack is not None:
            self.note.setText(review_note(self.pack, on))
        self._update_buttons()

    def reload(self, folder: Path, prefix: str = "", quiet: bool = False) -> None:
        """Read ``folder``'s manifest on a worker, then show it (``quiet``: no pack, no note)."""

        self._load_request += 1
        request = self._load_request

        def loaded(pack: Pack) -> None:
            if request == self._load_request:
                self.show_pack(pack, prefix=prefix)

        def failed(exc: BaseException) -> None:
            if not quiet and request == self._load_request:
                text = exc.user_message if isinstance(exc, StudioError) else str(exc)
                self.note.setText(text)

        from studio.pipelines.headshots import packs

        self.workers.run(lambda: packs.load_pack(folder), loaded, failed)

    def visible_indices(self) -> list[int]:
        return self.gallery.visible_indices()

    def refresh_past_packs(self) -> None:
        """List the saved packs on a worker, then fill the Past packs box."""
        self._past_request += 1
        request, root = self._past_request, packs_root()

        def fill(entries: list[tuple[str, str]]) -> None:
            if request != self._past_request:
                return
            self.past.clear()
            for label, folder in entries:
                self.past.addItem(label, folder)
            self.past.setCurrentIndex(-1)  # the placeholder: nothing is "opened" by listing

        self.workers.run(lambda: past_entries(root), fill)

    def _open_past(self, row: int) -> None:
        folder = self.past.itemData(row)
        if folder:
            self.note.setText("Opening…")
            self.reload(Path(folder))
            self.opened_file.emit(folder)
