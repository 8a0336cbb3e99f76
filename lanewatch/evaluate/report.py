"""report.md and report.html: the score a person signs off, with its pictures and evidence.

Built from score.json and violations.json alone (plus the evidence
snapshots they point to), like the scorer: the report shows what eval wrote.
report.html is self-contained (pictures inlined), to be mailed or archived;
report.md links the same PNGs under report/ and the snapshots under
snapshots/.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress

from lanewatch.evaluate.plots import Lane, histogram_png, timeline_png

LATE_ALERT_S = 5.0  # an alert more than this after the dwell was up is listed with its evidence
_COLUMNS = ("precision", "recall", "true_positives", "false_positives", "false_negatives", "duplicates", "not_expected")


def _lanes(score: dict[str, Any], found: dict[str, dict[str, Any]], camera: str, zone: str, dwell: float) -> list[Lane]:
    until = score.get("observed_until_s", {}).get(camera)

    def span(start: float, end: float | None) -> tuple[float, float]:
        return (start, end if end is not None else (until if until is not None else start + dwell))

    lanes = []
    for t in sorted(score["details"]["truth"], key=lambda t: (t["file"], t["line"])):
        if (t["camera"], t["zone"]) != (camera, zone):
            continue
        v = found.get(t.get("violation", ""))
        lanes.append(
            Lane(
                label=f"line {t['line']}",
                status=t["status"],
                truth=span(t["start_s"], t["end_s"]),
                dwell_up_s=t["start_s"] + dwell,
                found=span(v["start_s"], v["end_s"]) if v else None,
                alert_s=v["violation_s"] if v else None,
            )
        )
    for d in score["details"]["violations"]:
        v = found[d["id"]]
        if d["status"] != "hit" and (v["camera"], v["zone"]) == (camera, zone):
            lanes.append(
                Lane(f"{d['id'][:8]}", d["status"], None, None, span(v["start_s"], v["end_s"]), v["violation_s"])
            )
    return lanes


def _evidence(score: dict[str, Any], found: dict[str, dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """Every false positive and every late alert, with why it is listed."""
    listed = [
        ("false positive", found[d["id"]]) for d in score["details"]["violations"] if d["status"] == "false_positive"
    ]
    for t in score["details"]["truth"]:
        if t["status"] == "hit" and t["time_to_alert_s"] > LATE_ALERT_S:
            listed.append((f"late alert: {t['time_to_alert_s']:g} s after the dwell", found[t["violation"]]))
    return listed


def _rows(score: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    rows = [("all", score)]
    rows += [(f"{c}/{z}", f) for c, zones in score["per_zone"].items() for z, f in zones.items()]
    return rows


def _tta(f: dict[str, Any]) -> str:
    t = f["time_to_alert_s"]
    return "–" if t["max"] is None else f"{t['p50']:g} / {t['p95']:g} / {t['max']:g}"


def _markdown(score: dict[str, Any], pictures: dict[str, str], evidence: list[tuple[str, dict[str, Any]]]) -> str:
    head = ["scope", *_COLUMNS, "time to alert p50/p95/max (s)", "false alert min"]
    lines = ["# lanewatch evaluation", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, f in _rows(score):
        cells = [name, *(f"{f[c]:g}" for c in _COLUMNS), _tta(f), f"{f['false_alert_minutes']:g}"]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Time to alert = alert − (truth start + the zone's dwell), in seconds of stream time.", ""]
    lines += [f"## {title}\n\n![{title}]({path})\n" for title, path in pictures.items()]
    lines.append(f"## False positives and late alerts (more than {LATE_ALERT_S:g} s)\n")
    for why, v in evidence:
        shot = f"![]({v['snapshot']})" if v.get("snapshot") else "(no snapshot)"
        lines.append(f"- {why}: `{v['camera']}/{v['zone']}` alert at {v['violation_s']:g} s {shot}")
    if not evidence:
        lines.append("None.")
    return "\n".join(lines) + "\n"


def _img(data: bytes, mime: str) -> str:
    return f'<img src="data:{mime};base64,{base64.b64encode(data).decode()}" style="max-width:100%">'


def _html(score: dict[str, Any], pngs: dict[str, bytes], evidence: list[tuple[str, dict[str, Any]]], out: Path) -> str:
    head = "".join(
        f"<th>{html.escape(c)}</th>" for c in ("scope", *_COLUMNS, "time to alert p50/p95/max (s)", "false alert min")
    )
    body = ""
    for name, f in _rows(score):
        cells = [name, *(f"{f[c]:g}" for c in _COLUMNS), _tta(f), f"{f['false_alert_minutes']:g}"]
        body += "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>"
    parts = [f"<h2>{html.escape(title)}</h2>{_img(data, 'image/png')}" for title, data in pngs.items()]
    shots = []
    for why, v in evidence:
        snap = out / v["snapshot"] if v.get("snapshot") else None
        picture = _img(snap.read_bytes(), "image/jpeg") if snap and snap.is_file() else "(no snapshot)"
        shots.append(f"<figure>{picture}<figcaption>{html.escape(why)}: {html.escape(v['camera'])}/"
                     f"{html.escape(v['zone'])}, alert at {v['violation_s']:g} s</figcaption></figure>")  # fmt: skip
    return (
        "<!doctype html><meta charset='utf-8'><title>lanewatch evaluation</title>"
        "<style>body{font-family:sans-serif;max-width:1000px;margin:auto}td,th{padding:2px 8px;text-align:right}"
        "table{border-collapse:collapse}tr:nth-child(even){background:#f3f3f3}</style>"
        f"<h1>lanewatch evaluation</h1><table><tr>{head}</tr>{body}</table>"
        "<p>Time to alert = alert − (truth start + the zone's dwell), in seconds of stream time.</p>"
        + "".join(parts)
        + f"<h2>False positives and late alerts (more than {LATE_ALERT_S:g} s)</h2>"
        + ("".join(shots) or "<p>None.</p>")
    )


def write_report(out: Path, score: dict[str, Any], console: Console | None = None) -> tuple[Path, Path]:
    """Write OUT/report.md, OUT/report.html and the PNGs under OUT/report/; return the two report paths."""
    found = {v["id"]: v for v in json.loads((out / "violations.json").read_text())}
    zones = [(c, z, f["dwell_s"]) for c, zs in score["per_zone"].items() for z, f in zs.items()]
    (out / "report").mkdir(exist_ok=True)
    pngs: dict[str, bytes] = {}
    with Progress(console=console or Console(stderr=True), transient=True) as progress:
        task = progress.add_task("report", total=len(zones) + 1)
        for camera, zone, dwell in zones:
            pngs[f"timeline {camera}/{zone}"] = timeline_png(
                f"{camera}/{zone}", _lanes(score, found, camera, zone, dwell), dwell
            )
            progress.advance(task)
        hits = [t["time_to_alert_s"] for t in score["details"]["truth"] if t["status"] == "hit"]
        pngs["time to alert"] = histogram_png(hits)
        progress.advance(task)
    pictures = {}
    for i, (title, data) in enumerate(pngs.items()):
        path = out / "report" / f"{i:02d}-{title.replace('/', '-').replace(' ', '-')}.png"
        path.write_bytes(data)
        pictures[title] = path.relative_to(out).as_posix()
    evidence = _evidence(score, found)
    md, page = out / "report.md", out / "report.html"
    md.write_text(_markdown(score, pictures, evidence))
    page.write_text(_html(score, pngs, evidence, out))
    return md, page
