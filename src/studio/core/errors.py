"""Domain exceptions that carry a message a user understands.

Every error that reaches the UI or the CLI is a :class:`StudioError` (or is wrapped in one
by the service): ``user_message`` is shown, ``detail`` goes to the log and the "details" box.
"""

from __future__ import annotations


class StudioError(Exception):
    """Base class: ``user_message`` for people, ``detail`` for the log."""

    def __init__(self, user_message: str, detail: str = "") -> None:
        super().__init__(user_message)
        self.user_message = user_message
        self.detail = detail


class BadInput(StudioError):
    """The user's input (file, mask, audio, prompt, ...) cannot be used."""


class ModelMissing(StudioError):
    """Models the job needs are not installed; the UI offers to download them all at once."""

    def __init__(
        self,
        model_id: str,
        name: str = "",
        size_bytes: int = 0,
        more: list[tuple[str, str, int]] | None = None,
    ) -> None:
        missing = [(model_id, name, size_bytes)] + list(more or [])
        labels = [f"'{n or i}'" + (f" ({format_size(b)})" if b else "") for i, n, b in missing]
        ids = " ".join(i for i, _, _ in missing)
        what = (
            f"The model {labels[0]} is"
            if len(missing) == 1
            else (f"The models {', '.join(labels)} are")
        )
        super().__init__(
            f"{what} not installed. Download from the Models dialog or with: "
            f"studio models download {ids}"
        )
        self.model_id = model_id
        self.model_ids = [i for i, _, _ in missing]
        self.size_bytes = sum(b for _, _, b in missing)


class ModelDamaged(BadInput):
    """An installed model's files cannot be loaded (truncated, garbled, wrong layout).

    A :class:`BadInput` (the user's model folder cannot be used) whose message says how to
    get a good copy: download it again, replacing the damaged one.
    """

    def __init__(self, model_id: str, name: str = "", detail: str = "") -> None:
        super().__init__(
            f"The model '{name or model_id}' is damaged and could not be loaded; download it "
            f"again (Models dialog: Delete, then Download; or: studio models download "
            f"{model_id} --force).",
            detail,
        )
        self.model_id = model_id


class DownloadFailed(StudioError):
    """A download did not complete or did not verify; nothing was installed."""


class OutOfMemory(StudioError):
    """The GPU (or host) ran out of memory even after freeing the cache."""


class Cancelled(StudioError):
    """The job was cancelled; no partial result escapes."""

    def __init__(self, user_message: str = "Cancelled.") -> None:
        super().__init__(user_message)


def format_size(n_bytes: int) -> str:
    """Human-readable size, e.g. ``1.9 GB``."""
    size = float(n_bytes)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"  # pragma: no cover
