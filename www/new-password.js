// The panel that shows a new app password, once: the password and a curl line using it, each
// with a Copy button. "Done" (or leaving the page) forgets it; a reload never shows it again.

import { $, announce } from "./dom.js";

const panel = $("new-password-panel");
const panelLabel = $("new-password-label");
const panelLabelWrap = $("new-password-label-wrap");
const input = $("new-password");
const copyPassword = $("copy-password");
const curlLine = $("curl-line");
const copyCurl = $("copy-curl");

// The one copy of a newly created password; null except while the panel shows it.
let password = null;

// Quote a shell word only when it needs it (usernames are normally plain).
function shellWord(s) {
  return /^[A-Za-z0-9@%+=,.:_\-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Shows `created` (the answer to a create) for `user`, and moves focus to it. */
export function showNewPassword(created, user) {
  password = String(created.password ?? "");
  panelLabel.textContent = String(created.label ?? "");
  panelLabelWrap.hidden = !created.label;
  input.value = password;
  curlLine.textContent = `curl -u ${shellWord(`${user}:${password}`)} ${location.origin}/api/user`;
  copyPassword.textContent = "Copy";
  copyCurl.textContent = "Copy command";
  panel.hidden = false;
  panel.focus();
  announce("App password created. Copy it now: it will not be shown again.");
}

export function clearNewPassword() {
  password = null;
  input.value = "";
  input.removeAttribute("value");
  curlLine.textContent = "";
  panelLabel.textContent = "";
  panel.hidden = true;
  window.getSelection()?.removeAllRanges();
}

function selectContents(node) {
  if (node instanceof HTMLInputElement) {
    node.focus();
    node.select();
    node.setSelectionRange(0, node.value.length);
    return;
  }
  const range = document.createRange();
  range.selectNodeContents(node);
  const sel = window.getSelection();
  sel.removeAllRanges();
  sel.addRange(range);
}

// Copy with the async clipboard API; else select the text and try execCommand; else leave it
// selected and tell the person to press the copy shortcut.
async function copyFrom(node, text, button, idleText) {
  let ok = false;
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      ok = true;
    }
  } catch {
    ok = false;
  }
  if (!ok) {
    selectContents(node);
    try {
      ok = document.execCommand("copy");
    } catch {
      ok = false;
    }
  }
  if (ok) {
    button.textContent = "Copied";
    announce("Copied");
    setTimeout(() => {
      if (button.textContent === "Copied") button.textContent = idleText;
    }, 2500);
  } else {
    selectContents(node);
    announce("Copying is blocked here. The text is selected: press Ctrl+C (⌘C on a Mac) to copy it.");
  }
}

/** `onDone` runs after "Done" has hidden the panel. */
export function initNewPassword({ onDone }) {
  copyPassword.addEventListener("click", () => {
    if (password) copyFrom(input, password, copyPassword, "Copy");
  });
  copyCurl.addEventListener("click", () => {
    if (password) copyFrom(curlLine, curlLine.textContent, copyCurl, "Copy command");
  });
  input.addEventListener("focus", () => input.select());
  $("new-password-done").addEventListener("click", () => {
    clearNewPassword();
    onDone();
  });
}
