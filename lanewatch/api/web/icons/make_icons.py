"""Draw the PWA icons (a white road lane with a red no-stopping bar on navy) as PNGs next to this file.

Run once after changing the design: ``python lanewatch/api/web/icons/make_icons.py``; the PNGs are committed.
"""

from pathlib import Path

import cv2
import numpy as np

NAVY = (61, 33, 20)  # BGR of #14213d
RED = (32, 0, 176)  # BGR of #b00020
WHITE = (255, 255, 255)


def icon(size: int, padding: float) -> np.ndarray:
    """`padding` keeps the drawing inside the safe circle of a maskable icon."""
    image = np.zeros((size, size, 3), np.uint8)
    image[:] = NAVY
    s = size * (1 - 2 * padding)
    o = size * padding

    def p(x: float, y: float) -> tuple[int, int]:
        return round(o + x * s), round(o + y * s)

    lane = np.array([p(0.38, 0.08), p(0.62, 0.08), p(0.92, 0.92), p(0.08, 0.92)], np.int32)
    cv2.fillPoly(image, [lane], WHITE, cv2.LINE_AA)
    cv2.circle(image, p(0.5, 0.56), int(s * 0.26), RED, -1, cv2.LINE_AA)
    cv2.circle(image, p(0.5, 0.56), int(s * 0.17), WHITE, -1, cv2.LINE_AA)
    thickness = max(2, int(s * 0.07))
    cv2.line(image, p(0.35, 0.41), p(0.65, 0.71), RED, thickness, cv2.LINE_AA)
    return image


if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    for size in (192, 512):
        cv2.imwrite(str(here / f"icon-{size}.png"), icon(size, 0.04))
    cv2.imwrite(str(here / "icon-maskable-512.png"), icon(512, 0.14))
