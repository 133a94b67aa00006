// The list: the signed-in person's app passwords as a table, newest first, with when each was
// created, when it expires ("expires in 3 days", "expired") and was last used ("5 minutes ago",
// kept current), whether it is disabled or replaced, and its actions (revoke.js handles them).

import { listAppPasswords, isSessionLost } from "./api.js";
import { $, h } from "./dom.js";
import { formatScopes } from "./scopes.js";
import { isTime, refreshRelativeTimes, timeElement } from "./time.js";

const list = $("app-passwords");
const table = $("app-passwords-table");
const tbody = $("app-passwords-body");
const empty = $("app-passwords-empty");
const listError = $("app-passwords-error");

let items = []; // as the API listed them

export async function loadList() {
  list.setAttribute("aria-busy", "true");
  try {
    items = await listAppPasswords();
    listError.textContent = "";
    render();
  } catch (err) {
    if (!isSessionLost(err)) listError.textContent = `Could not load your app passwords: ${err.message}`;
  } finally {
    list.setAttribute("aria-busy", "false");
  }
}

export function clearList() {
  items = [];
  tbody.replaceChildren();
  listError.textContent = "";
}

/** The listed app password with this id, if any. */
export function findItem(id) {
  return items.find((x) => String(x.id) === id);
}

/** The caveats a password has, in words ("" when none); list answers only those set. */
export function restrictionsText(item) {
  const parts = [];
  const names = (value) => (Array.isArray(value) ? value.map(String) : []);
  if (names(item.allowIps).length) parts.push(`Only from ${names(item.allowIps).join(", ")}`);
  if (names(item.denyIps).length) parts.push(`Never from ${names(item.denyIps).join(", ")}`);
  if (names(item.methods).length) parts.push(`${names(item.methods).join(", ")} only`);
  if (names(item.paths).length) parts.push(`Paths ${names(item.paths).join(", ")}`);
  if (isTime(item.notBefore)) parts.push(`Not before ${new Date(item.notBefore).toISOString()}`);
  if (Number.isSafeInteger(item.maxUses)) parts.push(`At most ${item.maxUses} uses`);
  return parts.join(" · ");
}

function row(item) {
  const label = String(item.label ?? "");
  const id = String(item.id ?? "");

  const labelCell = h(
    "td",
    { class: "label-cell" },
    h("span", { class: "label", text: label }),
    h("span", { class: "id-hint" }, "ID ", h("code", { text: id })),
  );
  const enabled = item.enabled !== false;
  const replaced = typeof item.replacedBy === "string" && item.replacedBy !== "";
  if (replaced) {
    labelCell.append(h("span", { class: "badge badge-replaced", title: `Replaced by ${item.replacedBy}` }, "Replaced"));
  }
  if (!enabled) labelCell.append(h("span", { class: "badge badge-disabled" }, "Disabled"));

  const scopesCell = h("td", { class: "scopes", "data-label": "Scopes", text: formatScopes(item.scopes) });
  const limits = restrictionsText(item);
  if (limits) scopesCell.append(h("span", { class: "restrictions-note", text: limits }));

  const createdCell = h("td", { class: "created", "data-label": "Created" });
  const createdValue = h("span", { class: "cell-value" });
  if (isTime(item.createdAt)) createdValue.append(timeElement(item.createdAt));
  else createdValue.textContent = "—";
  if (isTime(item.expiresAt)) {
    const expired = item.expiresAt <= Date.now();
    createdValue.append(
      expired
        ? h("span", { class: "expires is-expired" }, "Expired")
        : h("span", { class: "expires" }, "Expires ", timeElement(item.expiresAt, { relative: true })),
    );
  }
  createdCell.append(createdValue);

  const lastUsedCell = h("td", { class: "last-used", "data-label": "Last used" });
  if (isTime(item.lastUsedAt)) lastUsedCell.append(timeElement(item.lastUsedAt, { relative: true }));
  else lastUsedCell.textContent = "Never";

  // revoke.js handles the clicks (one listener on the table body).
  const action = (name, text, style) =>
    h("button", { type: "button", class: `btn ${style} btn-small ${name}`, "aria-label": `${text} ${label}`, text });
  const actionsCell = h("td", { class: "actions-cell" });
  if (!replaced) actionsCell.append(action("rotate", "Rotate", "btn-secondary"));
  actionsCell.append(action("toggle", enabled ? "Disable" : "Enable", "btn-secondary"));
  actionsCell.append(action("revoke", "Revoke", "btn-danger-outline"));

  const tr = h("tr", { class: `${enabled ? "" : "is-disabled"}${replaced ? " is-replaced" : ""}`.trim() }, labelCell, scopesCell, createdCell, lastUsedCell, actionsCell);
  tr.dataset.id = id;
  return tr;
}

function render() {
  const rows = [...items].sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0)).map(row);
  tbody.replaceChildren(...rows);
  table.hidden = rows.length === 0;
  empty.hidden = rows.length !== 0;
}

export function initList() {
  setInterval(() => refreshRelativeTimes(tbody), 30_000);
}
