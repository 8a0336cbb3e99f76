// The zone editor's form: a zone's settings to and from the labelled inputs.

import { h, replaceChildren } from "./dom.js";
import { label, t } from "./words.js";

export const DEFAULT_CLASSES = ["car", "truck", "bus", "motorcycle"];
const OFFERED_CLASSES = [...DEFAULT_CLASSES, "bicycle", "person"];

/**
 * "Fire lane A (front)" → "fire-lane-a-front": a valid zone id. A name in Chinese (or any other
 * non-Latin script) gives "": the server then makes the id from the name in pinyin.
 */
export function slugify(name) {
  const latin = name.normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
  if (/[^\x00-\x7F]/.test(latin)) return "";
  return latin.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 64);
}

export function zoneForm(form) {
  const field = (name) => form.elements.namedItem(name);
  const classBox = form.querySelector("#zone-classes");
  let base = {};          // the zone as loaded: fields the form does not show (min_overlap) are kept
  let idTouched = false;

  field("name").addEventListener("input", () => {
    if (!idTouched && !field("id").readOnly) field("id").value = slugify(field("name").value);
  });
  field("id").addEventListener("input", () => { idTouched = true; });

  function renderClasses(chosen) {
    const offered = [...new Set([...OFFERED_CLASSES, ...chosen])];
    replaceChildren(classBox, h("legend", {}, t("web.editor.classes")), offered.map((name) =>
      h("label", {}, h("input", { type: "checkbox", name: "classes", value: name, checked: chosen.includes(name) }), label("label", name))));
  }

  return {
    /** Fill the form from `zone` (null for a new zone). */
    load(zone) {
      base = zone ? { ...zone } : {};
      idTouched = false;
      field("id").value = zone ? zone.id : "";
      field("id").readOnly = !!zone;
      field("name").value = zone ? zone.name : "";
      field("dwell_seconds").value = zone ? zone.dwell_seconds : 60;
      field("exit_grace_seconds").value = zone ? zone.exit_grace_seconds : 5;
      field("anchor").value = zone ? zone.anchor : "bottom_center";
      field("rule").value = zone && zone.rule ? zone.rule : "stopped";
      renderClasses(zone ? zone.classes : DEFAULT_CLASSES);
    },
    /** The zone to send: the API checks every value and says in words what is wrong. */
    read(polygon) {
      const number = (name) => {
        const text = field(name).value.trim();
        return text === "" ? null : Number(text);
      };
      const zone = { ...base, id: field("id").value.trim(), name: field("name").value.trim(), polygon,
        dwell_seconds: number("dwell_seconds"), exit_grace_seconds: number("exit_grace_seconds"),
        classes: [...form.querySelectorAll("input[name=classes]:checked")].map((box) => box.value),
        anchor: field("anchor").value, rule: field("rule").value };
      if (zone.min_overlap === null || zone.min_overlap === undefined) delete zone.min_overlap;
      return zone;
    },
  };
}
