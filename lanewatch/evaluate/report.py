"""report.md and report.html: the score a person signs off, with its pictures and evidence.

Built from score.json and violations.json alone (plus the evidence
snapshots they point to), like the scorer: the report shows what eval wrote.
report.html is self-contained (pictures inlined), to be mailed or archived;
report.md links the same PNGs under report/ and the snapshots under
snapshots/. Its words are in `lang` (default: the deployment's language, zh-CN);
the figures, ids and file names are the same in every language.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress

from lanewatch.evaluate.plots import Lane, histogram_png, status_words, timeline_png
from lanewatch.words import default_language, t

LATE_ALERT_S = 5.0  # default of `--late-after-s`: an alert later than this after the dwell is listed with evidence
_COLUMNS = ("precision", "recall", "true_positives", "false_positives", "false_negatives", "duplicates", "not_expected")


def _lanes(
    score: dict[str, Any], found: dict[str, dict[str, Any]], camera: str, zone: str, dwell: float, lang: str | None
) -> list[Lane]:
    until = score.get("observed_until_s", {}).get(camera)

    def span(start: float, end: float | None) -> tuple[float, float]:
        return (start, end if end is not None else (until if until is not None else start + dwell))

    lanes = []
    for row in sorted(score["details"]["truth"], key=lambda r: (r["file"], r["line"])):
        if (row["camera"], row["zone"]) != (camera, zone):
            continue
        v = found.get(row.get("violation", ""))
        lanes.append(
            Lane(
                label=t("eval.line", lang, line=row["line"]),
                status=row["status"],
                truth=span(row["start_s"], row["end_s"]),
                dwell_up_s=row["start_s"] + dwell,
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


def _evidence(
    score: dict[str, Any], found: dict[str, dict[str, Any]], lang: str | None, late_after_s: float
) -> list[tuple[str, dict[str, Any]]]:
    """Every false positive and every late alert, with why it is listed."""
    listed = [
        (status_words("false_positive", lang), found[d["id"]])
        for d in score["details"]["violations"]
        if d["status"] == "false_positive"
    ]
    for row in score["details"]["truth"]:
        if row["status"] == "hit" and row["time_to_alert_s"] > late_after_s:
            listed.append((t("eval.late_alert", lang, seconds=f"{row['time_to_alert_s']:g}"), found[row["violation"]]))
    return listed


def _rows(score: dict[str, Any], lang: str | None) -> list[tuple[str, dict[str, Any]]]:
    rows = [(t("eval.scope.all", lang), score)]
    rows += [(f"{c}/{z}", f) for c, zones in score["per_zone"].items() for z, f in zones.items()]
    return rows


def _tta(f: dict[str, Any]) -> str:
    tta = f["time_to_alert_s"]
    return "–" if tta["max"] is None else f"{tta['p50']:g} / {tta['p95']:g} / {tta['max']:g}"


def _head(lang: str | None) -> list[str]:
    return [t(f"eval.col.{c}", lang) for c in ("scope", *_COLUMNS, "time_to_alert", "false_alert_minutes")]


def _markdown(
    score: dict[str, Any],
    pictures: dict[str, str],
    evidence: list[tuple[str, dict[str, Any]]],
    lang: str | None,
    late_after_s: float,
) -> str:
    head = _head(lang)
    lines = [f"# {t('eval.title', lang)}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, f in _rows(score, lang):
        cells = [name, *(f"{f[c]:g}" for c in _COLUMNS), _tta(f), f"{f['false_alert_minutes']:g}"]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", t("eval.tta_note", lang), ""]
    lines += [f"## {title}\n\n![{title}]({path})\n" for title, path in pictures.items()]
    lines.append(f"## {t('eval.evidence_title', lang, seconds=f'{late_after_s:g}')}\n")
    for why, v in evidence:
        shot = f"![]({v['snapshot']})" if v.get("snapshot") else t("eval.no_snapshot", lang)
        at = t("eval.alert_at", lang, where=f"`{v['camera']}/{v['zone']}`", seconds=f"{v['violation_s']:g}")
        lines.append(f"- {why}: {at} {shot}")
    if not evidence:
        lines.append(t("eval.none", lang))
    return "\n".join(lines) + "\n"


def _img(data: bytes, mime: str) -> str:
    return f'<img src="data:{mime};base64,{base64.b64encode(data).decode()}" style="max-width:100%">'


def _html(
    score: dict[str, Any],
    pngs: dict[str, bytes],
    evidence: list[tuple[str, dict[str, Any]]],
    out: Path,
    lang: str | None,
    late_after_s: float,
) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in _head(lang))
    body = ""
    for name, f in _rows(score, lang):
        cells = [name, *(f"{f[c]:g}" for c in _COLUMNS), _tta(f), f"{f['false_alert_minutes']:g}"]
        body += "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>"
    parts = [f"<h2>{html.escape(title)}</h2>{_img(data, 'image/png')}" for title, data in pngs.items()]
    shots = []
    for why, v in evidence:
        snap = out / v["snapshot"] if v.get("snapshot") else None
        picture = (
            _img(snap.read_bytes(), "image/jpeg")
            if snap and snap.is_file()
            else html.escape(t("eval.no_snapshot", lang))
        )
        at = t("eval.alert_at", lang, where=f"{v['camera']}/{v['zone']}", seconds=f"{v['violation_s']:g}")
        shots.append(f"<figure>{picture}<figcaption>{html.escape(why)}: {html.escape(at)}</figcaption></figure>")
    title = html.escape(t("eval.title", lang))
    page_lang = html.escape(lang or default_language())
    return (
        f"<!doctype html><html lang='{page_lang}'><meta charset='utf-8'><title>{title}</title>"
        "<style>body{font-family:sans-serif;max-width:1000px;margin:auto}td,th{padding:2px 8px;text-align:right}"
        "table{border-collapse:collapse}tr:nth-child(even){background:#f3f3f3}</style>"
        f"<h1>{title}</h1><table><tr>{head}</tr>{body}</table>"
        f"<p>{html.escape(t('eval.tta_note', lang))}</p>"
        + "".join(parts)
        + f"<h2>{html.escape(t('eval.evidence_title', lang, seconds=f'{late_after_s:g}'))}</h2>"
        + ("".join(shots) or f"<p>{html.escape(t('eval.none', lang))}</p>")
    )


def write_report(
    out: Path,
    score: dict[str, Any],
    console: Console | None = None,
    lang: str | None = None,
    late_after_s: float = LATE_ALERT_S,
) -> tuple[Path, Path]:
    """Write OUT/report.md, OUT/report.html and the PNGs under OUT/report/ in `lang`; return the two report paths.

    A hit whose alert came more than `late_after_s` after the dwell was up is listed with its evidence
    (`--late-after-s`: a pilot whose contract allows 30 s asks for 30, a strict one for 0).

    The PNG files keep language-free names (``00-timeline-gate-lane.png``), so links to them survive a language change.
    """
    found = {v["id"]: v for v in json.loads((out / "violations.json").read_text())}
    zones = [(c, z, f["dwell_s"]) for c, zs in score["per_zone"].items() for z, f in zs.items()]
    (out / "report").mkdir(exist_ok=True)
    pngs: dict[str, bytes] = {}  # title in `lang` → picture
    names: list[str] = []  # the file name of each, in the same order
    with Progress(console=console or Console(stderr=True), transient=True) as progress:
        task = progress.add_task(t("eval.progress", lang), total=len(zones) + 1)
        for camera, zone, dwell in zones:
            title = t("eval.timeline", lang, where=f"{camera}/{zone}")
            pngs[title] = timeline_png(f"{camera}/{zone}", _lanes(score, found, camera, zone, dwell, lang), dwell, lang)
            names.append(f"timeline-{camera}-{zone}")
            progress.advance(task)
        hits = [row["time_to_alert_s"] for row in score["details"]["truth"] if row["status"] == "hit"]
        pngs[t("eval.tta_histogram", lang)] = histogram_png(hits, lang)
        names.append("time-to-alert")
        progress.advance(task)
    pictures = {}
    for i, ((title, data), name) in enumerate(zip(pngs.items(), names, strict=True)):
        path = out / "report" / f"{i:02d}-{name.replace('/', '-').replace(' ', '-')}.png"
        path.write_bytes(data)
        pictures[title] = path.relative_to(out).as_posix()
    evidence = _evidence(score, found, lang, late_after_s)
    md, page = out / "report.md", out / "report.html"
    md.write_text(_markdown(score, pictures, evidence, lang, late_after_s), encoding="utf-8")
    page.write_text(_html(score, pngs, evidence, out, lang, late_after_s), encoding="utf-8")
    return md, page
