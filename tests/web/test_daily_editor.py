"""The zone editor by keyboard and by finger: points added and removed with keys (never below three),
handles large enough to take with a finger."""

from __future__ import annotations

import pytest

from .conftest import CAMERA, DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.rtsp, pytest.mark.timeout(300)]


def _draw(page, corners) -> None:
    page.wait_for_selector("#new-zone:not([hidden])")
    page.click("#new-zone")
    page.fill("#zone-name", "Keyboard lane")
    page.locator("#canvas").scroll_into_view_if_needed()
    box = page.locator("#canvas").bounding_box()
    for fx, fy in corners:
        page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])


def _points(page) -> list[list[float]]:
    return page.evaluate(
        """[...document.querySelectorAll('#canvas circle.handle')].map((c) => [Number(c.getAttribute('cx')),
        Number(c.getAttribute('cy'))])"""
    )


def test_points_are_added_moved_and_removed_with_the_keyboard_never_below_three(open_page, service) -> None:
    page = open_page(f"/editor?camera={CAMERA}")
    _draw(page, [(0.10, 0.20), (0.50, 0.20), (0.50, 0.60)])
    assert page.locator("#canvas circle.handle").count() == 3
    page.locator('#canvas circle.handle[data-index="0"]').focus()
    page.keyboard.press("+")  # a point after the selected one, halfway along its edge
    assert page.locator("#canvas circle.handle").count() == 4
    assert page.inner_text("#point-count").startswith("4 points")
    new = _points(page)[1]
    first, second = _points(page)[0], _points(page)[2]
    assert abs(new[0] - (first[0] + second[0]) / 2) < 1 and abs(new[1] - first[1]) < 1
    assert page.evaluate("document.activeElement.dataset.index") == "1"  # the new point is selected
    page.keyboard.press("ArrowDown")
    assert _points(page)[1][1] > new[1]  # the arrow keys move it
    page.keyboard.press("Insert")
    assert page.locator("#canvas circle.handle").count() == 5
    page.keyboard.press("Delete")
    page.keyboard.press("Backspace")
    assert page.locator("#canvas circle.handle").count() == 3
    page.keyboard.press("Delete")  # a zone needs three points: refused, with the reason
    assert page.locator("#canvas circle.handle").count() == 3
    assert "at least 3 points" in page.inner_text("#point-count")
    page.click("#delete-point")  # the button obeys the same rule
    assert page.locator("#canvas circle.handle").count() == 3
    page.click("#undo")
    assert page.locator("#canvas circle.handle").count() == 4  # the keyboard's changes undo like any other


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_handles_are_at_least_24_px_across(open_page, service, viewport) -> None:
    page = open_page(f"/editor?camera={CAMERA}", viewport=PHONE if viewport == "phone" else DESKTOP, locale="zh-CN")
    _draw(page, [(0.10, 0.20), (0.50, 0.20), (0.50, 0.60)])
    for selector in ("#canvas circle.handle", "#canvas circle.midpoint"):
        sizes = page.evaluate(
            f"[...document.querySelectorAll('{selector}')].map((c) => c.getBoundingClientRect().width)"
        )
        assert sizes and min(sizes) >= 24, (selector, sizes)
    if viewport == "phone":  # a finger takes a handle: it is selected, not moved
        before = _points(page)[2]
        page.locator('#canvas circle.handle[data-index="2"]').tap()
        assert page.locator('#canvas circle.handle.selected[data-index="2"]').count() == 1
        assert _points(page)[2] == before
