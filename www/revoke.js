// A row's actions: Revoke, Rotate, Disable / Enable. Each asks for confirmation in the one modal
// dialog; confirmed, it is done and the list reloaded. Rotate then shows the new password once,
// in the same panel as a created one (the old one is listed as "Replaced"). Escape, Cancel or a
// click on the backdrop closes the dialog (not while the request is in flight); focus goes back
// to the button that opened it.

import { isSessionLost, revokeAppPassword, rotateAppPassword, setAppPasswordEnabled } from "./api.js";
import { $, announce, setBusy } from "./dom.js";
import { findItem, loadList } from "./list.js";
import { showNewPassword } from "./new-password.js";
import { currentUser } from "./views.js";

const tbody = $("app-passwords-body");
const listTitle = $("list-title");
const dialog = $("revoke-dialog");
const title = $("revoke-title");
const message = $("revoke-message");
const error = $("revoke-error");
const confirm = $("confirm-revoke");
const cancel = $("cancel-revoke");

/** What each action asks, says while busy, does, and announces. */
const ACTIONS = {
  revoke: {
    title: "Revoke app password",
    ask: (label) => `Revoke app password '${label}'? Any script using it will stop working immediately.`,
    button: "Revoke",
    busy: "Revoking…",
    danger: true,
    run: (item) => revokeAppPassword(item.id),
    done: (label) => `Revoked app password '${label}'.`,
  },
  rotate: {
    title: "Rotate app password",
    ask: (label) =>
      `Rotate app password '${label}'? You get a new password with the same permissions and expiry. ` +
      "The old one keeps working until the new one is first used, or for 24 hours at most.",
    button: "Rotate",
    busy: "Rotating…",
    run: (item) => rotateAppPassword(item.id),
    done: (label) => `Rotated app password '${label}'. Copy the new password now: it will not be shown again.`,
  },
  disable: {
    title: "Disable app password",
    ask: (label) => `Disable app password '${label}'? Scripts using it are refused until you enable it again.`,
    button: "Disable",
    busy: "Disabling…",
    run: (item) => setAppPasswordEnabled(item.id, false),
    done: (label) => `Disabled app password '${label}'.`,
  },
  enable: {
    title: "Enable app password",
    ask: (label) => `Enable app password '${label}' again? Scripts using it will be accepted again.`,
    button: "Enable",
    busy: "Enabling…",
    run: (item) => setAppPasswordEnabled(item.id, true),
    done: (label) => `Enabled app password '${label}'.`,
  },
};

let pending = null; // { id, label, action, returnFocus }
let revoking = false; // a request is in flight

function onListClick(event) {
  const button = event.target.closest("button.revoke, button.rotate, button.toggle");
  if (!button || !tbody.contains(button)) return;
  const row = button.closest("tr[data-id]");
  const id = row.dataset.id;
  const item = findItem(id);
  const label = item ? String(item.label ?? "") : row.querySelector(".label").textContent;
  const name = button.classList.contains("toggle")
    ? item?.enabled === false
      ? "enable"
      : "disable"
    : button.classList.contains("rotate")
      ? "rotate"
      : "revoke";
  const action = ACTIONS[name];
  pending = { id, label, action, returnFocus: button };
  title.textContent = action.title;
  message.textContent = action.ask(label);
  confirm.textContent = action.button;
  confirm.className = `btn ${action.danger ? "btn-danger" : "btn-primary"}`;
  error.textContent = "";
  confirm.disabled = false;
  cancel.disabled = false;
  dialog.showModal();
  cancel.focus();
}

async function onConfirm() {
  const current = pending;
  if (!current || revoking) return;
  const { action } = current;
  revoking = true;
  error.textContent = "";
  setBusy(confirm, true, action.busy);
  cancel.disabled = true;
  let done = null;
  let rotated = null;
  try {
    const answer = await action.run(current);
    if (action === ACTIONS.rotate) rotated = answer;
    done = action.done(current.label);
  } catch (err) {
    if (isSessionLost(err)) return; // the page is back at sign-in
    if (err.status === 404) done = `App password '${current.label}' no longer exists.`;
    else error.textContent = `Could not ${action.button.toLowerCase()}: ${err.message}`;
  } finally {
    revoking = false;
    setBusy(confirm, false);
    cancel.disabled = false;
  }
  if (done === null) return; // stay in the dialog, showing the error
  current.returnFocus = null;
  dialog.close();
  await loadList();
  if (rotated) {
    showNewPassword(rotated, currentUser()); // moves focus to the panel, and announces it
  } else {
    announce(done);
    listTitle.focus();
  }
}

function onClose() {
  const closed = pending;
  pending = null;
  message.textContent = "";
  error.textContent = "";
  if (closed?.returnFocus?.isConnected) closed.returnFocus.focus();
}

function onBackdropClick(event) {
  // A click on the backdrop (the dialog box itself, outside its content) cancels.
  if (event.target !== dialog || revoking) return;
  const r = dialog.getBoundingClientRect();
  const inside = event.clientX >= r.left && event.clientX <= r.right && event.clientY >= r.top && event.clientY <= r.bottom;
  if (!inside) dialog.close();
}

/** Closes the dialog if it is open (signing out, session lost). */
export function closeRevoke() {
  if (dialog.open) dialog.close();
}

export function initRevoke() {
  tbody.addEventListener("click", onListClick);
  confirm.addEventListener("click", onConfirm);
  cancel.addEventListener("click", () => {
    if (!revoking) dialog.close();
  });
  dialog.addEventListener("close", onClose);
  // Escape: allowed, except while the DELETE is in flight.
  dialog.addEventListener("cancel", (event) => {
    if (revoking) event.preventDefault();
  });
  dialog.addEventListener("click", onBackdropClick);
}
