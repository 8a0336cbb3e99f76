// Sound and visual cues for new violations and alarms.
// Browsers let a page play sound only after a person has interacted with it. The sign-in click counts:
// Chromium carries that activation over to the page the sign-in opens, so the audio context made at
// load is running at once. A page opened fresh (a bookmark, a reload) starts suspended; the first click
// or key press anywhere on the page unlocks it. The sound switch always says the true state.

import { h } from "./dom.js";
import { t } from "./words.js";

let audio = null;
let soundOn = sessionStorage.getItem("lanewatch.sound") !== "off";
const listeners = new Set();

function context() {
  if (!audio && window.AudioContext) {
    audio = new AudioContext();
    audio.addEventListener("statechange", () => listeners.forEach((render) => render()));
  }
  return audio;
}

function unlock() {
  const ctx = context();
  if (ctx && ctx.state !== "running") ctx.resume().catch(() => {});
}

context();  // running at once when the page was opened by a click (the sign-in)
// On click, not on pointerdown: the switch's words change when the sound unlocks, and a change of
// layout between a finger's touch and its click would move the button it was aimed at.
for (const type of ["click", "keydown"]) document.addEventListener(type, unlock, { capture: true });

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

/**
 * The sound switch. Its words say what is true: "声音已开启" only while cues can be heard; while the
 * browser still blocks sound, "点击开启声音"; switched off, "声音已关闭". data-audio carries the audio
 * context's state ("running", "suspended", or "none" without Web Audio).
 */
export function soundToggle() {
  const button = h("button", { type: "button", id: "sound-toggle", "aria-pressed": String(soundOn) });
  const render = () => {
    const state = audio ? audio.state : "none";
    const blocked = soundOn && state !== "running";
    button.textContent = t(!soundOn ? "web.sound.off" : blocked ? "web.sound.blocked" : "web.sound.on");
    button.setAttribute("aria-pressed", String(soundOn && !blocked));
    button.classList.toggle("primary", blocked);
    button.dataset.audio = state;
  };
  listeners.add(render);
  button.addEventListener("click", async () => {
    // What the switch said when pressed (the unlocking of this very press is still under way): a switch
    // that offered to turn sound on only unlocks it, never switches it off.
    const wasBlocked = soundOn && button.dataset.audio !== "running";
    const ctx = context();
    if (ctx && ctx.state !== "running") await ctx.resume().catch(() => {});
    if (!wasBlocked) {
      soundOn = !soundOn;
      sessionStorage.setItem("lanewatch.sound", soundOn ? "on" : "off");
    }
    render();
    beep([[660, 0.1]]);
  });
  render();
  return button;
}
