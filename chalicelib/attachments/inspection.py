"""What one uploaded file really is, and what of it is kept: the check made before anyone sees it.

The type comes from the bytes (never the name or the declared header). Images are decoded under a
pixel limit, turned upright and re-encoded from their pixels alone, so EXIF (GPS location, camera,
time), XMP, ICC profiles and comments are not carried over; HEIC/HEIF is kept as JPEG, which
browsers can show. PDFs are kept as uploaded once they are known to hold no script, automatic
action or embedded file, and to be small enough to walk whole.

Pillow, pi-heif, pypdf and filetype are imported when a file is inspected, never at cold
start: the API's pages do not need them.
"""

from __future__ import annotations

import hashlib
import io
import logging
import struct
import warnings
import zlib
from collections.abc import Collection
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from PIL import Image as PILImage
    from pypdf import PdfReader

log = logging.getLogger(__name__)

REFUSAL_CODES = (
    "empty",
    "too_large",
    "type_not_accepted",
    "unreadable",
    "too_many_pixels",
    "pdf_active_content",
    "pdf_embedded_files",
    "pdf_encrypted",
    "cannot_check",
)

JPEG, PNG, WEBP, HEIC, HEIF, PDF = (
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/heic",
    "image/heif",
    "application/pdf",
)
# The types this module can check; an agency's accepted types must be among them.
INSPECTABLE_TYPES = frozenset({JPEG, PNG, WEBP, HEIC, HEIF, PDF})
# media type -> (Pillow's format name, the stored type, the stored name's extension)
_IMAGE_FORMATS = {
    JPEG: ("JPEG", JPEG, "jpg"),
    PNG: ("PNG", PNG, "png"),
    WEBP: ("WEBP", WEBP, "webp"),
    HEIC: ("HEIF", JPEG, "jpg"),
    HEIF: ("HEIF", JPEG, "jpg"),
}
JPEG_QUALITY = 88
THUMBNAIL_SIDE = 320
THUMBNAIL_QUALITY = 80
MAX_PDF_PAGES = 500
# Dictionaries and arrays walked in one PDF; a 500-page scan holds a few thousand.
MAX_PDF_OBJECTS = 100_000

# ISO base media brands (the `ftyp` box) of HEIF images; filetype knows only `heic` and `mif1`.
_HEIC_BRANDS = frozenset({"heic", "heix", "heim", "heis", "hevc", "hevx"})
_HEIF_BRANDS = frozenset({"mif1", "msf1"})

# Keys and action types that run something when a PDF is opened or clicked.
_ACTIVE_KEYS = frozenset({"/JS", "/JavaScript", "/AA", "/XFA"})
_ACTIVE_SUBTYPES = frozenset({"/RichMedia"})
_ACTIVE_ACTIONS = frozenset(
    {
        "/JavaScript",
        "/Launch",
        "/ImportData",
        "/SubmitForm",
        "/Rendition",
        "/RichMediaExecute",
        "/GoToE",
    }
)
_EMBEDDED_KEYS = frozenset({"/EmbeddedFiles", "/EF"})
_EMBEDDED_SUBTYPES = frozenset({"/FileAttachment"})

# What Pillow and its plugins raise on a file they cannot decode (UnidentifiedImageError and
# "image file is truncated" are OSErrors); none of them is a fault of ours.
_IMAGE_DECODE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, struct.error, zlib.error)


@dataclass(frozen=True)
class Inspected:
    """A file that passed: what it really is and the bytes to keep."""

    media_type: str
    extension: str
    data: bytes
    sha256: str
    size: int
    width: int | None = None
    height: int | None = None
    thumbnail: bytes | None = None
    pages: int | None = None


class Refused(Exception):
    """The file is not kept. `code` is one of REFUSAL_CODES, for the resident's message;
    `detail` is English for logs and tests, and never quotes the file's content."""

    def __init__(self, code: str, detail: str) -> None:
        if code not in REFUSAL_CODES:
            raise ValueError(f"unknown refusal code {code!r}")
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


def inspect(
    data: bytes,
    *,
    accepted_types: Collection[str],
    max_bytes: int,
    max_pixels: int = 50_000_000,
) -> Inspected:
    """Check one uploaded file and return what is kept of it, or raise Refused."""
    if len(data) > max_bytes:
        raise Refused("too_large", f"{len(data)} bytes, more than the {max_bytes} allowed")
    if not data:
        raise Refused("empty", "the file has no bytes")
    media_type = sniff(data)
    if media_type is None or media_type not in accepted_types:
        raise Refused("type_not_accepted", f"the bytes are {media_type or 'of no known type'}")
    try:
        if media_type == PDF:
            return _inspect_pdf(data)
        if media_type in _IMAGE_FORMATS:
            return _inspect_image(data, media_type, max_pixels)
    except ImportError as error:
        # A deployment whose package lacks a decoder (a wheel the build could not take): the
        # file is not kept unchecked, the resident is told to try later, operators are told why.
        log.error("attachment decoder missing", extra={"media_type": media_type})
        raise Refused("cannot_check", f"no decoder for {media_type}: {error.name}") from error
    raise Refused("type_not_accepted", f"{media_type} is accepted but cannot be inspected")


def sniff(data: bytes) -> str | None:
    """The media type the bytes themselves say, or None."""
    import filetype  # type: ignore[import-untyped]

    heif_family = _heif_type(data)
    if heif_family is not None:
        return heif_family
    kind: str | None = filetype.guess_mime(data)
    return kind


def _heif_type(data: bytes) -> str | None:
    if len(data) < 16 or data[4:8] != b"ftyp":
        return None
    box_end = min(int.from_bytes(data[0:4], "big"), len(data), 4096)
    major = data[8:12].decode("latin-1")
    brands = {data[i : i + 4].decode("latin-1") for i in range(16, box_end - 3, 4)}
    if major in _HEIC_BRANDS or (major in _HEIF_BRANDS and brands & _HEIC_BRANDS):
        return HEIC
    if major in _HEIF_BRANDS and "avif" not in brands:
        return HEIF
    return None


def _digest(media_type: str, extension: str, data: bytes, **shape: Any) -> Inspected:
    return Inspected(
        media_type=media_type,
        extension=extension,
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        **shape,
    )


# ---------------------------------------------------------------------------------------- images


@cache
def _register_heif() -> None:
    import pi_heif

    # Only the primary picture: a phone's embedded thumbnails and depth maps are never kept.
    pi_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)


def _inspect_image(data: bytes, media_type: str, max_pixels: int) -> Inspected:
    from PIL import Image, ImageOps

    pillow_format, stored_type, extension = _IMAGE_FORMATS[media_type]
    if pillow_format == "HEIF":
        _register_heif()
    with warnings.catch_warnings():
        # Pillow's own bomb guard warns past its limit and raises past twice that; both refuse.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=[pillow_format]) as opened:
                # Only the header has been read: refuse a bomb before its pixels are decoded.
                width, height = opened.size
                if width * height > max_pixels:
                    raise Refused(
                        "too_many_pixels",
                        f"{width} x {height} pixels, more than the {max_pixels} allowed",
                    )
                opened.load()
                upright = ImageOps.exif_transpose(opened)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as bomb:
            raise Refused("too_many_pixels", "over Pillow's decompression bomb limit") from bomb
        except _IMAGE_DECODE_ERRORS as error:
            raise Refused(
                "unreadable", f"the image cannot be decoded ({type(error).__name__})"
            ) from error
    kept = _encode(upright, pillow_format if stored_type != JPEG else "JPEG")
    return _digest(
        stored_type,
        extension,
        kept,
        width=upright.width,
        height=upright.height,
        thumbnail=_thumbnail(upright),
    )


def _encode(image: PILImage.Image, pillow_format: str) -> bytes:
    """The pixels alone, in the stored format: nothing of the upload's metadata."""
    if pillow_format == "JPEG":
        image = _opaque(image)
        options: dict[str, Any] = {"quality": JPEG_QUALITY}
    elif pillow_format == "PNG":
        if image.mode not in ("1", "L", "LA", "I", "I;16", "RGB", "RGBA"):
            image = image.convert("RGBA" if _has_alpha(image) else "RGB")
        options = {}
    else:  # WebP
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA" if _has_alpha(image) else "RGB")
        options = {"quality": JPEG_QUALITY}
    image = image.copy()
    image.info = {}  # Pillow's writers may read EXIF, ICC or XMP from here; none must survive.
    out = io.BytesIO()
    image.save(out, format=pillow_format, **options)
    return out.getvalue()


def _thumbnail(image: PILImage.Image) -> bytes:
    small = _opaque(image).copy()
    small.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    small.info = {}
    out = io.BytesIO()
    small.save(out, format="JPEG", quality=THUMBNAIL_QUALITY)
    return out.getvalue()


def _has_alpha(image: PILImage.Image) -> bool:
    return "A" in image.getbands() or "transparency" in image.info


def _opaque(image: PILImage.Image) -> PILImage.Image:
    """RGB or greyscale, transparent areas on white, as a JPEG holds it."""
    from PIL import Image

    if image.mode in ("RGB", "L"):
        return image
    if _has_alpha(image):
        rgba = image.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return image.convert("RGB")


# ------------------------------------------------------------------------------------------ PDFs


def _inspect_pdf(data: bytes) -> Inspected:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise Refused("pdf_encrypted", "the PDF is encrypted")
        _walk(reader)
        pages = len(reader.pages)
    except Refused:
        raise
    except (
        PyPdfError,
        OSError,
        ValueError,
        TypeError,
        KeyError,
        IndexError,
        AttributeError,
        RecursionError,
        AssertionError,
        zlib.error,
    ) as error:
        # pypdf meets a malformed file with whichever of these its parser trips on.
        raise Refused("unreadable", f"the PDF cannot be parsed ({type(error).__name__})") from error
    if pages == 0:
        raise Refused("unreadable", "the PDF has no pages")
    if pages > MAX_PDF_PAGES:
        raise Refused("too_large", f"{pages} pages, more than the {MAX_PDF_PAGES} inspected")
    return _digest(PDF, "pdf", data, pages=pages)


def _walk(reader: PdfReader) -> None:
    """Every dictionary and array reachable from the trailer, each object once, stopping after
    MAX_PDF_OBJECTS: what a viewer could act on. Stream contents are never decoded here."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    seen: set[tuple[int, int]] = set()
    pending: list[Any] = [v for k, v in dict.items(reader.trailer) if k in ("/Root", "/Info")]
    walked = 0
    while pending:
        item = pending.pop()
        if isinstance(item, IndirectObject):
            reference = (item.idnum, item.generation)
            if reference in seen:
                continue
            seen.add(reference)
            item = item.get_object()
        if isinstance(item, DictionaryObject):
            _check_dictionary(item)
            children: list[Any] = list(dict.values(item))
        elif isinstance(item, ArrayObject):
            children = list(item)
        else:
            continue
        walked += 1
        if walked > MAX_PDF_OBJECTS:
            raise Refused("unreadable", f"more than {MAX_PDF_OBJECTS} objects to inspect")
        pending.extend(
            child
            for child in children
            if isinstance(child, IndirectObject | DictionaryObject | ArrayObject)
        )


def _check_dictionary(item: dict[Any, Any]) -> None:
    keys = set(item)
    if keys & _ACTIVE_KEYS:
        _refuse_active(f"a {sorted(keys & _ACTIVE_KEYS)[0]} entry")
    action, subtype = _name(item.get("/S")), _name(item.get("/Subtype"))
    if action in _ACTIVE_ACTIONS:
        _refuse_active(f"a {action} action")
    if subtype in _ACTIVE_SUBTYPES:
        _refuse_active(f"a {subtype} annotation")
    if (
        keys & _EMBEDDED_KEYS
        or subtype in _EMBEDDED_SUBTYPES
        or _name(item.get("/Type")) == "/EmbeddedFile"
    ):
        raise Refused("pdf_embedded_files", "the PDF carries an embedded file")


def _refuse_active(what: str) -> NoReturn:
    raise Refused("pdf_active_content", f"the PDF holds {what}")


def _name(value: Any) -> str | None:
    """A PDF name read without resolving a reference: actions name their type directly."""
    from pypdf.generic import NameObject

    return str(value) if isinstance(value, NameObject) else None
