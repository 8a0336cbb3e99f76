// The console's "test / maintenance mode" panel: a person whose role may put devices in test mode
// (roles.py: devices.test; an enterprise's safety officer, a maintainer) flags one of their own devices
// before testing it and clears the flag afterwards. The server decides whose devices these are
// (PATCH /api/alarms/devices/{id} answers 404 outside the person's scope).

import { api, can } from "./api.js";
import { badge, h, replaceChildren } from "./dom.js";
import { t } from "./words.js";

const LIMIT = 100;

/** Whether `who` gets the panel at all. */
export function mayTestDevices(who) {
  return can(who, "devices.test");
}

function deviceItem(device, done) {
  const name = device.name || device.id;
  const error = h("p", { class: "error", role: "alert" });
  const on = device.maintenance;
  const button = h("button", {
    type: "button",
    class: on ? "primary" : null,
    dataset: { maintenance: on ? "off" : "on" },
    "aria-label": t(on ? "web.device-test.end-label" : "web.device-test.start-label", { device: name }),
  }, t(on ? "web.device-test.end" : "web.device-test.start"));
  button.addEventListener("click", async () => {
    button.disabled = true;
    error.textContent = "";
    try {
      await api(`/api/alarms/devices/${encodeURIComponent(device.id)}`, { method: "PATCH", body: { maintenance: !on } });
      await done();
    } catch (failure) {
      error.textContent = failure.message;
      button.disabled = false;
    }
  });
  const where = [device.building, device.location].filter(Boolean).join(" · ");
  return h("li", { dataset: { device: device.id, maintenance: String(on) } },
    h("div", {},
      h("div", { class: "what", title: device.id }, name, " ", on ? badge(t("web.device-test.on"), "state-acknowledged") : null),
      h("div", { class: "when" }, where || device.id, device.maintenance_reason ? t("web.aside", { text: device.maintenance_reason }) : "")),
    h("div", { class: "actions" }, button),
    error);
}

/** Fill `list` with the devices in the person's scope, each with its test-mode button; `status` says what is left. */
export async function showDeviceTests(list, status, done) {
  const page = await api(`/api/alarms/devices?limit=${LIMIT}`);
  const shown = JSON.stringify(page.items.map((d) => [d.id, d.updated_at, d.maintenance, d.maintenance_reason]));
  if (list.dataset.shown !== shown) {  // unchanged: keep the buttons where the finger is
    replaceChildren(list, page.items.map((device) => deviceItem(device, done)));
    list.dataset.shown = shown;
  }
  status.textContent = !page.items.length ? t("web.device-test.none") : page.next ? t("web.device-test.more", { count: LIMIT }) : "";
}
