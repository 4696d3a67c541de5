"""Issue 16, item 3: what an uploaded file really is, and what of it is kept.

Every fixture is made here, in code: photos with GPS EXIF written by Pillow, a decompression
bomb written chunk by chunk, PDFs written by pypdf.
"""

from __future__ import annotations

import hashlib
import io
import resource
import struct
import sys
import zlib
from collections.abc import Callable
from typing import Any

import pytest
from PIL import ExifTags, Image, ImageFile
from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    TextStringObject,
)

from chalicelib.attachments import inspection
from chalicelib.attachments.inspection import (
    INSPECTABLE_TYPES,
    REFUSAL_CODES,
    Inspected,
    Refused,
    inspect,
    sniff,
)
from tests.support.cold_start import cold_import

MB = 1024 * 1024
LIMIT = 20 * MB
PORTLAND: dict[int, Any] = {  # somewhere a resident would rather not say they live
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (45.0, 31.0, 12.5),
    ExifTags.GPS.GPSLongitudeRef: "W",
    ExifTags.GPS.GPSLongitude: (122.0, 40.0, 55.25),
}


def check(data: bytes, **limits: Any) -> Inspected:
    options: dict[str, Any] = {"accepted_types": INSPECTABLE_TYPES, "max_bytes": LIMIT}
    return inspect(data, **(options | limits))


def refusal(data: bytes, **limits: Any) -> Refused:
    with pytest.raises(Refused) as refused:
        check(data, **limits)
    assert refused.value.code in REFUSAL_CODES
    return refused.value


def exif_with_gps(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "Phone maker"
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(PORTLAND)
    return exif


def half_red_half_blue(width: int = 64, height: int = 32) -> Image.Image:
    image = Image.new("RGB", (width, height), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, width // 2, height))
    return image


def encoded(image: Image.Image, image_format: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, format=image_format, **options)
    return out.getvalue()


def heic(image: Image.Image, **options: Any) -> bytes:
    """An iPhone's photo, encoded by pillow-heif (a test dependency) without registering it with
    Pillow: what reads it back is the package's own decoder, pi-heif."""
    import pillow_heif

    out = io.BytesIO()
    pillow_heif.from_pillow(image).save(out, **options)
    return out.getvalue()


def photo_with_gps(orientation: int = 6) -> bytes:
    """A phone photo held sideways: stored 64 wide and 32 high, shown upright when turned."""
    return encoded(
        half_red_half_blue(),
        "JPEG",
        exif=exif_with_gps(orientation),
        icc_profile=b"not really a colour profile",
        comment=b"taken at home",
        xmp=b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>at home</x:xmpmeta>",
    )


def read_back(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def assert_nothing_but_pixels(image: Image.Image) -> None:
    assert not image.getexif()
    assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    for key in ("exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "comment", "Comment"):
        assert key not in image.info


def pdf(build: Callable[[PdfWriter], object] | None = None, pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=612, height=792)
    if build is not None:
        build(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# ------------------------------------------------------------------------------------ images


def test_a_photo_loses_its_exif_and_gps_and_is_kept_upright() -> None:
    upload = photo_with_gps(orientation=6)
    assert read_back(upload).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the fixture has them

    kept = check(upload)

    assert (kept.media_type, kept.extension) == ("image/jpeg", "jpg")
    stored = read_back(kept.data)
    assert stored.format == "JPEG"
    assert_nothing_but_pixels(stored)
    assert b"Exif" not in kept.data and b"taken at home" not in kept.data
    # Orientation 6: the stored left (red) half is the top of the picture as it is seen.
    assert (kept.width, kept.height) == stored.size == (32, 64)
    red, _, blue = stored.convert("RGB").getpixel((16, 8))  # type: ignore[misc]
    assert red > 200 and blue < 60
    assert kept.sha256 == hashlib.sha256(kept.data).hexdigest()
    assert kept.size == len(kept.data)
    assert kept.pages is None


def test_every_image_gets_a_jpeg_thumbnail_at_most_320_pixels_long() -> None:
    kept = check(encoded(half_red_half_blue(1000, 400), "PNG"))

    assert kept.thumbnail is not None
    thumbnail = read_back(kept.thumbnail)
    assert thumbnail.format == "JPEG"
    assert thumbnail.size == (320, 128)
    assert_nothing_but_pixels(thumbnail)
    assert (kept.width, kept.height) == (1000, 400)


def test_a_thumbnail_of_a_small_image_is_not_enlarged() -> None:
    kept = check(encoded(half_red_half_blue(40, 30), "JPEG"))

    assert kept.thumbnail is not None
    assert read_back(kept.thumbnail).size == (40, 30)


def test_a_png_is_kept_as_png_with_the_same_pixels_and_no_metadata() -> None:
    from PIL.PngImagePlugin import PngInfo

    text = PngInfo()
    text.add_text("Comment", "taken at home")
    original = half_red_half_blue().convert("RGBA")
    upload = encoded(original, "PNG", pnginfo=text, exif=exif_with_gps())

    kept = check(upload)

    assert (kept.media_type, kept.extension) == ("image/png", "png")
    stored = read_back(kept.data)
    assert stored.format == "PNG"
    assert_nothing_but_pixels(stored)
    assert stored.mode == "RGBA"
    assert stored.tobytes() == original.tobytes()


def test_a_palette_png_with_transparency_keeps_its_transparency() -> None:
    original = Image.new("P", (20, 10), 0)
    original.putpalette([255, 0, 0, 0, 0, 255])
    original.paste(1, (10, 0, 20, 10))
    upload = encoded(original, "PNG", transparency=0)

    stored = read_back(check(upload).data)

    assert stored.mode == "RGBA"
    assert stored.getpixel((0, 0))[3] == 0  # type: ignore[index]
    assert stored.getpixel((15, 5)) == (0, 0, 255, 255)


def test_a_webp_is_kept_as_webp_without_its_exif() -> None:
    upload = encoded(half_red_half_blue(), "WEBP", exif=exif_with_gps(), quality=90)

    kept = check(upload)

    assert (kept.media_type, kept.extension) == ("image/webp", "webp")
    stored = read_back(kept.data)
    assert stored.format == "WEBP"
    assert_nothing_but_pixels(stored)
    assert stored.size == (64, 32)


def test_a_heic_photo_is_kept_as_jpeg_upright_without_its_exif() -> None:
    upload = heic(half_red_half_blue(), exif=exif_with_gps(orientation=6).tobytes())
    assert sniff(upload) == "image/heic"

    kept = check(upload)

    assert (kept.media_type, kept.extension) == ("image/jpeg", "jpg")
    stored = read_back(kept.data)
    assert stored.format == "JPEG"
    assert_nothing_but_pixels(stored)
    assert (kept.width, kept.height) == stored.size == (32, 64)


def test_a_package_without_a_decoder_refuses_the_file_for_now_rather_than_fail(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    upload = heic(half_red_half_blue())
    monkeypatch.setitem(sys.modules, "pi_heif", None)  # as a package built without its wheel
    inspection._register_heif.cache_clear()

    try:
        with pytest.raises(Refused) as refused:
            check(upload)
    finally:
        inspection._register_heif.cache_clear()

    assert refused.value.code == "cannot_check"
    assert "attachment decoder missing" in caplog.text


def test_a_cmyk_jpeg_is_kept_as_an_rgb_jpeg() -> None:
    upload = encoded(half_red_half_blue().convert("CMYK"), "JPEG")

    stored = read_back(check(upload).data)

    assert stored.mode == "RGB"


def test_heif_brands_filetype_does_not_know_are_recognised() -> None:
    def ftyp(major: bytes, *compatible: bytes) -> bytes:
        body = major + b"\0\0\0\0" + b"".join(compatible)
        return struct.pack(">I", 8 + len(body)) + b"ftyp" + body + bytes(32)

    assert sniff(ftyp(b"heix", b"mif1", b"heix")) == "image/heic"
    assert sniff(ftyp(b"mif1", b"mif1", b"heic")) == "image/heic"
    assert sniff(ftyp(b"mif1", b"mif1")) == "image/heif"
    assert sniff(ftyp(b"avif", b"mif1", b"avif")) == "image/avif"
    assert sniff(ftyp(b"isom", b"mp41")) == "video/mp4"


# ----------------------------------------------------------------------- refused before decoding


@pytest.mark.parametrize(
    "header",
    [b"\x7fELF\x02\x01\x01\x00", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00"],
    ids=["elf", "windows-exe"],
)
def test_an_executable_named_jpg_is_not_accepted(header: bytes) -> None:
    refused = refusal(header + bytes(4096))

    assert refused.code == "type_not_accepted"


def test_the_type_comes_from_the_bytes_and_must_be_one_the_agency_accepts() -> None:
    png = encoded(half_red_half_blue(), "PNG")

    assert refusal(png, accepted_types={"image/jpeg"}).code == "type_not_accepted"
    assert check(png, accepted_types={"image/png"}).media_type == "image/png"
    assert refusal(b"just some text, not a picture\n" * 10).code == "type_not_accepted"


def test_an_accepted_type_that_cannot_be_inspected_is_still_refused() -> None:
    gif = encoded(half_red_half_blue(), "GIF")

    refused = refusal(gif, accepted_types={"image/gif"})

    assert refused.code == "type_not_accepted"


def test_a_truncated_jpeg_is_unreadable() -> None:
    noisy = Image.effect_noise((400, 300), 64).convert("RGB")
    whole = encoded(noisy, "JPEG", quality=95)

    refused = refusal(whole[: len(whole) // 2])

    assert refused.code == "unreadable"
    assert not ImageFile.LOAD_TRUNCATED_IMAGES


def test_a_30_mb_file_is_refused_under_a_20_mb_limit_before_it_is_read() -> None:
    upload = b"\xff\xd8\xff\xe0" + bytes(30 * MB)

    refused = refusal(upload, max_bytes=20 * MB)

    assert refused.code == "too_large"


def test_a_file_of_exactly_the_limit_is_read() -> None:
    upload = encoded(half_red_half_blue(), "PNG")

    assert check(upload, max_bytes=len(upload)).size > 0


def test_an_empty_file_is_refused() -> None:
    assert refusal(b"").code == "empty"


def png_of(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of any size, written a row at a time: a 40,000 x 40,000 one is a few
    hundred kB here and 1.6 GB of pixels once decoded."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    packer = zlib.compressobj(9)
    row = bytes(1 + (width + 7) // 8)  # filter byte, then the row's bits
    pixels = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return png_of(40_000, 40_000)


def test_a_40000_by_40000_png_is_refused_before_its_pixels_are_decoded(
    bomb: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoded: list[object] = []
    real_load = ImageFile.ImageFile.load

    def spy(image: ImageFile.ImageFile) -> Any:
        decoded.append(image)
        return real_load(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    assert len(bomb) < 1 * MB
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    refused = refusal(bomb)

    assert refused.code == "too_many_pixels"
    assert decoded == []  # refused from the header alone
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before
    assert grown_kb < 100 * 1024  # decoding would have taken 1.6 GB


def test_the_pixel_limit_is_the_callers() -> None:
    upload = encoded(half_red_half_blue(100, 100), "PNG")

    assert refusal(upload, max_pixels=9_999).code == "too_many_pixels"
    assert check(upload, max_pixels=10_000).width == 100


# -------------------------------------------------------------------------------------- PDFs


def test_a_plain_pdf_is_kept_as_uploaded_with_its_page_count() -> None:
    upload = pdf(pages=3)

    kept = check(upload)

    assert (kept.media_type, kept.extension) == ("application/pdf", "pdf")
    assert kept.data == upload
    assert kept.pages == 3
    assert kept.sha256 == hashlib.sha256(upload).hexdigest()
    assert kept.size == len(upload)
    assert (kept.width, kept.height, kept.thumbnail) == (None, None, None)


def test_a_pdf_with_a_web_link_is_accepted() -> None:
    from fpdf import FPDF

    document = FPDF()
    document.add_page()
    document.set_font("helvetica", size=12)
    document.cell(text="Receipt, see our returns policy", link="https://shop.example/returns")
    upload = bytes(document.output())

    assert check(upload).pages == 1


def test_a_pdf_with_javascript_is_refused() -> None:
    upload = pdf(lambda writer: writer.add_open_action(JavaScript("app.alert('hello');")))

    refused = refusal(upload)

    assert refused.code == "pdf_active_content"


def action(kind: str, **entries: Any) -> DictionaryObject:
    fields = {NameObject("/Type"): NameObject("/Action"), NameObject("/S"): NameObject(kind)}
    return DictionaryObject(fields | {NameObject(k): v for k, v in entries.items()})


def link_to(target: DictionaryObject) -> DictionaryObject:
    rectangle = ArrayObject([FloatObject(0), FloatObject(0), FloatObject(100), FloatObject(20)])
    return DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): rectangle,
            NameObject("/A"): target,
        }
    )


def on_first_page(key: str, value: Any) -> Callable[[PdfWriter], None]:
    def build(writer: PdfWriter) -> None:
        writer.pages[0][NameObject(key)] = writer._add_object(value)

    return build


def open_action(value: DictionaryObject) -> Callable[[PdfWriter], None]:
    def build(writer: PdfWriter) -> None:
        writer._root_object[NameObject("/OpenAction")] = writer._add_object(value)

    return build


ACTIVE = {
    "open-action-javascript": open_action(
        action("/JavaScript", **{"/JS": TextStringObject("app.alert(1)")})
    ),
    "open-action-launch": open_action(action("/Launch", **{"/F": TextStringObject("calc.exe")})),
    "page-opened-action": on_first_page(
        "/AA", DictionaryObject({NameObject("/O"): action("/GoTo")})
    ),
    "link-that-launches": on_first_page(
        "/Annots", ArrayObject([link_to(action("/Launch", **{"/F": TextStringObject("a.exe")}))])
    ),
    "link-that-submits-a-form": on_first_page(
        "/Annots",
        ArrayObject(
            [link_to(action("/SubmitForm", **{"/F": TextStringObject("https://x.example")}))]
        ),
    ),
}


@pytest.mark.parametrize("build", ACTIVE.values(), ids=ACTIVE.keys())
def test_a_pdf_that_runs_something_is_refused(build: Callable[[PdfWriter], None]) -> None:
    refused = refusal(pdf(build))

    assert refused.code == "pdf_active_content"


def test_a_pdf_with_an_embedded_file_is_refused() -> None:
    upload = pdf(lambda writer: writer.add_attachment("invoice.exe", b"MZ\x90\x00"))

    refused = refusal(upload)

    assert refused.code == "pdf_embedded_files"


def test_a_pdf_with_a_file_attachment_annotation_is_refused() -> None:
    attachment = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/FileAttachment"),
            NameObject("/Rect"): ArrayObject([FloatObject(0)] * 4),
        }
    )

    refused = refusal(pdf(on_first_page("/Annots", ArrayObject([attachment]))))

    assert refused.code == "pdf_embedded_files"


def test_an_encrypted_pdf_is_refused() -> None:
    upload = pdf(lambda writer: writer.encrypt(user_password="", owner_password="owner"))
    assert PdfReader(io.BytesIO(upload)).is_encrypted

    refused = refusal(upload)

    assert refused.code == "pdf_encrypted"


def test_a_file_that_only_starts_like_a_pdf_is_unreadable() -> None:
    refused = refusal(b"%PDF-1.7\n" + b"not a pdf at all " * 200)

    assert refused.code == "unreadable"


def test_a_truncated_pdf_is_unreadable() -> None:
    whole = pdf(pages=2)

    assert refusal(whole[: len(whole) // 3]).code == "unreadable"


def test_a_pdf_of_more_pages_than_are_inspected_is_refused() -> None:
    refused = refusal(pdf(pages=inspection.MAX_PDF_PAGES + 1))

    assert refused.code == "too_large"
    assert check(pdf(pages=inspection.MAX_PDF_PAGES)).pages == inspection.MAX_PDF_PAGES


def test_the_walk_through_a_pdf_stops_after_a_bounded_number_of_objects(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    upload = pdf(pages=20)
    monkeypatch.setattr(inspection, "MAX_PDF_OBJECTS", 10)

    refused = refusal(upload)

    assert refused.code == "unreadable"


# --------------------------------------------------------------------------------- the module


def test_a_refusal_has_a_known_code_and_an_english_detail() -> None:
    refused = Refused("unreadable", "the image cannot be decoded")

    assert (refused.code, refused.detail) == ("unreadable", "the image cannot be decoded")
    with pytest.raises(ValueError, match="unknown refusal code"):
        Refused("virus", "no such code")


def test_the_libraries_are_loaded_only_to_inspect_a_file() -> None:
    probe = (
        "import sys\n"
        "import app\n"
        "from chalicelib.attachments import inspection\n"
        "heavy = {'PIL', 'pi_heif', 'pillow_heif', 'pypdf', 'filetype'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
        "print('lazy')\n"
    )
    result = cold_import(probe)

    assert result.returncode == 0, result.stderr
    assert "lazy" in result.stdout
