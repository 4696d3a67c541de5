"""Processing one uploaded photo: what `inspection.inspect` costs for a phone's 12-megapixel
picture (4000 x 3000, GPS in its EXIF), as a JPEG and as an iPhone's HEIC.

Each figure is the median of a few runs in this process after one warm-up (the first run pays
the decoders' imports, measured apart by the cold-start part). The floor is decoding the same
bytes with Pillow alone: what any check that looks at the pixels must pay.
"""

from __future__ import annotations

import io
import statistics
import time
from collections.abc import Callable

from .results import Record

RUNS = 5
WIDTH, HEIGHT = 4000, 3000


def _photo() -> tuple[bytes, bytes]:
    """The same 12-megapixel scene as a JPEG and as a HEIC (pillow-heif, a test dependency,
    encodes it; the package only decodes, with pi-heif)."""
    import pillow_heif
    from PIL import Image, ImageDraw

    # Grain on a gradient: a camera's noise makes a photo's size (several MB), not flat colour.
    gradient = Image.linear_gradient("L").resize((WIDTH, HEIGHT))
    image = Image.merge(
        "RGB",
        [Image.blend(gradient, Image.effect_noise((WIDTH, HEIGHT), 24), 0.2) for _ in "RGB"],
    )
    draw = ImageDraw.Draw(image)
    for step in range(0, WIDTH, 250):
        draw.rectangle((step, step % HEIGHT, step + 120, (step % HEIGHT) + 400), fill=(180, 40, 40))
    exif = Image.Exif()
    exif[0x0112] = 6  # held sideways
    exif.get_ifd(0x8825).update({1: "N", 2: (41.0, 10.0, 30.0), 3: "W", 4: (73.0, 11.0, 5.0)})
    jpeg = io.BytesIO()
    image.save(jpeg, format="JPEG", quality=90, exif=exif)
    heic = io.BytesIO()
    pillow_heif.from_pillow(image).save(heic, quality=80, exif=exif.tobytes())
    return jpeg.getvalue(), heic.getvalue()


def _median_ms(action: Callable[[], object]) -> tuple[float, list[float]]:
    action()  # warm: imports and plugin registration are the cold-start part's
    runs = []
    for _ in range(RUNS):
        began = time.perf_counter()
        action()
        runs.append((time.perf_counter() - began) * 1000)
    return round(statistics.median(runs), 1), runs


def measure() -> list[Record]:
    from PIL import Image

    from chalicelib.agency import ATTACHMENT_TYPES
    from chalicelib.attachments.inspection import inspect

    jpeg, heic = _photo()
    found = []
    for label, data in (("JPEG", jpeg), ("HEIC", heic)):

        def decode_only(data: bytes = data) -> object:
            with Image.open(io.BytesIO(data)) as image:
                return image.load()

        def check(data: bytes = data) -> object:
            return inspect(data, accepted_types=ATTACHMENT_TYPES, max_bytes=20_000_000)

        if label == "HEIC":
            check()  # registers the HEIF opener the floor's Image.open needs
        floor, _ = _median_ms(decode_only)
        value, runs = _median_ms(check)
        found.append(
            Record(
                f"attachment: check a 12-megapixel {label} photo",
                value,
                "ms",
                floor,
                f"{len(data) / 1e6:.1f} MB with GPS EXIF: sniff, decode under the pixel limit, "
                "turn upright, re-encode without metadata, thumbnail, SHA-256; median of "
                f"{RUNS} (min {min(runs):.0f}, max {max(runs):.0f} ms). Floor: Pillow decoding "
                "the same bytes",
            )
        )
    return found
