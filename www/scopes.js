// The scope picker: the catalogue from GET /api/scopes drawn as checkboxes by group. A scope
// that a checked one implies is shown checked, disabled and "implied by ...". What implies what
// is the catalogue's `closure` (computed by the core, transitively); the page never derives it.
// Only the explicit choices are sent: the server closes them again when it creates.

import { getCatalogue } from "./api.js";
import { $, h } from "./dom.js";

const groupsEl = $("scope-groups");

let catalogue = null; // [{name, group, level, implies, grantable, closure}], once loaded
const byName = new Map(); // name -> scope
const order = new Map(); // name -> catalogue position
const explicit = new Set(); // scopes the person checked (never one implied by another checked one)

/** Loads and draws the catalogue (once per page load); false when it could not be loaded. */
export async function loadScopes() {
  if (catalogue) return true;
  try {
    const scopes = await getCatalogue();
    for (const [i, s] of scopes.entries()) {
      byName.set(s.name, s);
      order.set(s.name, i);
    }
    catalogue = scopes;
    render();
    return true;
  } catch (err) {
    groupsEl.replaceChildren(h("p", { class: "error", text: `Could not load permissions: ${err.message}` }));
    return false;
  }
}

/** Everything `name` implies, as the catalogue says. */
function impliedBy(name) {
  const closure = byName.get(name)?.closure;
  return Array.isArray(closure) ? closure.filter((n) => n !== name) : [];
}

export function byCatalogueOrder(a, b) {
  return (order.get(a) ?? Infinity) - (order.get(b) ?? Infinity) || (a < b ? -1 : a > b ? 1 : 0);
}

/** Scope names joined for display, in catalogue order once it is loaded (else as given). */
export function formatScopes(names) {
  const list = Array.isArray(names) ? [...names] : [];
  if (catalogue) list.sort(byCatalogueOrder);
  return list.join(", ");
}

/** The explicit choices, in catalogue order: what a create sends. */
export function chosenScopes() {
  return [...explicit].sort(byCatalogueOrder);
}

export function clearChoices() {
  explicit.clear();
  update();
}

export function focusFirstScope() {
  groupsEl.querySelector('input[name="scope"]:not(:disabled)')?.focus();
}

function render() {
  const groups = new Map();
  for (const s of catalogue) {
    if (!s.grantable) continue;
    if (!groups.has(s.group)) groups.set(s.group, []);
    groups.get(s.group).push(s);
  }
  const fieldsets = [];
  let i = 0;
  for (const [group, scopes] of groups) {
    const fs = h("fieldset", { class: "scope-group" }, h("legend", { text: group }));
    for (const s of scopes) {
      const id = `scope-${i++}`;
      const input = h("input", { type: "checkbox", name: "scope", value: s.name, id });
      const option = h(
        "label",
        { class: "scope-option", for: id },
        input,
        h(
          "span",
          { class: "scope-text" },
          h("span", { class: "scope-level", text: s.level }),
          " ",
          h("code", { class: "scope-name", text: s.name }),
          h("span", { class: "implied-note" }),
        ),
      );
      option.dataset.scope = s.name;
      fs.append(option);
    }
    fieldsets.push(fs);
  }
  if (!fieldsets.length) {
    groupsEl.replaceChildren(h("p", { class: "muted", text: "This server offers no permissions." }));
    return;
  }
  groupsEl.replaceChildren(...fieldsets);
  update();
}

// Recompute checked / disabled / "implied by" from the explicit choices.
function update() {
  const implied = new Map(); // scope -> the chosen scopes that imply it
  for (const chosen of chosenScopes()) {
    for (const name of impliedBy(chosen)) {
      if (!implied.has(name)) implied.set(name, []);
      implied.get(name).push(chosen);
    }
  }
  for (const cb of groupsEl.querySelectorAll('input[type="checkbox"][name="scope"]')) {
    const option = cb.closest(".scope-option");
    const note = option.querySelector(".implied-note");
    const by = implied.get(cb.value);
    if (by) {
      explicit.delete(cb.value);
      cb.checked = true;
      cb.disabled = true;
      option.classList.add("is-implied");
      note.textContent = ` implied by ${by.join(", ")}`;
    } else {
      cb.disabled = false;
      cb.checked = explicit.has(cb.value);
      option.classList.remove("is-implied");
      note.textContent = "";
    }
    option.classList.toggle("is-checked", cb.checked);
  }
}

function onChange(event) {
  const cb = event.target;
  if (!(cb instanceof HTMLInputElement) || cb.name !== "scope") return;
  if (cb.checked) {
    explicit.add(cb.value);
    // A scope now implied by this one is no longer an explicit choice.
    for (const name of impliedBy(cb.value)) explicit.delete(name);
  } else {
    explicit.delete(cb.value);
  }
  update();
}

export function initScopes() {
  groupsEl.addEventListener("change", onChange);
}
