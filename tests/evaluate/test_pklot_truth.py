"""zones/truth/make_pklot_truth.py: PKLot occupancy labels → stays the scorer accepts.

The conversion on small hand-made label files (times from the file names,
consecutive occupied snapshots → one stay, one lone snapshot → no row, bad
labels refused), and the committed truth files are exactly what the script
makes from the shared footage and name only zones of zones/pklot-ufpr05.json.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from lanewatch.evaluate.score import check_truth, zone_rules
from lanewatch.evaluate.truth import load_truth_file
from lanewatch.zones import load_zone_file

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "zones" / "truth" / "make_pklot_truth.py"
SEQUENCES = ("sequence1", "sequence2", "sequence3")  # sequence0 has no occupied space: no truth file

_spec = importlib.util.spec_from_file_location("make_pklot_truth", SCRIPT)
assert _spec and _spec.loader
make = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make)


def _write(sequence: Path, name: str, occupied: str) -> None:
    """One PKLot label file: space i+1 gets occupied[i] ('0', '1' or 'x' for no label)."""
    boxes = sequence / "bounding_boxes"
    boxes.mkdir(parents=True, exist_ok=True)
    spaces = "".join(
        f'<space id="{i + 1}"' + ("" if o == "x" else f' occupied="{o}"') + "><contour/></space>"
        for i, o in enumerate(occupied)
    )
    (boxes / f"{name}.xml").write_text(f'<parking id="ufpr05">{spaces}</parking>')


def test_consecutive_occupied_snapshots_become_one_stay(tmp_path: Path) -> None:
    # written out of order: the capture time in the name orders them, not the listing
    _write(tmp_path, "2013-03-19_07_10_00", "0111")
    _write(tmp_path, "2013-03-19_07_00_00", "1001")
    _write(tmp_path, "2013-03-19_07_05_30", "1100")
    out = tmp_path / "truth.csv"
    assert make.main([str(tmp_path), str(out)]) == 0

    rows = load_truth_file(out)
    got = [(r.camera, r.zone, r.start_s, r.end_s) for r in rows]
    assert got == [
        ("pklot-ufpr05", "space-1", 0.0, 330.0),  # occupied at 0 s and 330 s, free at 600 s
        ("pklot-ufpr05", "space-2", 330.0, None),  # still there on the last snapshot: open
        # space-3: occupied on the last snapshot only; space-4: on two snapshots that are not consecutive
    ]
    assert rows[0].note == "occupied on 2 consecutive snapshots"


@pytest.mark.parametrize(
    ("names", "labels", "message"),
    [
        (["2013-03-19_07_00_00"], ["1x"], "space 2 has no occupied=0/1 label"),
        (["snapshot-1"], ["10"], "name is not a capture time"),
        (["2013-03-19_07_00_00", "2013-03-19_07_05_00"], ["10", "101"], "labels other spaces"),
        ([], [], "no bounding_boxes/*.xml"),
    ],
)
def test_bad_label_folders_are_refused_by_name(tmp_path: Path, capsys, names, labels, message) -> None:
    for name, occupied in zip(names, labels, strict=True):
        _write(tmp_path, name, occupied)
    assert make.main([str(tmp_path), str(tmp_path / "truth.csv")]) == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "truth.csv").exists()


@pytest.mark.parametrize("sequence", SEQUENCES)
def test_committed_truth_is_what_the_script_makes(footage_dir: Path, tmp_path: Path, sequence: str) -> None:
    out = tmp_path / f"{sequence}.csv"
    assert make.main([str(footage_dir / "pklot-ufpr05" / sequence), str(out)]) == 0
    committed = REPO / "zones" / "truth" / f"pklot-ufpr05-{sequence}.csv"
    assert committed.read_text() == out.read_text(), f"regenerate {committed.name} (zones/truth/README.md)"
    rows = load_truth_file(committed)
    assert rows
    check_truth(rows, zone_rules([load_zone_file(REPO / "zones" / "pklot-ufpr05.json")]))  # raises on a bad zone
