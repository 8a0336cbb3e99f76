"""Refresh the README screenshots (editor, dashboard, phone, console; the zh-CN ones) from the browser tests.

The tests drive a real `lanewatch serve` on the RTSP test server in headless Chromium and, with
LANEWATCH_SCREENSHOTS=1, copy their screenshots here:

    .venv/bin/python docs/screenshots/make.py
"""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

if __name__ == "__main__":
    env = {**os.environ, "LANEWATCH_SCREENSHOTS": "1"}
    tests = ["tests/web/test_editor.py::test_draw_a_zone_by_clicks_edit_points_save_and_see_it_after_reload",
             "tests/web/test_dashboard.py::test_live_violation_arrives_in_the_feed_and_an_operator_acknowledges_it",
             "tests/web/test_dashboard.py::test_phone_lists_active_violations_with_thumbnails_and_acknowledges_in_one_tap",
             "tests/web/test_console.py",
             "tests/web/test_roles_acceptance.py"]
    sys.exit(subprocess.call([sys.executable, "-m", "pytest", "-q", *tests], cwd=REPO, env=env))
