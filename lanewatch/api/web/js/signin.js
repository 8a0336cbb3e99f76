// The sign-in page: username and password, then back to the page that sent the person here (?next=).
// A password someone else chose (the first administrator's, one an administrator set) must be changed
// first (?change=1, or the sign-in's answer says so). Failures show the server's reason (wrong password,
// tries left, locked for N minutes, disabled) in the page's language.

import { ApiError, api, cookie, forgetMe, me } from "./api.js";
import { SUPPORTED, applyWords, language, loadWords, setLanguage, t } from "./words.js";
import { LANGUAGE_NAMES } from "./shell.js";

const $ = (id) => document.getElementById(id);

/** Only a path on this site (never //elsewhere or https://elsewhere): an open redirect would help phishing. */
function nextPage() {
  const next = new URLSearchParams(location.search).get("next") || "/";
  return next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\") && !next.startsWith("/signin") ? next : "/";
}

function go() { location.replace(nextPage()); }

function showError(element, error) {
  element.textContent = error instanceof ApiError && error.status ? error.detail : error.message;
}

function askForNewPassword(oldPassword) {
  $("signin-form").hidden = true;
  $("change-form").hidden = false;
  $("change-old-field").hidden = !!oldPassword;
  $(oldPassword ? "change-new" : "change-old").focus();
  $("change-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = $("change-error");
    error.textContent = "";
    const fresh = $("change-new").value;
    if (fresh !== $("change-again").value) {
      error.textContent = t("people.password.mismatch");
      $("change-again").focus();
      return;
    }
    try {
      await api("/api/me/password", { method: "POST", quiet: true,
        body: { old_password: oldPassword || $("change-old").value, new_password: fresh } });
      go();
    } catch (failure) {
      showError(error, failure);
      $("change-new").focus();
    }
  });
}

async function signIn(event) {
  event.preventDefault();
  const error = $("signin-error");
  const button = event.submitter || $("signin-form").querySelector("button");
  error.textContent = "";
  const username = $("signin-username").value.trim();
  const password = $("signin-password").value;
  if (!username || !password) {
    error.textContent = t("people.signin.fill-in");
    $(username ? "signin-password" : "signin-username").focus();
    return;
  }
  button.disabled = true;
  try {
    const who = await api("/api/session", { method: "POST", body: { username, password }, quiet: true });
    forgetMe();
    if (who.language) setLanguage(who.language);
    if (who.must_change_password) askForNewPassword(password);
    else go();
  } catch (failure) {
    showError(error, failure);
    $("signin-password").select();
    $("signin-password").focus();
  } finally {
    button.disabled = false;
  }
}

function languageSwitch() {
  const select = $("signin-language");
  for (const lang of SUPPORTED) select.append(new Option(LANGUAGE_NAMES[lang] || lang, lang, false, lang === language()));
  select.addEventListener("change", () => {
    setLanguage(select.value);
    location.reload();
  });
}

async function main() {
  await loadWords();
  applyWords(document);
  languageSwitch();
  if (cookie("lw_csrf")) {  // maybe signed in already (in another tab): then there is nothing to ask
    try {
      const who = await me({ quiet: true });
      return who.must_change_password ? askForNewPassword(null) : go();
    } catch { /* the sign-in ended: ask */ }
  }
  $("signin-username").focus();
}

// At once, before the words load: a form submitted natively would send the password to the address bar.
// The button stays disabled in the HTML until this handler is attached, so nothing is submitted natively;
// it is enabled here rather than after the words load, or an Enter pressed while they load is lost
// (a disabled default button blocks the form's implicit submission: a person who types fast, or a test).
$("signin-form").addEventListener("submit", signIn);
$("signin-form").querySelector("button").disabled = false;

main();
