"""Text drawn on pictures (evidence stamps, zone names, detection labels) in any script, Chinese included.

OpenCV's built-in Hershey fonts know only ASCII: a Chinese zone name came out as "???". Text is drawn
with Pillow and a CJK-capable font (Noto Sans CJK from the fonts-noto-cjk package, which `make setup`
installs), then blended into the BGR frame. Without such a font, Pillow's own font is used: Latin text
still reads, and a warning names the package to install.
"""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

log = logging.getLogger(__name__)

FONT_ENV = "LANEWATCH_FONT"  # a .ttf/.otf/.ttc to use instead of the ones searched below
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Medium.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)
SC_INDEX = 2  # in the Noto Sans CJK collection: 0 JP, 1 KR, 2 SC (simplified Chinese glyph shapes), 3 TC

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@lru_cache(maxsize=1)
def font_path() -> Path | None:
    """The CJK-capable font file used for all text on pictures, or None when there is none."""
    chosen = os.environ.get(FONT_ENV)
    for candidate in (chosen, *FONT_CANDIDATES):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    log.warning(
        "no CJK font found (install fonts-noto-cjk or set %s): Chinese text on pictures will not read", FONT_ENV
    )
    return None


@lru_cache(maxsize=32)
def font(pixels: int) -> Font:
    """The font at a height of about `pixels`."""
    path = font_path()
    if path is not None:
        index = SC_INDEX if path.name.startswith("NotoSansCJK") else 0
        try:
            return ImageFont.truetype(str(path), pixels, index=index)
        except OSError:
            return ImageFont.truetype(str(path), pixels)
    return ImageFont.load_default(pixels)


def text_mask(text: str, pixels: int) -> np.ndarray:
    """The text's coverage (0–1, float32) in a tight box: height × width."""
    face = font(pixels)
    left, top, right, bottom = face.getbbox(text)
    width, height = max(1, int(right - left)), max(1, int(bottom - top))
    mask = Image.new("L", (width, height), 0)
    ImageDraw.Draw(mask).text((-left, -top), text, font=face, fill=255)
    return np.asarray(mask, dtype=np.float32) / 255.0


def draw_text_box(
    image: np.ndarray,
    text: str,
    origin: tuple[int, int],
    pixels: int,
    background: tuple[int, int, int],
    colour: tuple[int, int, int] = (255, 255, 255),
) -> None:
    """`text` on a filled box whose bottom-left is near `origin`, kept inside the picture, in place (BGR)."""
    mask = text_mask(text, pixels)
    h, w = mask.shape
    pad = max(2, pixels // 6)
    box_w, box_h = w + 2 * pad, h + 2 * pad
    rows, cols = image.shape[:2]
    x = min(max(0, origin[0]), max(0, cols - box_w))
    y_bottom = min(max(origin[1], box_h), rows)
    y = max(0, y_bottom - box_h)
    image[y : y + box_h, x : x + box_w] = background
    ty, tx = y + pad, x + pad
    region = image[ty : ty + h, tx : tx + w]
    cover = mask[: region.shape[0], : region.shape[1], None]
    region[:] = (region * (1.0 - cover) + np.asarray(colour, dtype=np.float32) * cover).astype(image.dtype)
