"""Packing the looks of many cameras into a few fixed-size detector inputs ("sheets").

Why: every camera has its own lane, so every camera's crop has its own shape.
A detector input per crop shape meant one compiled model per shape (0.6–2 s
to compile, 90–280 MB each), compiles landing inside looks, and cameras of
different shapes never sharing a batch: 16 cameras with 16 lanes ran 3×
slower than 16 with one lane. Here each look is scaled as before (long side
to ``imgsz``: the same pixel density), then the looks of one batch are placed
side by side and one under another on sheets ``imgsz`` wide, whose height is
one of a few fixed steps (`sheet_heights`). The detector's input shapes are
known before the first camera connects, are compiled once, and one inference
serves several cameras; what it costs follows the pixels looked at, not how
many different lanes there are.

Tiles are kept ``GAP`` pixels apart on grey; a box is given to the tile its
centre falls in and clipped to it, so a box never straddles two cameras.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

STRIDE = 32
GAP = 16  # grey pixels between two tiles
HEIGHT_STEPS = 6  # sheet heights: imgsz × k / HEIGHT_STEPS, k = 1..HEIGHT_STEPS, rounded up to the stride


def sheet_heights(imgsz: int) -> tuple[int, ...]:
    """The sheet heights for ``imgsz`` (ascending; the last is ``imgsz``): the detector's only input heights."""
    steps = {
        min(imgsz, max(STRIDE, math.ceil(imgsz * k / HEIGHT_STEPS / STRIDE) * STRIDE))
        for k in range(1, HEIGHT_STEPS + 1)
    }
    return tuple(sorted(steps))


def scaled_size(height: int, width: int, imgsz: int) -> tuple[int, int, float]:
    """(height, width, scale) of an image on a sheet: its long side becomes ``imgsz``."""
    scale = imgsz / max(height, width)
    return max(1, min(imgsz, round(height * scale))), max(1, min(imgsz, round(width * scale))), scale


@dataclass(frozen=True, slots=True)
class Tile:
    """Where one look lies on a sheet: top-left corner and size in sheet pixels, and its scale."""

    index: int
    """The look's position in the batch."""
    x: int
    y: int
    width: int
    height: int
    scale: float


@dataclass(slots=True)
class Sheet:
    """One detector input: its height (width is always ``imgsz``) and the tiles placed on it."""

    height: int
    tiles: list[Tile]


def pack(sizes: list[tuple[int, int]], imgsz: int, heights: tuple[int, ...] | None = None) -> list[Sheet]:
    """Place images of ``sizes`` ((height, width) each) on as few sheets as shelf packing finds.

    Looks are taken tallest first; each shelf is as tall as its first look and is filled left to right,
    shelves are stacked top to bottom, and a sheet that is full is closed. Each sheet then gets the
    smallest of ``heights`` (default: `sheet_heights`) that holds what was placed on it.
    """
    heights = heights or sheet_heights(imgsz)
    scaled = [(i, *scaled_size(h, w, imgsz)) for i, (h, w) in enumerate(sizes)]
    scaled.sort(key=lambda item: (-item[1], -item[2], item[0]))
    sheets: list[Sheet] = []
    tiles: list[Tile] = []
    shelf_y, shelf_h, cursor_x = 0, 0, 0

    def close() -> None:
        used = max(t.y + t.height for t in tiles)
        sheets.append(Sheet(next(h for h in heights if h >= used), list(tiles)))
        tiles.clear()

    for index, height, width, scale in scaled:
        if tiles and cursor_x + GAP + width <= imgsz:  # tallest first: it fits under the shelf's height
            x, cursor_x = cursor_x + GAP, cursor_x + GAP + width
        elif tiles and shelf_y + shelf_h + GAP + height <= imgsz:
            shelf_y, shelf_h, x, cursor_x = shelf_y + shelf_h + GAP, height, 0, width
        else:
            if tiles:
                close()
            shelf_y, shelf_h, x, cursor_x = 0, height, 0, width
        tiles.append(Tile(index, x, shelf_y, width, height, scale))
    if tiles:
        close()
    return sheets
