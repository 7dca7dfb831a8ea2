"""Your own models: import an SDXL checkpoint or a LoRA (single ``.safetensors`` files).

An imported file is checked without loading its tensors (only the safetensors header is read):
the kind (checkpoint or LoRA) and the base architecture come from the tensor names and the
cross-attention width of their shapes (SD 1.5: 768, SD 2: 1024, SDXL: 2048). Only models that
fit Studio's SDXL pipelines are accepted: their cross-attention width must be the one of the
SDXL model Studio uses (read from the installed ``sdxl-inpaint`` when present, else 2048).

Accepted files are copied into the model store like a download (staged, hashed, committed with
an install marker): a LoRA as ``pytorch_lora_weights.safetensors`` (what
:func:`studio.pipelines.diffusion_loading.load_lora` loads), a checkpoint as
``checkpoint.safetensors`` (diffusers' ``from_single_file``). Each gets a catalogue entry
(licence "provided by you") persisted in ``<store>/imported.json``;
:func:`catalogue_with_imports` merges them into the shipped catalogue.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.core.errors import BadInput
from studio.models.catalogue import Catalogue, ModelEntry, _entry
from studio.models.store import ModelStore

INDEX_FILE = "imported.json"
LORA_FILE = "pytorch_lora_weights.safetensors"
CHECKPOINT_FILE = "checkpoint.safetensors"
LICENCE = "provided by you"
SDXL_CONTEXT_DIM = 2048
ARCHITECTURES = {768: "SD 1.5", 1024: "SD 2", 1280: "SDXL refiner", 2048: "SDXL", 4096: "SD 3"}
MAX_HEADER = 100 * 1024 * 1024  # safetensors' own limit for the JSON header
_LORA_MARKS = (".lora_down.", ".lora_up.", ".lora_A.", ".lora_B.", "lora_A.weight")
_KEY = re.compile(r"attn2[._]to_k")


class ImportRefused(BadInput):
    """The file is not a model Studio can import (wrong kind, architecture or format)."""


@dataclass(frozen=True)
class Detected:
    """What a ``.safetensors`` file holds, read from its header."""

    kind: str  # "checkpoint" or "lora"
    architecture: str  # "SDXL", "SD 1.5", ... or "unknown"
    context_dim: int  # the cross-attention width (0 when no layer names it)
    inpaint: bool  # a 9-channel inpainting checkpoint
    tensors: int


def read_header(path: Path) -> dict[str, Any]:
    """The tensor table of a safetensors file: ``{name: {"dtype", "shape", ...}}``."""
    name = path.name
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
            if len(head) < 8:
                raise ImportRefused(f"'{name}' is not a safetensors file (it is too short).")
            (length,) = struct.unpack("<Q", head)
            size = path.stat().st_size
            if not 2 <= length <= min(MAX_HEADER, size - 8):
                raise ImportRefused(f"'{name}' is not a safetensors file.")
            raw = fh.read(length)
    except OSError as exc:
        raise BadInput(f"'{name}' could not be read.", repr(exc)) from exc
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ImportRefused(f"'{name}' is not a safetensors file.") from None
    if not isinstance(header, dict):
        raise ImportRefused(f"'{name}' is not a safetensors file.")
    header.pop("__metadata__", None)
    tensors = {k: v for k, v in header.items() if isinstance(v, dict) and "shape" in v}
    if not tensors or len(tensors) != len(header):
        raise ImportRefused(f"'{name}' is not a safetensors file (no tensor table).")
    return tensors


def detect(path: str | Path) -> Detected:
    """The kind and base architecture of ``path``; :class:`ImportRefused` when it is neither
    a checkpoint nor a LoRA of a Stable Diffusion UNet."""
    path = Path(path)
    if path.is_dir():
        raise BadInput(f"'{path.name}' is a folder; choose a .safetensors file in it.", str(path))
    if not path.is_file():
        raise BadInput(f"The file '{path.name}' does not exist.", str(path))
    if path.suffix.lower() != ".safetensors":
        raise ImportRefused(
            f"'{path.name}' is not a safetensors file; Studio imports .safetensors files "
            "(pickled .ckpt/.pt files can run code when loaded)."
        )
    tensors = read_header(path)
    names = list(tensors)
    if any(n.startswith(("lora_unet_", "lora_te")) or _is_lora_key(n) for n in names):
        kind = "lora"
        probes = [n for n in names if _KEY.search(n) and ("lora_down" in n or "lora_A" in n)]
        # A LoRA's down matrix is rank x in_features: to_k's input is the text context.
        dims = [_shape(tensors[n])[-1] for n in probes if len(_shape(tensors[n])) >= 2]
        if not dims and any(n.startswith(("lora_te2_", "text_encoder_2.")) for n in names):
            dims = [SDXL_CONTEXT_DIM]  # only SDXL has a second text encoder
    elif any(n.startswith("model.diffusion_model.") for n in names):
        kind = "checkpoint"
        probes = [n for n in names if n.startswith("model.diffusion_model.") and _KEY.search(n)]
        dims = [_shape(tensors[n])[-1] for n in probes if n.endswith(".weight")]
    else:
        raise ImportRefused(
            f"'{path.name}' is neither a Stable Diffusion checkpoint nor a LoRA "
            "(its tensors have other names)."
        )
    context = max(set(dims), key=dims.count) if dims else 0
    first = tensors.get("model.diffusion_model.input_blocks.0.0.weight")
    inpaint = kind == "checkpoint" and first is not None and _shape(first)[1:2] == [9]
    return Detected(kind, ARCHITECTURES.get(context, "unknown"), context, inpaint, len(names))


def _is_lora_key(name: str) -> bool:
    return any(mark in name for mark in _LORA_MARKS)


def _shape(info: dict[str, Any]) -> list[int]:
    shape = info.get("shape")
    return [int(s) for s in shape] if isinstance(shape, list) else []


def sdxl_context_dim(store: ModelStore) -> int:
    """The cross-attention width of the SDXL UNet Studio runs (the installed inpainting
    model's config), which an imported model must match."""
    if "sdxl-inpaint" in store.catalogue and store.is_installed("sdxl-inpaint"):
        config = store.model_dir("sdxl-inpaint") / "unet" / "config.json"
        try:
            return int(json.loads(config.read_text(encoding="utf-8"))["cross_attention_dim"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
    return SDXL_CONTEXT_DIM


def check_fits(detected: Detected, name: str, store: ModelStore) -> None:
    """:class:`ImportRefused` unless the model fits Studio's SDXL pipelines."""
    what = "checkpoint" if detected.kind == "checkpoint" else "LoRA"
    if detected.context_dim == sdxl_context_dim(store):
        return
    if detected.architecture not in ("SDXL", "unknown"):
        raise ImportRefused(  # every known name starts with "S": "an SD 1.5 ..."
            f"'{name}' is an {detected.architecture} {what}; Studio's fill and headshots need SDXL."
        )
    if detected.architecture == "SDXL":
        raise ImportRefused(f"'{name}' is an SDXL {what} that does not fit the installed SDXL.")
    raise ImportRefused(f"'{name}' is a {what} for a model Studio does not know; it needs SDXL.")


# --- the persisted entries ---


def _index_path(store: ModelStore) -> Path:
    return Path(store.root) / INDEX_FILE


def imported_entries(root: str | Path) -> list[ModelEntry]:
    """The entries of the models imported into the store at ``root`` (none when the index
    is missing; a damaged index is :class:`BadInput`)."""
    return [_entry(raw) for raw in _read_index(Path(root) / INDEX_FILE)]


def _read_index(path: Path) -> list[dict[str, Any]]:
    damaged = f"The list of your imported models ('{path}') is damaged."
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise BadInput(damaged, repr(exc)) from exc
    models = data.get("models") if isinstance(data, dict) else None
    if not isinstance(models, list):
        raise BadInput(damaged)
    return [m for m in models if isinstance(m, dict)]


def catalogue_with_imports(catalogue: Catalogue, root: str | Path) -> Catalogue:
    """``catalogue`` plus the models imported into the store at ``root``."""
    own = [e for e in imported_entries(root) if e.id not in catalogue]
    return Catalogue([*catalogue, *own], catalogue.workspaces.values())


def import_model(
    store: ModelStore,
    source: str | Path,
    name: str | None = None,
    kind: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ModelEntry:
    """Copy ``source`` into the store and add its entry to the imported list;
    ``store.catalogue`` knows it afterwards. ``kind`` ("checkpoint"/"lora") must match what
    the file is when given. The same file imported again returns the existing entry.

    The file is read once (copied and hashed in one pass: checkpoints are gigabytes);
    ``progress(bytes_done, bytes_total)`` follows the copy.
    """
    source = Path(source)
    detected = detect(source)
    if kind is not None and kind != detected.kind:
        found = "a checkpoint" if detected.kind == "checkpoint" else "a LoRA"
        raise ImportRefused(f"'{source.name}' is {found}, not a {kind}.")
    check_fits(detected, source.name, store)
    # Every imported id known (a store made without them would reuse an id on disk).
    store.catalogue = catalogue_with_imports(store.catalogue, store.root)
    filename = LORA_FILE if detected.kind == "lora" else CHECKPOINT_FILE
    staged = store.staging_dir(f"import-{time.time_ns()}")
    try:
        before = source.stat()
        digest = _copy_hashing(source, staged / filename, progress)
        after = source.stat()
        if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns):
            raise BadInput(f"'{source.name}' changed while it was imported; try again.")
        index = _read_index(_index_path(store))
        for raw in index:
            same = raw.get("urls", [{}])[0].get("sha256") == digest
            if same and raw.get("id") in store.catalogue and store.is_installed(raw["id"]):
                shutil.rmtree(staged, ignore_errors=True)
                return _entry(raw)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    label = (name or source.stem).strip() or source.stem
    model_id = _new_id(label, store.catalogue)
    raw = {
        "id": model_id,
        "name": label,
        "task": detected.kind,
        "licence": LICENCE,
        "commercial_use": False,
        "licence_note": "Imported by you: its licence is the one of the file's source.",
        "size_bytes": after.st_size,
        "vram_bytes": after.st_size,
        "urls": [{"url": source.resolve().as_uri(), "filename": filename, "sha256": digest}],
        "notes": f"Imported from {source.name}.",
        "architecture": detected.architecture,
        "context_dim": detected.context_dim,
        "inpaint": detected.inpaint,
        "imported_at": time.time(),
        "original_name": source.name,
    }
    entry = _entry(raw)
    store.catalogue = Catalogue([*store.catalogue, entry], store.catalogue.workspaces.values())
    try:
        store.commit(model_id, staged, {filename: digest})
        from studio.core.outputs import write_text_atomic

        write_text_atomic(
            _index_path(store), json.dumps({"models": [*index, raw]}, indent=1, sort_keys=True)
        )
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        store.delete(model_id)
        store.catalogue = Catalogue(
            [e for e in store.catalogue if e.id != model_id], store.catalogue.workspaces.values()
        )
        raise
    return entry


def _copy_hashing(source: Path, target: Path, progress: Callable[[int, int], None] | None) -> str:
    """Copy ``source`` to ``target`` and return its sha256, reading it once."""
    digest = hashlib.sha256()
    total, done = source.stat().st_size, 0
    try:
        with open(source, "rb") as src, open(target, "wb") as dst:
            while chunk := src.read(8 << 20):
                digest.update(chunk)
                dst.write(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
    except OSError as exc:
        raise BadInput(
            f"'{source.name}' could not be copied into the model store.", repr(exc)
        ) from exc
    return digest.hexdigest()


def remove_imported(store: ModelStore, model_id: str) -> None:
    """Delete an imported model's files and forget its entry."""
    index = _read_index(_index_path(store))
    if not any(raw.get("id") == model_id for raw in index):
        raise BadInput(f"'{model_id}' is not one of your imported models.")
    store.catalogue = catalogue_with_imports(store.catalogue, store.root)
    store.delete(model_id)
    from studio.core.outputs import write_text_atomic

    rest = [raw for raw in index if raw.get("id") != model_id]
    write_text_atomic(_index_path(store), json.dumps({"models": rest}, indent=1, sort_keys=True))
    store.catalogue = Catalogue(
        [e for e in store.catalogue if e.id != model_id], store.catalogue.workspaces.values()
    )


def _new_id(label: str, catalogue: Catalogue) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")[:40] or "model"
    model_id, n = f"user-{slug}", 2
    while model_id in catalogue:
        model_id, n = f"user-{slug}-{n}", n + 1
    return model_id
