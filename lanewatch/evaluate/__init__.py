"""Evaluation: `lanewatch eval` runs, and scoring them against truth files a person wrote.

session.py plans and runs an invocation (one run, or one per --sweep
combination; run.py drives the pipeline, summary.py prints its tables);
truth.py reads the hand-written truth files, matching.py pairs violations
with truth rows, score.py writes score.json from eval's own outputs,
require.py checks --require thresholds, acceptance.py ties those together;
report.py and plots.py write report.md/report.html, sweep.py sweep.csv.
"""
