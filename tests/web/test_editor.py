"""The zone editor in a real browser: draw by clicks on the live frame, edit points, save, reload; refusals shown."""

from __future__ import annotations

import pytest

from .conftest import CAMERA, PHONE, keep_for_readme, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.rtsp, pytest.mark.timeout(300)]


def _frame_ready(page) -> None:
    """Wait for the camera's first analysed frame (the pipeline may still be starting)."""
    for _ in range(24):
        if page.locator("#frame").is_visible():
            return
        page.wait_for_timeout(2500)
        page.click("#refresh-frame")
    raise AssertionError(page.inner_text("#frame-status"))


def _click_at(page, fx: float, fy: float) -> None:
    page.locator("#canvas").scroll_into_view_if_needed()
    box = page.locator("#canvas").bounding_box()
    page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])


def _new_zone(page, name: str) -> None:
    page.click("#new-zone")
    page.fill("#zone-name", name)


def test_draw_a_zone_by_clicks_edit_points_save_and_see_it_after_reload(open_page, service) -> None:
    page = open_page(f"/editor?camera={CAMERA}")
    _frame_ready(page)
    existing = len(service.api.get(f"/api/cameras/{CAMERA}/zones").json())
    assert existing >= 1 and page.locator("#canvas polygon.zone.other").count() == existing  # each in its colour
    _new_zone(page, "Side lane")
    assert page.input_value("#zone-id") == "side-lane"  # the id follows the name until edited
    corners = [(0.05, 0.30), (0.45, 0.30), (0.45, 0.60), (0.05, 0.60)]
    for fx, fy in corners:
        _click_at(page, fx, fy)
    assert page.inner_text("#point-count").startswith("4 points")

    # Drag the third point, insert one on the first edge, delete it again, undo a stray click.
    handle = page.locator('#canvas circle.handle[data-index="2"]').bounding_box()
    box = page.locator("#canvas").bounding_box()
    page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 0.50 * box["width"], box["y"] + 0.65 * box["height"], steps=5)
    page.mouse.up()
    page.locator('#canvas circle.midpoint[data-edge="0"]').click()
    assert page.inner_text("#point-count").startswith("5 points")
    page.click("#delete-point")
    assert page.inner_text("#point-count").startswith("4 points")
    _click_at(page, 0.9, 0.1)
    assert page.inner_text("#point-count").startswith("5 points")
    page.click("#undo")
    assert page.inner_text("#point-count").startswith("4 points")

    page.fill("#zone-dwell", "20")
    page.uncheck("#zone-classes input[value=motorcycle]")
    page.select_option("#zone-anchor", "center")
    assert page.input_value("#zone-rule") == "stopped"  # the default for lanes
    page.select_option("#zone-rule", "present")
    page.click("#save-zone")
    page.wait_for_selector("#zone-saved:has-text('Saved')")
    screenshot(page, "editor-saved")

    saved = service.api.get(f"/api/cameras/{CAMERA}/zones/side-lane").json()
    assert saved["name"] == "Side lane" and saved["dwell_seconds"] == 20 and saved["anchor"] == "center"
    assert saved["rule"] == "present"
    assert saved["classes"] == ["car", "truck", "bus"]
    expected = [(0.05, 0.30), (0.45, 0.30), (0.50, 0.65), (0.05, 0.60)]
    assert len(saved["polygon"]) == 4
    for (x, y), (ex, ey) in zip(saved["polygon"], expected, strict=True):
        assert abs(x - ex) < 0.01 and abs(y - ey) < 0.01, saved["polygon"]

    page.reload()
    page.wait_for_selector("#zone-list li[data-zone='side-lane']")
    assert page.locator("#canvas polygon.zone.other").count() == existing + 1
    page.click("#zone-list li[data-zone='side-lane'] button")
    assert page.input_value("#zone-name") == "Side lane" and page.input_value("#zone-dwell") == "20"
    assert page.locator("#canvas circle.handle").count() == 4
    assert page.locator("#canvas rect.detection").count() >= 1  # what the camera sees, drawn over the frame
    path = screenshot(page, "editor")
    keep_for_readme(path, "editor")

    # Delete the zone through the keyboard-usable confirmation dialog.
    page.click("#delete-zone")
    page.wait_for_selector("#confirm-dialog[open]")
    page.keyboard.press("Escape")  # Esc closes without deleting
    assert service.api.get(f"/api/cameras/{CAMERA}/zones/side-lane").status_code == 200
    page.click("#delete-zone")
    page.click("#confirm-dialog button[value=ok]")
    page.wait_for_selector("#zone-list li[data-zone='side-lane']", state="detached")
    assert service.api.get(f"/api/cameras/{CAMERA}/zones/side-lane").status_code == 404


@pytest.mark.parametrize(
    ("name", "points", "says"),
    [
        ("Bow tie", [(0.1, 0.1), (0.4, 0.4), (0.4, 0.1), (0.1, 0.4)], "self-intersecting"),
        ("Flat", [(0.2, 0.5), (0.5, 0.5), (0.8, 0.5)], "zero area"),
    ],
)
def test_refused_polygon_is_explained_next_to_the_zone_and_nothing_is_saved(
    open_page, service, name, points, says
) -> None:
    open_page.allow(422, f"/api/cameras/{CAMERA}/zones")  # the refusal this test provokes
    page = open_page(f"/editor?camera={CAMERA}")
    page.wait_for_selector("#new-zone")
    _new_zone(page, name)
    for fx, fy in points:
        _click_at(page, fx, fy)
    page.click("#save-zone")
    error = page.locator("#zone-error")
    error.wait_for()
    assert says in error.inner_text() and error.inner_text().startswith("Not saved:")
    assert page.locator("#canvas polygon.zone.invalid").count() == 1
    screenshot(page, f"editor-refused-{name.lower().replace(' ', '-')}")
    zone_ids = [z["id"] for z in service.api.get(f"/api/cameras/{CAMERA}/zones").json()]
    assert "front-row" in zone_ids and page.input_value("#zone-id") not in zone_ids


def test_touch_taps_draw_points_on_a_phone(open_page) -> None:
    page = open_page(f"/editor?camera={CAMERA}", viewport=PHONE)
    page.wait_for_selector("#new-zone")
    _new_zone(page, "Tapped")
    page.locator("#canvas").scroll_into_view_if_needed()
    box = page.locator("#canvas").bounding_box()
    for fx, fy in [(0.2, 0.2), (0.8, 0.2), (0.5, 0.8)]:
        page.touchscreen.tap(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
    assert page.inner_text("#point-count").startswith("3 points")


def test_viewers_see_zones_but_no_editing_controls(open_page) -> None:
    page = open_page(f"/editor?camera={CAMERA}", role="viewer")
    page.wait_for_selector("#zone-list li[data-zone='front-row']")
    assert not page.locator("#new-zone").is_visible()
    assert page.locator("#zone-list button").count() == 0
    assert "Only administrators" in page.inner_text("main")
