"""Evaluation: `lanewatch eval` runs (run.py, summary.py) and scoring against truth files.

truth.py reads the hand-written truth files, matching.py pairs violations
with truth rows, score.py writes score.json from eval's own outputs,
require.py checks --require thresholds; acceptance.py ties them together for
the command line.
"""
