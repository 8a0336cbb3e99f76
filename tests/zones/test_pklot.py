"""The PKLot converter and the zone file generated from it agree with the dataset."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lanewatch.detect.detections import Detections
from lanewatch.zones import load_zone_file, zones_for_frame
from tests.conftest import REPO_ROOT
from tests.support.pklot import load_pklot_spaces, pklot_zone_file


@pytest.fixture(scope="module")
def pklot_xmls(footage_dir: Path) -> list[Path]:
    xmls = sorted((footage_dir / "pklot-ufpr05").glob("sequence*/bounding_boxes/*.xml"))
    if not xmls:
        pytest.skip("no PKLot annotations in the shared footage")
    return xmls


def test_spaces_parsed(pklot_xmls):
    spaces = load_pklot_spaces(pklot_xmls[0])
    assert len(spaces) == 40
    assert [s.space_id for s in spaces] == list(range(1, 41))
    assert all(len(s.polygon_px) == 4 for s in spaces)
    assert any(s.occupied for xml in pklot_xmls for s in load_pklot_spaces(xml))


def test_example_file_matches_converter(pklot_xmls):
    assert load_zone_file(REPO_ROOT / "zones" / "pklot-ufpr05.json") == pklot_zone_file(pklot_xmls[0])


def test_outlines_are_the_same_in_every_snapshot(pklot_xmls):
    first = [s.polygon_px for s in load_pklot_spaces(pklot_xmls[0])]
    assert all([s.polygon_px for s in load_pklot_spaces(xml)] == first for xml in pklot_xmls)


def test_space_centre_falls_in_its_own_zone(pklot_xmls):
    """A box centred on each space is inside that space's zone and no other."""
    spaces = load_pklot_spaces(pklot_xmls[0])
    centres = np.array([np.mean(s.polygon_px, axis=0) for s in spaces])
    xyxy = np.hstack([centres - 10, centres + 10])
    n = len(spaces)
    detections = Detections(xyxy, np.ones(n), np.full(n, 2), np.array(["car"] * n, dtype=object))
    placed = zones_for_frame(pklot_zone_file(pklot_xmls[0]).zones, 1280, 720)
    hits = np.stack([zone.contains(detections) for zone in placed])
    assert (hits == np.eye(len(spaces), dtype=bool)).all()
