"""Loading and saving images for every workspace (no Qt, PIL imported lazily).

``load_image`` accepts PNG, JPEG, WebP and TIFF, honours EXIF orientation and turns every
kind of bad file (unreadable, truncated, unsupported, 0-pixel, gigantic) into
:class:`~studio.core.errors.BadInput` with a message a user understands.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

from studio.core.errors import BadInput

SUPPORTED_FORMATS = ("PNG", "JPEG", "WEBP", "TIFF", "MPO")  # MPO: phone JPEGs with a depth map
# 16384^2 = 268 M pixels (~800 MB as RGB): the largest image we decode at all. Bigger files are
# refused before decoding, so a 20000x20000 (or decompression-bomb) file never eats all RAM.
MAX_PIXELS = 16384 * 16384
MAX_SIDE = 30000


def _open(source: Any, label: str | None = None) -> Any:
    from PIL import Image, UnidentifiedImageError

    name = label or (str(source) if isinstance(source, (str, Path)) else "the image")
    if isinstance(source, (str, Path)):
        path = Path(source)
        if path.is_dir():
            raise BadInput(f"'{path.name}' is a folder; choose an image file in it.", str(path))
        if not path.is_file():
            raise BadInput(f"The file '{path.name}' does not exist.", str(path))
        if path.stat().st_size == 0:
            raise BadInput(f"The file '{path.name}' is empty.", str(path))
        fp: Any = path
        name = label or path.name
    elif isinstance(source, (bytes, bytearray)):
        if not source:
            raise BadInput("The image data is empty.")
        fp = io.BytesIO(bytes(source))
    else:
        fp = source
    try:
        # The bomb check is ours (below); PIL's would raise a warning or a DecompressionBombError.
        saved, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
        try:
            img = Image.open(fp)
        finally:
            Image.MAX_IMAGE_PIXELS = saved
    except UnidentifiedImageError as exc:
        raise BadInput(
            f"'{name}' is not an image Studio can read (use PNG, JPEG, WebP or TIFF).", str(exc)
        ) from exc
    except OSError as exc:
        raise BadInput(f"'{name}' could not be read.", str(exc)) from exc
    return img, name


def check_size(width: int, height: int, name: str = "The image") -> None:
    """Refuse 0-pixel and gigantic images before any pixel is decoded."""
    if width <= 0 or height <= 0:
        raise BadInput(f"{name} has no pixels ({width}x{height}).")
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise BadInput(
            f"{name} is too large ({width}x{height}). Studio opens images up to "
            f"{MAX_PIXELS // 1_000_000} megapixels; scale it down first.",
        )


def load_image(source: Any, mode: str = "RGB", *, name: str | None = None) -> Any:
    """Decode ``source`` (path, bytes or file object) to a PIL image in ``mode``, upright.

    Every workspace opens user images through this function. Raises :class:`BadInput` for
    anything that is not a complete, supported, sane-sized image (the size is checked from
    the header, before decoding: a decompression bomb never reaches memory). ``name`` is
    the file name used in messages (for bytes and file objects).
    """
    from PIL import Image, ImageOps

    img, name = _open(source, name)
    fmt = (img.format or "").upper()
    if fmt not in SUPPORTED_FORMATS:
        raise BadInput(
            f"'{name}' is a {fmt or 'unknown'} file; Studio reads PNG, JPEG, WebP and TIFF."
        )
    check_size(img.width, img.height, f"'{name}'")
    try:
        img.load()  # a truncated file fails here, not later inside a pipeline
        img = ImageOps.exif_transpose(img) or img
        img = _to_8bit(img)
        if mode == "RGB" and img.mode in ("RGBA", "LA", "P", "PA"):
            # Transparent pixels have arbitrary colour under them; composite on white.
            rgba = img.convert("RGBA")
            base = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            img = Image.alpha_composite(base, rgba)
        out = img.convert(mode)
    except (OSError, SyntaxError, ValueError) as exc:
        raise BadInput(
            f"'{name}' is damaged or truncated and could not be read.", str(exc)
        ) from exc
    return out


def _to_8bit(img: Any) -> Any:
    """16-bit and 32-bit greyscale (scans, TIFFs) to 8-bit: PIL's convert() would clip them."""
    if img.mode not in ("I", "I;16", "I;16B", "I;16L", "F"):
        return img
    import numpy as np
    from PIL import Image

    arr = np.asarray(img, dtype=np.float32)
    top = 1.0 if img.mode == "F" and arr.max() <= 1.0 else (255.0 if arr.max() <= 255 else 65535.0)
    return Image.fromarray(np.clip(np.round(arr / top * 255), 0, 255).astype(np.uint8), "L")


def load_mask(source: Any, size: tuple[int, int] | None = None) -> Any:
    """Load a mask file as a uint8 numpy array (0 or 255), checking it matches ``size`` (w, h).

    White marks the selected region; for images with transparency, the opaque part does.
    """
    import numpy as np
    from PIL import ImageOps

    img, name = _open(source)
    check_size(img.width, img.height, f"'{name}'")
    try:
        img.load()
        img = _to_8bit(ImageOps.exif_transpose(img) or img)
        gray = img.convert("L")
        if "A" in img.getbands():
            alpha = img.getchannel("A")
            if alpha.getextrema()[0] < 255:  # a real cut-out: the opaque part is the selection
                gray = alpha
    except (OSError, SyntaxError, ValueError) as exc:
        raise BadInput(f"The mask '{name}' is damaged and could not be read.", str(exc)) from exc
    arr = (np.asarray(gray) >= 128).astype(np.uint8) * 255
    if size is not None:
        check_mask(arr, size)
    return arr


def check_mask(mask: Any, size: tuple[int, int], *, allow_empty: bool = False) -> Any:
    """Validate a mask against an image ``size`` (w, h); return it as a uint8 0/255 array.

    ``mask`` may also be a file (path or bytes), as a server job's uploaded mask is."""
    import numpy as np

    if _is_file_source(mask):
        mask = load_mask(mask)
    arr = np.asarray(mask)
    if arr.ndim == 3:
        arr = arr[:, :, -1] if arr.shape[2] in (2, 4) else arr[:, :, 0]
    if arr.ndim != 2:
        raise BadInput(f"The mask must be a single-channel image, got shape {arr.shape}.")
    w, h = size
    if arr.shape != (h, w):
        raise BadInput(
            f"The mask is {arr.shape[1]}x{arr.shape[0]} but the image is {w}x{h}; "
            "they must be the same size."
        )
    if arr.dtype == bool:
        arr = arr.astype(np.uint8) * 255
    elif arr.dtype != np.uint8:
        # Float masks are 0..1 coverage (soft edges survive as 0..255).
        arr = np.round(np.clip(np.asarray(arr, dtype=np.float32), 0, 1) * 255).astype(np.uint8)
    if not allow_empty and not arr.any():
        raise BadInput("The mask is empty: select or paint the area first.")
    return arr


def _is_file_source(value: Any) -> bool:
    return isinstance(value, (str, Path, bytes, bytearray))


def to_array(image: Any) -> Any:
    """PIL image, array or image file (path or bytes, as a server job's uploaded input is)
    to an ``HxWx3`` uint8 RGB array (a copy)."""
    import numpy as np

    if _is_file_source(image):
        image = load_image(image)
    if hasattr(image, "convert"):
        return np.array(image.convert("RGB"), dtype=np.uint8)
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4):
        raise BadInput(f"Expected an RGB image, got an array of shape {arr.shape}.")
    return np.array(arr[:, :, :3], dtype=np.uint8)


def image_hash(image: Any) -> str:
    """A content hash of the pixels (and size), for caching per-image work like embeddings."""
    arr = to_array(image)
    h = hashlib.sha1(f"{arr.shape}".encode())
    h.update(arr.tobytes())
    return h.hexdigest()


def save_image(
    image: Any, path: str | Path, metadata: dict[str, str] | None = None, quality: int = 95
) -> Path:
    """Save by extension (PNG, JPEG, WebP, TIFF); ``metadata`` goes into PNG text chunks."""
    from PIL import Image, PngImagePlugin

    path = Path(path)
    if not hasattr(image, "save"):
        image = Image.fromarray(image)
    ext = path.suffix.lower()
    kwargs: dict[str, Any] = {}
    if ext == ".png":
        info = PngImagePlugin.PngInfo()
        for key, value in (metadata or {}).items():
            info.add_text(key, str(value))
        kwargs["pnginfo"] = info
    elif ext in (".jpg", ".jpeg", ".webp"):
        if ext != ".webp" and image.mode not in ("RGB", "L"):
            image = flatten(image)  # JPEG has no alpha: composite, as the GUI export does
        kwargs["quality"] = quality
    elif ext not in (".tif", ".tiff"):
        raise BadInput(f"Cannot save '{path.name}': use .png, .jpg, .webp or .tif.")
    from studio.core.outputs import atomic_path

    # never leave a half-written file under the real name
    with atomic_path(path) as tmp:
        image.save(tmp, format=_FORMAT_BY_EXT[ext], **kwargs)
    return path


def flatten(image: Any, background: tuple[int, int, int] = (255, 255, 255)) -> Any:
    """An RGB copy of ``image`` with any transparency composited over ``background``."""
    from PIL import Image

    if image.mode in ("RGB", "L"):
        return image
    if image.mode == "P" and "transparency" not in image.info:
        return image.convert("RGB")
    rgba = image.convert("RGBA")
    base = Image.new("RGBA", rgba.size, (*background, 255))
    return Image.alpha_composite(base, rgba).convert("RGB")


_FORMAT_BY_EXT = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".webp": "WEBP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
}
