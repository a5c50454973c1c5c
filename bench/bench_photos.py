"""Photo pipeline: sanitize an upload and make its three derivatives, against Pillow's floor.

The floor is Pillow decoding the same JPEG at reduced scale (draft mode) and resizing it to the
largest derivative: the least work any pipeline must do to produce a display image.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import case, median, p95, timings

SIZES = {"thumb": 320, "medium": 960, "large": 1920}


def sample_jpeg(width: int, height: int) -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (width, height), (120, 80, 40))
    draw = ImageDraw.Draw(img)
    for i in range(0, width, 40):  # some structure, so JPEG does real work
        draw.line([(i, 0), (width - i, height)], fill=(i % 255, 200, (i * 3) % 255), width=7)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated, as phones write it
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def run(quick: bool = False) -> list[dict[str, Any]]:
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")
    import django

    django.setup()
    from PIL import Image

    from core.images import resized, sanitize_image

    results = []
    shapes = [(1600, 1200)] if quick else [(1600, 1200), (4032, 3024)]
    repeat = 5 if quick else 15
    for width, height in shapes:
        data = sample_jpeg(width, height)

        def pipeline(data: bytes = data) -> None:
            clean = sanitize_image(data)
            for side in SIZES.values():
                resized(clean.data, side)

        def floor(data: bytes = data) -> None:
            with Image.open(io.BytesIO(data)) as im:
                im.draft("RGB", (SIZES["large"], SIZES["large"]))
                im.convert("RGB").thumbnail((SIZES["large"], SIZES["large"]))

        t_pipe = timings(pipeline, repeat=repeat, warmup=1)
        t_floor = timings(floor, repeat=repeat, warmup=1)
        label = f"{width}x{height} JPEG ({len(data) // 1024} KiB)"
        results.append(case("photos", f"{label} median", median(t_pipe), median(t_floor)))
        results.append(case("photos", f"{label} p95", p95(t_pipe), p95(t_floor)))
    return results


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(row)
