// Create: a label and the chosen scopes, sent to the server, which checks both (a label is 1 to
// 255 characters, counted as the core counts them; scopes must exist and be grantable) and
// answers with its own message when it refuses. The page does not restate those rules.

import { createAppPassword, isSessionLost } from "./api.js";
import { $, setBusy } from "./dom.js";
import { loadList } from "./list.js";
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
  if (await loadScopes()) submit.disabled = false;
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
  setBusy(submit, true, "Creating…");
  try {
    const created = await createAppPassword(labelInput.value.trim(), scopes, chosenRestrictions());
    resetCreateForm();
    showNewPassword(created, currentUser());
    loadList();
  } catch (err) {
    if (isSessionLost(err)) return; // the page is back at sign-in
    error.textContent = err.message;
    if (err.code === "invalid_label") labelInput.focus();
    else if (err.code === "invalid_caveat") ipsInput.focus();
    else if (SCOPE_CODES.has(err.code)) focusFirstScope();
  } finally {
    setBusy(submit, false);
  }
}

export function resetCreateForm() {
  form.reset();
  clearChoices();
  error.textContent = "";
}

export function initCreate() {
  form.addEventListener("submit", onSubmit);
  form.addEventListener("reset", () => {
    // The form's own reset runs after this event; recompute once it has.
    setTimeout(() => {
      clearChoices();
      error.textContent = "";
    }, 0);
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
