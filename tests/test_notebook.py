"""notebooks/occupancy.ipynb, executed end to end so it cannot rot.

The notebook runs `lanewatch eval` on two shared clips and plots what it
wrote. The kernel is pinned to this interpreter: a kernelspec written into the
test's tmp dir whose argv is ``sys.executable -m ipykernel_launcher``, handed to
nbclient through its own KernelSpecManager. No Jupyter data dir (user, system,
JUPYTER_PATH) is read or written, so a fresh HOME in CI or a stray ``python3``
kernelspec elsewhere cannot pick a different Python. The executed copy goes to
the tmp dir; the committed notebook is never modified.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

from jupyter_client.kernelspec import KernelSpecManager  # noqa: E402
from jupyter_client.manager import AsyncKernelManager  # noqa: E402

pytestmark = pytest.mark.e2e
NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "occupancy.ipynb"
KERNEL_NAME = "lanewatch-test-python"


def _kernel_manager(kernels_dir: Path) -> AsyncKernelManager:
    """A kernel manager whose only kernelspec runs this very interpreter."""
    spec_dir = kernels_dir / KERNEL_NAME
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": f"lanewatch tests ({sys.prefix})",
                "language": "python",
            }
        )
    )
    specs = KernelSpecManager(kernel_dirs=[str(kernels_dir)], ensure_native_kernel=False)
    return AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=specs)


def _text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def _cell(nb, tag: str):
    cells = [c for c in nb.cells if tag in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"expected one cell tagged {tag!r}"
    return cells[0]


def _execute(nb, tmp: Path, footage_dir: Path, weights_path: Path, **extra_env: str) -> None:
    """Run `nb` in place on this interpreter's kernel, cwd notebooks/, results in tmp/out."""
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # inline figures, not Agg
    env.update(
        LANEWATCH_SHARED=str(footage_dir.parent),
        LANEWATCH_WEIGHTS=str(weights_path),
        LANEWATCH_NOTEBOOK_OUT=str(tmp / "out"),
        **extra_env,
    )
    client = nbclient.NotebookClient(
        nb,
        km=_kernel_manager(tmp / "kernels"),
        timeout=300,
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},  # cwd = notebooks/, as in Jupyter
    )
    try:
        client.execute(env=env)
    finally:
        nbformat.write(nb, tmp / "executed.ipynb")  # kept for inspection on failure


@pytest.fixture(scope="module")
def executed(footage_dir: Path, weights_path: Path, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("notebook")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), (
        "commit the notebook with its outputs cleared"
    )
    _execute(nb, tmp, footage_dir, weights_path)
    return nb, tmp / "out"


def test_kernel_is_this_environments_python(executed) -> None:
    nb, _ = executed
    setup = _text(_cell(nb, "setup"))
    assert f"python:     {sys.executable}\n" in setup
    assert f"sys.prefix: {sys.prefix}\n" in setup


def test_runs_without_error_and_draws_every_figure(executed) -> None:
    nb, out = executed
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    for tag in ("timeline", "dwell", "snapshot", "score"):
        images = [o for o in _cell(nb, tag).outputs if "image/png" in o.get("data", {})]
        assert len(images) == 1, f"cell {tag!r} should show one figure"
    # the results stay in LANEWATCH_NOTEBOOK_OUT for the user to open
    cameras = {v["camera"] for v in json.loads((out / "violations.json").read_text())}
    # lot-aisle's cars only drive through its aisle: none stops, so no violation (rule 'stopped')
    assert cameras == {"lot-busy"} and (out / "occupancy.csv").is_file()


def test_summary_reports_six_parked_cars_on_lot_busy(executed) -> None:
    nb, _ = executed
    lines = _text(_cell(nb, "summary")).splitlines()
    header, rows = lines[0].split(), lines[2 : lines.index("")]  # the table ends at the first blank line
    table = {row.split()[0]: dict(zip(header, row.split(), strict=True)) for row in rows}
    busy = table["lot-busy"]
    assert busy["violations"] == "6" and busy["still_active"] == "6", busy
    assert busy["frames"] == "20" and busy["occupied_pct"] == "100"
    assert table["lot-aisle"]["violations"] == "0"  # cars crawling through the aisle are not stopped cars
    # one detail line per violation follows the table
    assert sum(1 for line in lines if re.match(r"lot-busy\s+front-row\s", line)) == 6


def _score_table(text: str) -> dict[str, list[str]]:
    """The score cell's table: scope -> its printed columns (header first, the path line last)."""
    lines = text.splitlines()
    assert lines[0].split()[0] == "scope" and lines[-1].startswith("score: "), text
    return {line.split()[0]: line.split()[1:] for line in lines[1:-1]}


def _figures(score: dict) -> list[str]:
    """What the score cell should print for one scope of score.json, formatted independently."""
    tta = score["time_to_alert_s"]
    alert = "/".join("-" if tta[k] is None else f"{tta[k]:g}" for k in ("p50", "p95", "max"))
    counts = ("true_positives", "false_positives", "false_negatives", "duplicates", "not_expected")
    return [
        f"{score['precision']:.4g}",
        f"{score['recall']:.4g}",
        *(str(score[k]) for k in counts),
        alert,
        f"{score['false_alert_minutes']:.4g}",
    ]


def test_score_section_prints_and_plots_score_json(executed) -> None:
    nb, out = executed
    score = json.loads((out / "score.json").read_text())
    table = _score_table(_text(_cell(nb, "score")))
    expected = {"all": score} | {
        f"{camera}/{zone}": figures for camera, zones in score["per_zone"].items() for zone, figures in zones.items()
    }
    assert set(table) == set(expected)
    for scope, figures in expected.items():
        assert table[scope] == _figures(figures), scope
    # the notebook scored lot-busy against zones/truth/lot-busy.csv: the six parked cars, the SUV and
    # the crossing car (shorter than the dwell) as the README says
    front = score["per_zone"]["lot-busy"]["front-row"]
    assert (front["true_positives"], front["false_positives"], front["false_negatives"]) == (6, 0, 0)
    assert front["not_expected"] == 2
    # no --sweep in this run: the sweep cell says so instead of failing
    assert _text(_cell(nb, "sweep")).startswith(f"no sweep.csv in {out}")


def test_sweep_section_plots_each_combination(executed, footage_dir, weights_path, tmp_path) -> None:
    """The sweep cell on a folder holding sweep.csv, written by eval's own writer from two scores."""
    from lanewatch.evaluate.sweep import write_sweep

    nb, out = executed
    score = json.loads((out / "score.json").read_text())
    missed = score | {"recall": 0.5, "false_negatives": 6, "time_to_alert_s": {"p50": 2.0, "p95": 3.0, "max": 4.0}}
    folder = tmp_path / "swept"
    folder.mkdir()
    (folder / "score.json").write_text(json.dumps(score))
    write_sweep(folder, [{"imgsz": 640}, {"imgsz": 320}], [score, missed])

    cells = [_cell(nb, tag).copy() for tag in ("setup", "score", "sweep")]  # no eval run: a few seconds
    small = nbformat.v4.new_notebook(cells=[nbformat.from_dict({**c, "outputs": []}) for c in cells])
    _execute(small, tmp_path, footage_dir, weights_path, LANEWATCH_NOTEBOOK_EVAL=str(folder))

    sweep = small.cells[2]
    assert [o for o in sweep.outputs if "image/png" in o.get("data", {})], "the sweep cell should show a figure"
    lines = _text(sweep).splitlines()
    assert lines[0].split()[:4] == ["combination", "precision", "recall", "f1"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert set(rows) == {"imgsz=640", "imgsz=320"}
    assert rows["imgsz=640"][1:3] == [f"{score['precision']:.4g}", f"{score['recall']:.4g}"]
    assert rows["imgsz=320"][1:4] == ["1", "0.5", "0.6667"]  # precision 1, recall 0.5: F1 2/3
    assert rows["imgsz=320"][-1] == "3.0" and rows["imgsz=320"][6] == "6"  # p95 time to alert, misses
