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


@pytest.fixture(scope="module")
def executed(footage_dir: Path, weights_path: Path, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("notebook")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), (
        "commit the notebook with its outputs cleared"
    )

    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # inline figures, not Agg
    env.update(
        LANEWATCH_SHARED=str(footage_dir.parent),
        LANEWATCH_WEIGHTS=str(weights_path),
        LANEWATCH_NOTEBOOK_OUT=str(tmp / "out"),
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
        nbformat.write(nb, tmp / "occupancy.executed.ipynb")  # kept for inspection on failure
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
    for tag in ("timeline", "dwell", "snapshot"):
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
