// The words people read, zh-CN first and English second. A page loads its language's catalogue once
// (GET /words/<lang>.json, no key needed, so the sign-in page has words too), then t() looks keys up
// and applyWords() fills the elements marked data-words="key" (text), data-words-placeholder,
// data-words-title, data-words-aria-label and data-words-alt.
//
// The language: a person's setting (the sign-in code calls setLanguage(person.language); it is kept
// in this browser for the next page), else the browser's navigator.languages, else the deployment's
// language (config `language`: GET /words/default.json, whose Content-Language names it). After a
// change of language, load the words again (or reload the page).

export const SUPPORTED = ["zh-CN", "en"];
export const DEFAULT_LANGUAGE = "zh-CN";
const SETTING = "lanewatch.language";

let words = {};
let loaded = null;
let preferred = null;
let loading = null;  // {lang, promise} of the last loadWords()

/** The supported language a tag means ("zh", "zh-TW", "zh-Hans-CN" → "zh-CN"; "en-GB" → "en"), else null. */
export function normalize(tag) {
  if (!tag || typeof tag !== "string") return null;
  const primary = tag.trim().replace("_", "-").split("-")[0].toLowerCase();
  if (primary === "zh") return "zh-CN";
  if (primary === "en") return "en";
  return null;
}

/** Record a person's language (from their account); returns the language kept, or null if unknown. */
export function setLanguage(lang) {
  const chosen = normalize(lang);
  if (!chosen) return null;
  try { localStorage.setItem(SETTING, chosen); } catch { /* storage off: this page only */ }
  preferred = chosen;
  return chosen;
}

/** The language a person's setting or the browser's languages ask for, else null (the deployment's then). */
function askedLanguage() {
  if (preferred) return preferred;
  let stored = null;
  try { stored = localStorage.getItem(SETTING); } catch { /* storage off */ }
  const setting = normalize(stored);
  if (setting) return setting;
  for (const tag of navigator.languages || [navigator.language]) {
    const chosen = normalize(tag);
    if (chosen) return chosen;
  }
  return null;
}

/** The language to show: a person's setting, else the browser's languages, else the one loaded, else zh-CN. */
export function currentLanguage() {
  return askedLanguage() || loaded || DEFAULT_LANGUAGE;
}

/** The language whose words are loaded (the locale for Intl date and number formatting). */
export function language() {
  return loaded || DEFAULT_LANGUAGE;
}

/**
 * Fetch the catalogue of `lang` (default: the language asked for, else the deployment's); sets <html lang>;
 * resolves to the language.
 * Calling it again for the language already loaded (or loading) costs nothing: every page's script and
 * the shell may both call it.
 */
export function loadWords(lang) {
  const chosen = normalize(lang) || askedLanguage() || "default";
  if (loading && loading.lang === chosen) return loading.promise;
  const promise = fetch(`/words/${chosen}.json`, { headers: { Accept: "application/json" } })
    .then(async (response) => {
      if (!response.ok) throw new Error(`the words of ${chosen} could not be loaded (${response.status})`);
      words = await response.json();
      loaded = normalize(chosen === "default" ? response.headers.get("Content-Language") : chosen) || DEFAULT_LANGUAGE;
      document.documentElement.lang = loaded;
      return loaded;
    })
    .catch((error) => { if (loading && loading.promise === promise) loading = null; throw error; });
  loading = { lang: chosen, promise };
  return promise;
}

/** The text of `key` with {name} placeholders filled from params; the key itself when it has no words. */
export function t(key, params = {}) {
  const text = words[key];
  if (typeof text !== "string") return key;
  return text.replace(/\{(\w+)\}/g, (whole, name) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole);
}

const ATTRIBUTES = [
  ["data-words-placeholder", "placeholder"],
  ["data-words-title", "title"],
  ["data-words-aria-label", "aria-label"],
  ["data-words-alt", "alt"],
];

/** Fill the marked elements under root (default the whole document) with the loaded words. */
export function applyWords(root = document) {
  const scope = root.querySelectorAll ? root : document;
  const all = (selector) => {
    const found = [...scope.querySelectorAll(selector)];
    if (scope instanceof Element && scope.matches(selector)) found.unshift(scope);
    return found;
  };
  for (const element of all("[data-words]")) element.textContent = t(element.dataset.words);
  for (const [marker, attribute] of ATTRIBUTES) {
    for (const element of all(`[${marker}]`)) element.setAttribute(attribute, t(element.getAttribute(marker)));
  }
  if (root === document) document.documentElement.lang = language();
}

/** The words of a value the API sends as a code (a state, a class, an alarm type): names.<group>.<value>. */
export function label(group, value) {
  if (value === null || value === undefined || value === "") return "";
  const text = words[`names.${group}.${value}`];
  return typeof text === "string" ? text : String(value).replace(/_/g, " ");
}
