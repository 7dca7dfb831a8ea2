"""The wire codec: job requests and results <-> JSON values + binary blobs, nothing else.

Only these cross the network:

- ``None``, ``bool``, ``int``, ``float`` (``nan``/``inf`` tagged), ``str``; lists; tuples
  (tagged); dicts with string keys;
- dataclasses named in :data:`WIRE_TYPES` (the requests and results of every job kind and what
  they contain), rebuilt field by field through their constructor;
- numpy arrays as PNG (uint8 ``HxW``, ``HxWx3``, ``HxWx4``) or NPY blobs (no object dtypes,
  at most :data:`MAX_DIMS` dimensions and :data:`MAX_ARRAY_BYTES`; ``allow_pickle=False``),
  PIL images as PNG, ``bytes`` as a blob; sizes are checked before anything is decoded;
- files as references the caller's hooks define (the client uploads a ``Path`` and sends its
  content hash; the server answers with names inside the job's folder): never a local path.

A tagged value is a JSON object with a ``"$t"`` key; a blob is referred to by its content key
(sha256 + extension), so the transport (upload store, job folder) decides where it lives.
Anything else raises :class:`WireError`, a :class:`~studio.core.errors.BadInput`.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import importlib
import io
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from studio.core.errors import BadInput

WIRE_TYPES = frozenset(
    {
        "studio.pipelines.canvas.compose:Window",
        "studio.pipelines.canvas.remove:RemoveRequest",
        "studio.pipelines.canvas.remove:RemoveResult",
        "studio.pipelines.canvas.segment:SegmentRequest",
        "studio.pipelines.canvas.segment:SegmentResult",
        "studio.pipelines.canvas.fill:FillRequest",
        "studio.pipelines.canvas.fill:FillResult",
        "studio.pipelines.canvas.expand:ExpandRequest",
        "studio.pipelines.canvas.expand:ExpandResult",
        "studio.pipelines.canvas.text_select:TextSelectRequest",
        "studio.pipelines.canvas.text_select:TextSelectResult",
        "studio.pipelines.canvas.cutout:CutoutRequest",
        "studio.pipelines.canvas.cutout:CutoutResult",
        "studio.pipelines.canvas.upscale:UpscaleRequest",
        "studio.pipelines.canvas.upscale:UpscaleResult",
        "studio.pipelines.headshots.pack:PackRequest",
        "studio.pipelines.headshots.pack:PackResult",
        "studio.pipelines.headshots.packs:Pack",
        "studio.pipelines.headshots.packs:PackImage",
        "studio.pipelines.headshots.reroll:RerollRequest",
        "studio.pipelines.headshots.selfies:SelfieRequest",
        "studio.pipelines.headshots.selfies:SelfieReport",
        "studio.pipelines.headshots.selfies:SelfieResult",
        "studio.pipelines.lipsync.avatar:PrepareAvatarRequest",
        "studio.pipelines.lipsync.avatar:PreparedAvatar",
        "studio.pipelines.lipsync.render:RenderRequest",
        "studio.pipelines.lipsync.render:RenderResult",
        "studio.pipelines.live.jobs:LiveFrameRequest",
        "studio.pipelines.live.jobs:LiveStreamResult",
        "studio.pipelines.live.session:LiveSettings",
        "studio.pipelines.live.session:LiveFrame",
    }
)
FILE_TAGS = frozenset({"upload", "output", "result", "server_file"})
MAX_DEPTH = 32
MAX_DIMS = 4
MAX_ARRAY_BYTES = 1 << 30
ARRAY_DTYPES = frozenset(
    {"bool", "uint8", "int8", "uint16", "int16", "int32", "int64", "float16", "float32", "float64"}
)


class WireError(BadInput):
    """A value that may not cross the network, or a blob that is not what it claims."""


@dataclasses.dataclass(frozen=True)
class OutputSlot:
    """Stands in for an output path of a request (``RenderRequest.output``): the server puts
    the output under ``name`` in the job's folder, the client downloads it to the local path."""

    name: str


def blob_key(data: bytes, ext: str) -> str:
    """The content key of a blob: ``<sha256>.<ext>``."""
    return f"{hashlib.sha256(data).hexdigest()}.{ext}"


def type_name(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


class Encoder:
    """Encodes one object; :attr:`blobs` collects the binary parts by content key.

    ``path(p)`` turns a :class:`~pathlib.Path` into a file reference (a dict with a ``"$t"``
    from :data:`FILE_TAGS`); without it a path is refused.
    """

    def __init__(self, path: Callable[[Path], dict[str, Any]] | None = None) -> None:
        self.blobs: dict[str, bytes] = {}
        self._path = path

    def _blob(self, data: bytes, ext: str) -> str:
        key = blob_key(data, ext)
        self.blobs[key] = data
        return key

    def encode(self, obj: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise WireError("The request is nested too deeply to send.")
        if obj is None or isinstance(obj, (bool, str, int)):
            return obj
        if isinstance(obj, float):
            return obj if math.isfinite(obj) else {"$t": "float", "v": repr(obj)}
        if isinstance(obj, OutputSlot):
            return {"$t": "output", "name": obj.name}
        if isinstance(obj, Path):
            if self._path is None:
                raise WireError(f"A file path ('{obj.name}') cannot be sent here.")
            return self._path(obj)
        if isinstance(obj, (bytes, bytearray)):
            return {"$t": "bytes", "blob": self._blob(bytes(obj), "bin")}
        if isinstance(obj, (list, tuple)):
            items = [self.encode(v, depth + 1) for v in obj]
            return items if isinstance(obj, list) else {"$t": "tuple", "v": items}
        if isinstance(obj, dict):
            return self._dict(obj, depth)
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            return self._dataclass(obj, depth)
        return self._binary(obj)

    def _dict(self, obj: dict[Any, Any], depth: int) -> Any:
        if not all(isinstance(k, str) for k in obj):
            raise WireError("Only dictionaries with text keys can be sent.")
        out = {k: self.encode(v, depth + 1) for k, v in obj.items()}
        return {"$t": "dict", "v": out} if "$t" in out else out

    def _dataclass(self, obj: Any, depth: int) -> Any:
        name = type_name(type(obj))
        if name not in WIRE_TYPES:
            raise WireError(f"'{type(obj).__name__}' cannot be sent to or from a server.")
        fields = {
            f.name: self.encode(getattr(obj, f.name), depth + 1)
            for f in dataclasses.fields(obj)
            if f.init
        }
        return {"$t": "dc", "type": name, "v": fields}

    def _binary(self, obj: Any) -> Any:
        import numpy as np

        if isinstance(obj, np.generic):
            return self.encode(obj.item())
        if isinstance(obj, np.ndarray):
            if _png_able(obj):
                return {"$t": "array", "format": "png", "blob": self._blob(_png(obj), "png")}
            if obj.dtype.name not in ARRAY_DTYPES or obj.ndim > MAX_DIMS:
                raise WireError(f"An array of {obj.dtype} x {obj.shape} cannot be sent.")
            buf = io.BytesIO()
            np.save(buf, np.ascontiguousarray(obj), allow_pickle=False)
            return {"$t": "array", "format": "npy", "blob": self._blob(buf.getvalue(), "npy")}
        if hasattr(obj, "save") and hasattr(obj, "mode") and hasattr(obj, "size"):  # PIL
            buf = io.BytesIO()
            obj.save(buf, format="PNG")
            return {"$t": "image", "mode": obj.mode, "blob": self._blob(buf.getvalue(), "png")}
        raise WireError(f"A value of type '{type(obj).__name__}' cannot be sent.")


def _png_able(arr: Any) -> bool:
    return arr.dtype.name == "uint8" and (
        arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] in (3, 4))
    )


def _png(arr: Any) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    # compress_level 1: previews and results are sent once; zlib's default costs 5x the time
    Image.fromarray(arr).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


class Decoder:
    """Decodes what :class:`Encoder` produced; ``blob(key)`` returns a blob's bytes and
    ``file(ref)`` turns a file reference into a local :class:`~pathlib.Path`."""

    def __init__(
        self,
        blob: Callable[[str], bytes],
        file: Callable[[dict[str, Any]], Any] | None = None,
    ) -> None:
        self._blob = blob
        self._file = file

    def decode(self, value: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise WireError("The request is nested too deeply.")
        if value is None or isinstance(value, (bool, str, int, float)):
            return value
        if isinstance(value, list):
            return [self.decode(v, depth + 1) for v in value]
        if not isinstance(value, dict):
            raise WireError("The request holds a value of an unknown kind.")
        tag = value.get("$t")
        if tag is None:
            return {str(k): self.decode(v, depth + 1) for k, v in value.items()}
        if tag == "dict":
            return {str(k): self.decode(v, depth + 1) for k, v in _obj(value, "v").items()}
        if tag == "tuple":
            return tuple(self.decode(v, depth + 1) for v in _list(value, "v"))
        if tag == "float":
            text = value.get("v")
            if text not in ("nan", "inf", "-inf"):
                raise WireError("A number in the request is not valid.")
            return float(text)
        if tag == "dc":
            return self._dataclass(value, depth)
        if tag == "array":
            return decode_array(self._blob(_key(value)), value.get("format"))
        if tag == "image":
            return decode_png(self._blob(_key(value)), as_array=False)
        if tag == "bytes":
            return self._blob(_key(value))
        if tag in FILE_TAGS:
            if self._file is None:
                raise WireError("The request refers to a file where none is allowed.")
            return self._file(value)
        raise WireError(f"The request holds an unknown value type '{tag}'.")

    def _dataclass(self, value: dict[str, Any], depth: int) -> Any:
        name = value.get("type")
        if name not in WIRE_TYPES:
            raise WireError(f"The request holds an unknown type '{name}'.")
        module_name, _, attr = str(name).partition(":")
        cls = getattr(importlib.import_module(module_name), attr)
        allowed = {f.name for f in dataclasses.fields(cls) if f.init}
        fields = _obj(value, "v")
        unknown = set(fields) - allowed
        if unknown:
            raise WireError(f"'{attr}' has no field(s) {', '.join(sorted(unknown))}.")
        try:
            return cls(**{k: self.decode(v, depth + 1) for k, v in fields.items()})
        except TypeError as exc:
            raise WireError(f"'{attr}' could not be built from the request.", str(exc)) from exc


def _obj(value: dict[str, Any], key: str) -> dict[str, Any]:
    inner = value.get(key)
    if not isinstance(inner, dict):
        raise WireError("The request is malformed.")
    return inner


def _list(value: dict[str, Any], key: str) -> list[Any]:
    inner = value.get(key)
    if not isinstance(inner, list):
        raise WireError("The request is malformed.")
    return inner


def _key(value: dict[str, Any]) -> str:
    key = value.get("blob")
    if not isinstance(key, str) or not is_blob_key(key):
        raise WireError("The request refers to a file by an invalid name.")
    return key


def is_blob_key(key: str) -> bool:
    """``<64 hex digits>.<short alphanumeric extension>``: never a path."""
    digest, dot, ext = key.partition(".")
    return (
        len(digest) == 64
        and all(c in "0123456789abcdef" for c in digest)
        and bool(dot)
        and 0 < len(ext) <= 8
        and ext.isalnum()
    )


def decode_png(data: bytes, *, as_array: bool = True) -> Any:
    """A PNG blob as an array (or PIL image); its size is checked before decoding."""
    from PIL import Image

    from studio.core.imageio import check_size

    try:
        saved, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None  # our own limit, below
        try:
            img = Image.open(io.BytesIO(data))
        finally:
            Image.MAX_IMAGE_PIXELS = saved
        if img.format != "PNG":
            raise WireError("An image in the request is not a PNG.")
        check_size(img.width, img.height, "An image in the request")
        img.load()
    except WireError:
        raise
    except BadInput as exc:
        raise WireError(exc.user_message) from exc
    except Exception as exc:  # PIL raises many types for damaged files
        raise WireError(
            "An image in the request is damaged or not an image, and could not be read.",
            str(exc),
        ) from exc
    if not as_array:
        return img
    import numpy as np

    return np.asarray(img).copy()


def decode_array(data: bytes, fmt: Any) -> Any:
    """A PNG or NPY blob as a numpy array; dtype and size checked before reading the data."""
    if fmt == "png":
        return decode_png(data)
    if fmt != "npy":
        raise WireError("An array in the request has an unknown format.")
    import numpy as np

    buf = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(buf)
        read_header = (
            np.lib.format.read_array_header_1_0
            if version == (1, 0)
            else np.lib.format.read_array_header_2_0
        )
        shape, _fortran, dtype = read_header(buf)
    except Exception as exc:
        raise WireError("An array in the request is damaged.", str(exc)) from exc
    if dtype.hasobject or dtype.name not in ARRAY_DTYPES or len(shape) > MAX_DIMS:
        raise WireError(f"An array of {dtype} x {shape} is not accepted.")
    if math.prod(shape) * dtype.itemsize > MAX_ARRAY_BYTES:
        raise WireError(f"An array of shape {shape} is too large.")
    try:
        return np.load(io.BytesIO(data), allow_pickle=False)
    except Exception as exc:
        raise WireError("An array in the request is damaged.", str(exc)) from exc


def preview_to_wire(preview: Any) -> str | None:
    """A progress preview (PIL image or uint8 array) as a base64 JPEG for an event."""
    if preview is None:
        return None
    from PIL import Image

    img = preview if hasattr(preview, "save") else Image.fromarray(preview)
    buf = io.BytesIO()
    img.convert("RGB").save(buf, format="JPEG", quality=85)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def preview_from_wire(text: str | None) -> Any:
    """The PIL image of an event's preview (``None`` when there is none or it is broken)."""
    if not text:
        return None
    from PIL import Image

    try:
        img = Image.open(io.BytesIO(base64.b64decode(text, validate=True)))
        if img.format != "JPEG" or img.width * img.height > 4096 * 4096:
            return None
        img.load()
        return img
    except Exception:
        return None  # a preview is decoration: never fail a job over one
