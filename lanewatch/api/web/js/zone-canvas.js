// The drawing surface of the zone editor: an SVG over the camera frame, in frame fractions (0–1).
// Pointer events serve mouse, pen and touch alike: click (tap) adds a point, drag moves one, the small
// dot in the middle of an edge inserts a point there. With the keyboard: Tab to a point, the arrow keys
// move it, Insert or "+" adds a point after it (halfway to the next), Delete or Backspace removes it
// (never below 3 points: a zone needs them; `onRefuse(text)` says why). Handles are at least 24 CSS
// pixels across whatever the picture's size, so a finger can take them. Every change can be undone.

import { svg } from "./dom.js";
import { label as labelWords, t } from "./words.js";

export const COLOURS = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#bfef45"];
const WIDTH = 1000;
const NUDGE = 0.005;
const MIN_POINTS = 3;
const HANDLE_PX = 13;  // radius in CSS pixels: 26 px across, above the 24 px a finger needs to hit it reliably

const clamp01 = (v) => Math.min(1, Math.max(0, v));
const round = (v) => Math.round(v * 10000) / 10000;

export function zoneCanvas(svgElement, { onChange, onRefuse = () => {} }) {
  let height = WIDTH * 9 / 16;
  let others = [];        // [{zone, colour}] drawn for context
  let boxes = [];         // detections [{label, confidence, box}]
  let points = [];        // the zone being edited, [[x, y], ...] in fractions
  let selected = null;
  let editing = false;
  let problem = "";
  const undoStack = [];
  let focusWanted = false;  // after a keyboard change, keep focus on the selected point

  const toView = ([x, y]) => [x * WIDTH, y * height];
  /** A radius of `px` CSS pixels in the SVG's own units (it is drawn scaled to the picture). */
  const radius = (px) => px * WIDTH / (svgElement.getBoundingClientRect().width || WIDTH);
  const pointsAttr = (pts) => pts.map((p) => toView(p).join(",")).join(" ");

  function fractionAt(event) {
    const rect = svgElement.getBoundingClientRect();
    return [round(clamp01((event.clientX - rect.left) / rect.width)), round(clamp01((event.clientY - rect.top) / rect.height))];
  }

  function remember() {
    undoStack.push(points.map((p) => [...p]));
    if (undoStack.length > 200) undoStack.shift();
  }

  function changed() {
    render();
    onChange(points, undoStack.length > 0);
  }

  function render() {
    svgElement.setAttribute("viewBox", `0 0 ${WIDTH} ${height}`);
    const background = svg("rect", { x: 0, y: 0, width: WIDTH, height, fill: "transparent", class: "background" });
    const layers = [background];
    for (const { zone, colour } of others) {
      layers.push(svg("polygon", { class: "zone other", points: pointsAttr(zone.polygon), stroke: colour, fill: colour,
        "pointer-events": "none" }));
      const [x, y] = toView(zone.polygon.reduce((top, p) => (p[1] < top[1] ? p : top)));
      layers.push(svg("text", { x, y: Math.max(16, y - 6), "pointer-events": "none" }, zone.name));
    }
    for (const { label, confidence, box } of boxes) {
      const [x1, y1] = toView([box[0], box[1]]);
      const [x2, y2] = toView([box[2], box[3]]);
      layers.push(svg("rect", { class: "detection", x: x1, y: y1, width: x2 - x1, height: y2 - y1, "pointer-events": "none" }));
      layers.push(svg("text", { x: x1, y: Math.max(14, y1 - 4), "pointer-events": "none" }, t("web.editor.detection", { label: labelWords("label", label), confidence: Math.round(confidence * 100) })));
    }
    if (editing && points.length) {
      const shape = points.length >= 3 ? "polygon" : "polyline";
      layers.push(svg(shape, { class: `zone editing${problem ? " invalid" : ""}`, points: pointsAttr(points), "pointer-events": "none",
        fill: shape === "polyline" ? "none" : null }));
      if (points.length >= 2) {
        points.forEach((p, i) => {
          if (points.length < 3 && i === points.length - 1) return;
          const q = points[(i + 1) % points.length];
          const [mx, my] = toView([(p[0] + q[0]) / 2, (p[1] + q[1]) / 2]);
          const dot = svg("circle", { class: "midpoint", cx: mx, cy: my, r: radius(HANDLE_PX), "data-edge": i });
          dot.append(svg("title", {}, t("web.editor.insert-between", { a: i + 1, b: (i + 1) % points.length + 1 })));
          layers.push(dot);
        });
      }
      points.forEach((p, i) => {
        const [cx, cy] = toView(p);
        layers.push(svg("circle", { class: `handle${i === selected ? " selected" : ""}`, cx, cy, r: radius(HANDLE_PX), tabindex: 0,
          "data-index": i, role: "button", "aria-label": t("web.editor.point-label", { n: i + 1, count: points.length, x: p[0], y: p[1] }) }));
      });
      if (problem) {
        const [x, y] = toView(points[0]);
        layers.push(svg("text", { class: "problem-label", "pointer-events": "none", x: Math.min(x, WIDTH - 300), y: Math.max(20, y - 14) }, t("web.editor.not-saved-mark")));
      }
    }
    svgElement.replaceChildren(...layers);
    if (selected !== null && focusWanted) {
      const handle = svgElement.querySelector(`[data-index="${selected}"]`);
      if (handle) handle.focus();
    }
    focusWanted = false;
  }

  // Dragging a handle (or a freshly inserted midpoint).
  let drag = null;
  svgElement.addEventListener("pointerdown", (event) => {
    if (!editing) return;
    const index = event.target.dataset.index;
    const edge = event.target.dataset.edge;
    if (index === undefined && edge === undefined) return;
    event.preventDefault();
    remember();
    if (edge !== undefined) {
      const i = Number(edge);
      const p = points[i];
      const q = points[(i + 1) % points.length];
      points.splice(i + 1, 0, [round((p[0] + q[0]) / 2), round((p[1] + q[1]) / 2)]);
      selected = i + 1;
    } else {
      selected = Number(index);
    }
    drag = { pointerId: event.pointerId, moved: edge !== undefined };
    svgElement.setPointerCapture(event.pointerId);
    changed();
  });
  svgElement.addEventListener("pointermove", (event) => {
    if (!drag || event.pointerId !== drag.pointerId) return;
    points[selected] = fractionAt(event);
    drag.moved = true;
    changed();
  });
  const endDrag = (event) => {
    if (!drag || event.pointerId !== drag.pointerId) return;
    if (!drag.moved) undoStack.pop();  // a plain click on a point only selects it
    drag = null;
    onChange(points, undoStack.length > 0);
  };
  svgElement.addEventListener("pointerup", endDrag);
  svgElement.addEventListener("pointercancel", endDrag);
  svgElement.addEventListener("click", (event) => {
    if (!editing || !event.target.classList.contains("background")) return;
    remember();
    points.push(fractionAt(event));
    selected = points.length - 1;
    changed();
  });
  svgElement.addEventListener("keydown", (event) => {
    if (!editing || selected === null || event.target.dataset.index === undefined) return;
    const moves = { ArrowLeft: [-NUDGE, 0], ArrowRight: [NUDGE, 0], ArrowUp: [0, -NUDGE], ArrowDown: [0, NUDGE] };
    if (event.key in moves) {
      event.preventDefault();
      remember();
      const [dx, dy] = moves[event.key];
      points[selected] = [round(clamp01(points[selected][0] + dx)), round(clamp01(points[selected][1] + dy))];
      focusWanted = true;
      changed();
    } else if (event.key === "Delete" || event.key === "Backspace") {
      event.preventDefault();
      api.deletePoint();
    } else if (event.key === "Insert" || event.key === "+") {
      event.preventDefault();
      api.insertPoint();
    }
  });
  // The handles keep their size in CSS pixels when the picture is shown larger or smaller.
  if (window.ResizeObserver) new ResizeObserver(() => render()).observe(svgElement);
  svgElement.addEventListener("focusin", (event) => {
    if (event.target.dataset.index !== undefined && selected !== Number(event.target.dataset.index)) {
      selected = Number(event.target.dataset.index);
      focusWanted = true;
      render();
    }
  });

  const api = {
    setFrameSize(w, h) { height = WIDTH * h / w; render(); },
    setOthers(list) { others = list; render(); },
    setDetections(list) { boxes = list; render(); },
    /** Start editing `polygon` (empty for a new zone); clears the undo history. */
    edit(polygon) { editing = true; points = polygon.map((p) => [...p]); selected = null; problem = ""; undoStack.length = 0; changed(); },
    stop() { editing = false; points = []; selected = null; problem = ""; undoStack.length = 0; render(); },
    points: () => points.map((p) => [...p]),
    setProblem(text) { problem = text; render(); },
    deletePoint() {
      if (selected === null) return;
      if (points.length === MIN_POINTS) {  // while still drawing (fewer), a stray point may go
        onRefuse(t("web.editor.min-points", { min: MIN_POINTS }));
        focusWanted = true;
        render();
        return;
      }
      remember();
      points.splice(selected, 1);
      selected = points.length ? Math.min(selected, points.length - 1) : null;
      focusWanted = selected !== null;
      changed();
    },
    /** Add a point after the selected one, halfway to the next (or beside it, while there is one point). */
    insertPoint() {
      if (!editing || selected === null) return;
      remember();
      const p = points[selected];
      const q = points[(selected + 1) % points.length];
      const added = points.length > 1 ? [(p[0] + q[0]) / 2, (p[1] + q[1]) / 2] : [p[0] + 0.05, p[1]];
      points.splice(selected + 1, 0, [round(clamp01(added[0])), round(clamp01(added[1]))]);
      selected += 1;
      focusWanted = true;
      changed();
    },
    undo() {
      if (!undoStack.length) return;
      points = undoStack.pop();
      selected = null;
      changed();
    },
  };
  render();
  return api;
}
