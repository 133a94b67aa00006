// Revoke: a row's Revoke button asks for confirmation in a modal dialog; confirmed, the password
// is revoked and the list reloaded. Escape, Cancel or a click on the backdrop closes the dialog
// (not while the request is in flight); focus goes back to the button that opened it.

import { isSessionLost, revokeAppPassword } from "./api.js";
import { $, announce, setBusy } from "./dom.js";
import { findItem, loadList } from "./list.js";

const tbody = $("app-passwords-body");
const listTitle = $("list-title");
const dialog = $("revoke-dialog");
const message = $("revoke-message");
const error = $("revoke-error");
const confirm = $("confirm-revoke");
const cancel = $("cancel-revoke");

let pending = null; // { id, label, returnFocus }
let revoking = false;

function onListClick(event) {
  const button = event.target.closest("button.revoke");
  if (!button || !tbody.contains(button)) return;
  const row = button.closest("tr[data-id]");
  const id = row.dataset.id;
  const item = findItem(id);
  const label = item ? String(item.label ?? "") : row.querySelector(".label").textContent;
  pending = { id, label, returnFocus: button };
  message.textContent = `Revoke app password '${label}'? Any script using it will stop working immediately.`;
  error.textContent = "";
  confirm.disabled = false;
  cancel.disabled = false;
  dialog.showModal();
  cancel.focus();
}

async function onConfirm() {
  const current = pending;
  if (!current || revoking) return;
  revoking = true;
  error.textContent = "";
  setBusy(confirm, true, "Revoking…");
  cancel.disabled = true;
  let done = null;
  try {
    await revokeAppPassword(current.id);
    done = `Revoked app password '${current.label}'.`;
  } catch (err) {
    if (isSessionLost(err)) return; // the page is back at sign-in
    if (err.status === 404) done = `App password '${current.label}' no longer exists.`;
    else error.textContent = `Could not revoke: ${err.message}`;
  } finally {
    revoking = false;
    setBusy(confirm, false);
    cancel.disabled = false;
  }
  if (done === null) return; // stay in the dialog, showing the error
  current.returnFocus = null;
  dialog.close();
  announce(done);
  await loadList();
  listTitle.focus();
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
