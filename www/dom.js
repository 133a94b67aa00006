// Element helpers: find an element, build one (text goes in as text, never as HTML), announce a
// message to screen readers through the live region, mark a button busy.

export const $ = (id) => document.getElementById(id);

/** `h("td", {class: "x", text: "y"}, child, "text", ...)`: an element with attributes and children. */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

const status = $("status");
let statusTimer = 0;

/** Says `message` in the polite live region; it is cleared after 6 s unless `sticky`. */
export function announce(message, { sticky = false } = {}) {
  clearTimeout(statusTimer);
  // Clear first so that the same message twice in a row is announced again.
  status.textContent = "";
  requestAnimationFrame(() => {
    status.textContent = message;
  });
  if (!sticky) {
    statusTimer = setTimeout(() => {
      status.textContent = "";
    }, 6000);
  }
}

/** Disables `button` and shows `busyText` while `busy`; restores its own text after. */
export function setBusy(button, busy, busyText) {
  if (busy) {
    button.dataset.idleText = button.textContent;
    if (busyText) button.textContent = busyText;
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
  } else {
    if (button.dataset.idleText) button.textContent = button.dataset.idleText;
    delete button.dataset.idleText;
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}
