// Sound and visual cues for new violations and alarms.
// Browsers allow sound only after the person has interacted with the page, so the sound switch
// (a real button, which counts as that interaction) creates the audio context.

import { h } from "./dom.js";
import { t } from "./words.js";

let audio = null;
let soundOn = sessionStorage.getItem("lanewatch.sound") !== "off";

function context() {
  if (!audio && window.AudioContext) audio = new AudioContext();
  return audio;
}

/** Beeps: `pattern` is a list of [frequency Hz, seconds]. Silently does nothing before any interaction. */
function beep(pattern) {
  if (!soundOn || !audio || audio.state !== "running") return;
  let at = audio.currentTime;
  for (const [frequency, seconds] of pattern) {
    const oscillator = audio.createOscillator();
    const gain = audio.createGain();
    oscillator.frequency.value = frequency;
    oscillator.type = "square";
    gain.gain.setValueAtTime(0.15, at);
    gain.gain.exponentialRampToValueAtTime(0.001, at + seconds);
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start(at);
    oscillator.stop(at + seconds);
    at += seconds + 0.08;
  }
}

const PATTERNS = {
  violation: [[880, 0.18], [660, 0.18]],
  fire: [[1200, 0.25], [900, 0.25], [1200, 0.25], [900, 0.25]],
  alarm: [[700, 0.3]],
};

/** Flash `element` and play the kind's sound; the counter in the page title shows unseen cues. */
export function cue(kind, element) {
  beep(PATTERNS[kind] || PATTERNS.violation);
  if (element) {
    element.classList.remove("cue");
    void element.offsetWidth;  // restart the animation
    element.classList.add("cue");
  }
  if (document.hidden) {
    const match = document.title.match(/^\((\d+)\) (.*)$/);
    document.title = match ? `(${Number(match[1]) + 1}) ${match[2]}` : `(1) ${document.title}`;
  }
}

document.addEventListener("visibilitychange", () => {
  if (!document.hidden) document.title = document.title.replace(/^\(\d+\) /, "");
});

/** A toggle button for the sound; pressing it also unlocks audio in the browser. */
export function soundToggle() {
  const button = h("button", { type: "button", id: "sound-toggle", "aria-pressed": String(soundOn) });
  const render = () => {
    button.textContent = t(soundOn ? "web.sound.on" : "web.sound.off");
    button.setAttribute("aria-pressed", String(soundOn));
  };
  button.addEventListener("click", async () => {
    const ctx = context();
    if (ctx && ctx.state !== "running") await ctx.resume().catch(() => {});
    soundOn = !soundOn;
    sessionStorage.setItem("lanewatch.sound", soundOn ? "on" : "off");
    render();
    beep([[660, 0.1]]);
  });
  // Any first click on the page unlocks the audio context for later cues.
  document.addEventListener("pointerdown", () => {
    const ctx = context();
    if (ctx && ctx.state !== "running") ctx.resume().catch(() => {});
  }, { once: true });
  render();
  return button;
}
