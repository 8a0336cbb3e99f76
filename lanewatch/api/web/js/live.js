// The live event stream (/api/events, Server-Sent Events) read with fetch().
// EventSource cannot send the Authorization header, and a key in the URL would end up in logs;
// fetch can, and reading its body stream gives the same events. Reconnects resume with Last-Event-ID.

import { authHeaders } from "./api.js";

// The server sends a keep-alive every 15 s. Silence for longer than two of them means the link is
// dead even if the connection looks open (a network that went away without closing it): drop it and
// reconnect, so that the page says it is reconnecting instead of showing stale states as live.
const SILENCE_MS = 35000;

function parseMessage(block) {
  const message = { id: null, event: "message", data: "", retry: null };
  let hasData = false;
  for (const line of block.split("\n")) {
    if (!line || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "id") message.id = value;
    else if (field === "event") message.event = value;
    else if (field === "retry") message.retry = Number(value);
    else if (field === "data") { message.data += (hasData ? "\n" : "") + value; hasData = true; }
  }
  return hasData || message.retry !== null ? message : null;
}

/**
 * Call onEvent(type, payload) for each live event; onState("live" | "reconnecting" | "signed-out").
 * Returns a function that closes the stream.
 */
export function connectLive(onEvent, onState = () => {}, { types = [] } = {}) {
  let lastId = null;
  let retryMs = 3000;
  let stopped = false;
  let controller = null;
  const url = "/api/events" + (types.length ? "?" + types.map((t) => `type=${encodeURIComponent(t)}`).join("&") : "");

  async function readOnce() {
    controller = new AbortController();
    const headers = { Accept: "text/event-stream", ...authHeaders() };
    if (lastId !== null) headers["Last-Event-ID"] = lastId;
    const response = await fetch(url, { headers, signal: controller.signal, cache: "no-store" });
    if (response.status === 401) {
      window.dispatchEvent(new CustomEvent("lanewatch:unauthorized"));
      return false;
    }
    if (!response.ok || !response.body) return true;
    onState("live");
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    let silence = null;
    const listen = () => { clearTimeout(silence); silence = setTimeout(() => controller.abort(), SILENCE_MS); };
    try {
      for (;;) {
        listen();
        const { value, done } = await reader.read();
        if (done) return true;
        buffer = handleChunk(buffer, value);
      }
    } finally {
      clearTimeout(silence);
    }
  }

  /** Add `value` to `buffer`, pass on each complete message; returns what is left of an incomplete one. */
  function handleChunk(buffer, value) {
    buffer += value.replace(/\r\n?/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const message = parseMessage(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (!message) continue;
      if (message.retry !== null && Number.isFinite(message.retry)) retryMs = message.retry;
      if (message.id !== null) lastId = message.id;
      if (!message.data) continue;
      let payload;
      try { payload = JSON.parse(message.data); } catch { continue; }
      try { onEvent(message.event, payload); } catch (error) { console.warn("live event handler failed", error); }
    }
    return buffer;
  }

  (async () => {
    while (!stopped) {
      let again = true;
      try { again = await readOnce(); } catch { /* dropped connection: retry below */ }
      if (stopped) return;
      if (!again) { onState("signed-out"); return; }
      onState("reconnecting");
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  })();

  return () => { stopped = true; if (controller) controller.abort(); };
}
