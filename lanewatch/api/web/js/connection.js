// Whether the server can be reached, said plainly: a page that silently keeps showing its last answers
// ("online", "all devices reporting") would tell a duty desk that all is well while nothing arrives.
// The banner shows while the live stream is down or the last call failed to reach the server, and
// goes once both work again; onChange(lost) lets a page show its states as unknown meanwhile.

import { h } from "./dom.js";
import { t } from "./words.js";

/** Mount the banner at the top of `main`; returns {stream(up), call(ok), lost()}. */
export function connectionBanner(main, onChange = () => {}) {
  const banner = h("div", { id: "connection-banner", class: "connection-banner", role: "alert", hidden: true },
    t("web.connection.lost"));
  main.prepend(banner);
  let streamDown = false;
  let callDown = false;
  let shown = false;
  function update() {
    const lost = streamDown || callDown;
    if (lost === shown) return;
    shown = lost;
    banner.hidden = !lost;
    onChange(lost);
  }
  return {
    /** The live stream is up (true) or dropped and retrying (false). */
    stream(up) { streamDown = !up; update(); },
    /** A call reached the server (true, any answer) or could not (false: status 0 from api.js). */
    call(ok) { callDown = !ok; update(); },
    lost: () => shown,
  };
}

/** Whether an error from api() means the server could not be reached at all (no answer). */
export function unreachable(error) {
  return !!error && error.status === 0;
}
