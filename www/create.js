// Create: a label and the chosen scopes, sent to the server, which checks both (a label is 1 to
// 255 characters, counted as the core counts them; scopes must exist and be grantable) and
// answers with its own message when it refuses. The page does not restate those rules.
// "Generate in this browser" (mint.js) makes the password here and sends only its hash.

import { createAppPassword, isSessionLost, storeMintedAppPassword } from "./api.js";
import { $, setBusy } from "./dom.js";
import { loadList } from "./list.js";
import { mintHere, mintingAvailable } from "./mint.js";
import { showNewPassword } from "./new-password.js";
import { chosenScopes, clearChoices, focusFirstScope, loadScopes } from "./scopes.js";
import { currentUser } from "./views.js";

const section = $("create-section");
const form = $("create-form");
const labelInput = $("create-label");
const error = $("create-error");
const submit = $("create-submit");
const ipsInput = $("create-ips");
const readOnly = $("create-read-only");
const expiry = $("create-expiry");
const expiryDate = $("create-expiry-date");

const DAY = 86_400_000;

/** The chosen expiry in epoch ms, null for never; throws a message for a date not in the future. */
function chosenExpiry() {
  if (expiry.value === "") return null;
  if (expiry.value !== "date") return Date.now() + Number(expiry.value) * DAY;
  // The end of the chosen day, local time: "expires on the 31st" works all of the 31st.
  const [y, m, d] = expiryDate.value.split("-").map(Number);
  const at = new Date(y, m - 1, d, 23, 59, 59, 999).getTime();
  if (!expiryDate.value || !Number.isFinite(at)) throw new Error("Choose the expiry date.");
  if (at <= Date.now()) throw new Error("Choose an expiry date in the future.");
  return at;
}
const mintField = $("mint-field");
const inBrowser = $("create-in-browser");

// Refusals about the scopes (examples/host/README.md, the error codes): focus goes to the picker.
const SCOPE_CODES = new Set(["no_scopes", "invalid_scopes", "unknown_scope", "scope_not_grantable"]);

/** The optional restrictions (caveats) chosen: IP ranges as typed, read-only as GET and HEAD. */
function chosenRestrictions() {
  const restrictions = {};
  const ranges = ipsInput.value.split(/[\s,]+/).filter(Boolean);
  if (ranges.length) restrictions.allowIps = ranges;
  if (readOnly.checked) restrictions.methods = ["GET", "HEAD"];
  return restrictions;
}

/** Loads the scope picker; the form can be sent once it is drawn. */
export async function loadCreateForm() {
  const [drawn, mintable] = await Promise.all([loadScopes(), mintingAvailable()]);
  mintField.hidden = !mintable;
  if (drawn) submit.disabled = false;
}

/** Creates on the server, or mints here and sends only the hash: the same answer either way. */
async function createOne(label, scopes, restrictions) {
  if (!inBrowser.checked || mintField.hidden) return createAppPassword(label, scopes, restrictions);
  const minted = await mintHere();
  const stored = await storeMintedAppPassword(label, scopes, minted.id, minted.phc, restrictions);
  return { ...stored, password: minted.password };
}

async function onSubmit(event) {
  event.preventDefault();
  error.textContent = "";
  const scopes = chosenScopes();
  // The picker's `required` (the label input has its own); the server still decides.
  if (!scopes.length) {
    error.textContent = "Choose at least one permission.";
    focusFirstScope();
    return;
  }
  let expiresAt;
  try {
    expiresAt = chosenExpiry();
  } catch (err) {
    error.textContent = err.message;
    (expiry.value === "date" ? expiryDate : expiry).focus();
    return;
  }
  setBusy(submit, true, "Creating…");
  try {
    const restrictions = chosenRestrictions();
    if (expiresAt) restrictions.expiresAt = expiresAt;
    const created = await createOne(labelInput.value.trim(), scopes, restrictions);
    resetCreateForm();
    showNewPassword(created, currentUser());
    loadList();
  } catch (err) {
    if (isSessionLost(err)) return; // the page is back at sign-in
    error.textContent = err.message;
    if (err.code === "invalid_label") labelInput.focus();
    else if (err.code === "invalid_caveat") ipsInput.focus();
    else if (err.code === "invalid_expiry") expiry.focus();
    else if (SCOPE_CODES.has(err.code)) focusFirstScope();
  } finally {
    setBusy(submit, false);
  }
}

export function resetCreateForm() {
  form.reset();
  clearChoices();
  expiryDate.hidden = true;
  expiryDate.required = false;
  error.textContent = "";
}

export function initCreate() {
  form.addEventListener("submit", onSubmit);
  form.addEventListener("reset", () => {
    // The form's own reset runs after this event; recompute once it has.
    setTimeout(() => {
      clearChoices();
      expiryDate.hidden = true;
      error.textContent = "";
    }, 0);
  });
  expiry.addEventListener("change", () => {
    expiryDate.hidden = expiry.value !== "date";
    expiryDate.required = expiry.value === "date";
    if (expiry.value === "date") {
      expiryDate.min = new Date(Date.now() + DAY).toISOString().slice(0, 10);
      expiryDate.focus();
    }
  });
  form.addEventListener("change", (event) => {
    if (event.target.name === "scope") error.textContent = "";
  });
  $("goto-create").addEventListener("click", (event) => {
    event.preventDefault();
    section.scrollIntoView({ block: "start" });
    labelInput.focus({ preventScroll: true });
  });
}
