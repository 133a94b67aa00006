// app-passwords: the page a person uses to sign in, create, list and revoke app passwords.
// Plain ES module, no framework, no build step. Served under a strict CSP: no inline script,
// no inline style; views are switched with the `hidden` attribute and classes only.
// All user-supplied text goes into the DOM through textContent / attributes, never innerHTML.

const $ = (id) => document.getElementById(id);

const el = {
  loading: $("loading"),
  loginView: $("login-view"),
  loginForm: $("login-form"),
  loginUsername: $("login-username"),
  loginPassword: $("login-password"),
  loginError: $("login-error"),
  loginSubmit: $("login-submit"),
  appView: $("app-view"),
  accountBar: $("account-bar"),
  signedInUser: $("signed-in-user"),
  logout: $("logout"),
  listTitle: $("list-title"),
  list: $("app-passwords"),
  table: $("app-passwords-table"),
  tbody: $("app-passwords-body"),
  empty: $("app-passwords-empty"),
  listError: $("app-passwords-error"),
  createSection: $("create-section"),
  createForm: $("create-form"),
  createLabel: $("create-label"),
  scopeGroups: $("scope-groups"),
  createError: $("create-error"),
  createSubmit: $("create-submit"),
  panel: $("new-password-panel"),
  panelLabel: $("new-password-label"),
  panelLabelWrap: $("new-password-label-wrap"),
  newPassword: $("new-password"),
  copyPassword: $("copy-password"),
  curlLine: $("curl-line"),
  copyCurl: $("copy-curl"),
  done: $("new-password-done"),
  dialog: $("revoke-dialog"),
  revokeMessage: $("revoke-message"),
  revokeError: $("revoke-error"),
  confirmRevoke: $("confirm-revoke"),
  cancelRevoke: $("cancel-revoke"),
  status: $("status"),
};

const LOGIN_NOT_ALLOWED_TEXT =
  "App passwords cannot be used to sign in to the website; use your account password.";

const state = {
  user: null,
  scopes: null, // catalogue from /api/scopes, in catalogue order
  byName: new Map(), // name -> scope
  order: new Map(), // name -> catalogue position
  explicit: new Set(), // scopes the user checked (never ones implied by another checked scope)
  items: [], // app passwords of the signed-in user
  pendingRevoke: null, // { id, label, returnFocus }
  revoking: false,
};

// The one copy of a newly created password; null except while the panel shows it.
let newPasswordValue = null;

// ---------------------------------------------------------------------------------------------
// HTTP

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(method, path, body) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, "network_error", "Could not reach the server. Check your connection and try again.");
  }
  let data = null;
  if (res.status !== 204) {
    const text = await res.text().catch(() => "");
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
  }
  if (!res.ok) {
    const err = data && typeof data === "object" ? data.error : null;
    const code = err && typeof err.code === "string" ? err.code : `http_${res.status}`;
    const message =
      err && typeof err.message === "string" && err.message
        ? err.message
        : `The server answered ${res.status}${res.statusText ? ` ${res.statusText}` : ""}.`;
    throw new ApiError(res.status, code, message);
  }
  return data;
}

// A 401 on a session call means the session is gone: back to the sign-in form.
function isSessionLost(err) {
  return err instanceof ApiError && err.status === 401;
}

// ---------------------------------------------------------------------------------------------
// Small DOM helpers

function h(tag, attrs = {}, ...children) {
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

let statusTimer = 0;
function announce(message, { sticky = false } = {}) {
  clearTimeout(statusTimer);
  // Clear first so that the same message twice in a row is announced again.
  el.status.textContent = "";
  requestAnimationFrame(() => {
    el.status.textContent = message;
  });
  if (!sticky) {
    statusTimer = setTimeout(() => {
      el.status.textContent = "";
    }, 6000);
  }
}

function setBusy(button, busy, busyText) {
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

// ---------------------------------------------------------------------------------------------
// Time formatting

const absoluteFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "long" });
const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

function relativeTime(ms) {
  const diff = ms - Date.now();
  const abs = Math.abs(diff);
  if (abs < 45_000) return "just now";
  const units = [
    ["minute", 60_000, 45],
    ["hour", 3_600_000, 22],
    ["day", 86_400_000, 26],
    ["month", 2_629_800_000, 11],
    ["year", 31_557_600_000, Infinity],
  ];
  for (const [unit, size, max] of units) {
    const n = Math.round(diff / size);
    if (Math.abs(n) <= max) return relativeFormat.format(n, unit);
  }
  return absoluteFormat.format(new Date(ms));
}

function isTime(v) {
  return typeof v === "number" && Number.isFinite(v);
}

function timeElement(ms, { relative = false } = {}) {
  const d = new Date(ms);
  const t = h("time", { datetime: d.toISOString(), title: fullFormat.format(d) });
  if (relative) {
    t.dataset.relative = String(ms);
    t.textContent = relativeTime(ms);
  } else {
    t.textContent = absoluteFormat.format(d);
  }
  return t;
}

function refreshRelativeTimes() {
  for (const t of el.tbody.querySelectorAll("time[data-relative]")) {
    t.textContent = relativeTime(Number(t.dataset.relative));
  }
}

// ---------------------------------------------------------------------------------------------
// Views

function showView(view) {
  el.loading.hidden = view !== "loading";
  el.loginView.hidden = view !== "login";
  el.appView.hidden = view !== "app";
  el.accountBar.hidden = view !== "app";
}

function showLogin(message = "") {
  showView("login");
  el.loginError.textContent = message;
  el.loginSubmit.disabled = false;
  (el.loginUsername.value ? el.loginPassword : el.loginUsername).focus();
}

async function enterApp(username) {
  state.user = username;
  el.signedInUser.textContent = username;
  showView("app");
  await Promise.all([loadScopes(), loadList()]);
}

function leaveApp() {
  if (el.dialog.open) el.dialog.close();
  clearNewPassword();
  state.user = null;
  state.items = [];
  state.explicit.clear();
  el.signedInUser.textContent = "";
  el.tbody.replaceChildren();
  el.createForm.reset();
  el.createError.textContent = "";
  el.listError.textContent = "";
  updateScopeUI();
}

function sessionLost() {
  leaveApp();
  showLogin("Your session has ended. Sign in again.");
}

// ---------------------------------------------------------------------------------------------
// Sign in / sign out

async function onLogin(event) {
  event.preventDefault();
  el.loginError.textContent = "";
  const username = el.loginUsername.value.trim();
  const password = el.loginPassword.value;
  if (!username || !password) {
    el.loginError.textContent = "Enter your username and your account password.";
    (username ? el.loginPassword : el.loginUsername).focus();
    return;
  }
  setBusy(el.loginSubmit, true, "Signing in…");
  try {
    const res = await api("POST", "/login", { username, password });
    el.loginPassword.value = "";
    setBusy(el.loginSubmit, false);
    await enterApp((res && res.username) || username);
    el.listTitle.focus();
  } catch (err) {
    setBusy(el.loginSubmit, false);
    let message;
    if (err.code === "login_not_allowed") message = LOGIN_NOT_ALLOWED_TEXT;
    else if (err.status === 401) message = err.message || "Incorrect username or password.";
    else message = err.message;
    el.loginError.textContent = message;
    el.loginPassword.focus();
    el.loginPassword.select();
  }
}

async function onLogout() {
  setBusy(el.logout, true, "Signing out…");
  try {
    await api("POST", "/logout", {});
  } catch (err) {
    if (!isSessionLost(err)) {
      setBusy(el.logout, false);
      announce(`Could not sign out: ${err.message}`);
      return;
    }
  }
  setBusy(el.logout, false);
  leaveApp();
  el.loginUsername.value = "";
  showLogin();
  announce("Signed out.");
}

// ---------------------------------------------------------------------------------------------
// Scopes

async function loadScopes() {
  if (state.scopes) return;
  try {
    const res = await api("GET", "/api/scopes");
    const scopes = Array.isArray(res && res.scopes) ? res.scopes : [];
    state.scopes = scopes;
    state.byName = new Map(scopes.map((s) => [s.name, s]));
    state.order = new Map(scopes.map((s, i) => [s.name, i]));
    renderScopes();
    el.createSubmit.disabled = false;
  } catch (err) {
    if (isSessionLost(err)) return sessionLost();
    el.scopeGroups.replaceChildren(h("p", { class: "error", text: `Could not load permissions: ${err.message}` }));
  }
}

// Everything a scope implies, transitively, excluding itself. Uses the server's `closure`; falls
// back to walking `implies` if a host leaves it out.
function closureOf(name) {
  const s = state.byName.get(name);
  if (!s) return [];
  if (Array.isArray(s.closure)) return s.closure.filter((n) => n !== name);
  const seen = new Set();
  const stack = [...(s.implies || [])];
  while (stack.length) {
    const n = stack.pop();
    if (n === name || seen.has(n)) continue;
    seen.add(n);
    const t = state.byName.get(n);
    if (t) stack.push(...(t.implies || []));
  }
  return [...seen];
}

function byCatalogueOrder(a, b) {
  return (state.order.get(a) ?? Infinity) - (state.order.get(b) ?? Infinity) || (a < b ? -1 : a > b ? 1 : 0);
}

function renderScopes() {
  const groups = new Map();
  for (const s of state.scopes) {
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
    el.scopeGroups.replaceChildren(h("p", { class: "muted", text: "This server offers no permissions." }));
    return;
  }
  el.scopeGroups.replaceChildren(...fieldsets);
  updateScopeUI();
}

function scopeCheckboxes() {
  return el.scopeGroups.querySelectorAll('input[type="checkbox"][name="scope"]');
}

// Recompute checked / disabled / "implied by" from the explicit choices.
function updateScopeUI() {
  const impliedBy = new Map();
  const chosen = [...state.explicit].sort(byCatalogueOrder);
  for (const e of chosen) {
    for (const c of closureOf(e)) {
      if (!impliedBy.has(c)) impliedBy.set(c, []);
      impliedBy.get(c).push(e);
    }
  }
  for (const cb of scopeCheckboxes()) {
    const name = cb.value;
    const option = cb.closest(".scope-option");
    const note = option.querySelector(".implied-note");
    const by = impliedBy.get(name);
    if (by && by.length) {
      state.explicit.delete(name);
      cb.checked = true;
      cb.disabled = true;
      option.classList.add("is-implied");
      note.textContent = ` implied by ${by.join(", ")}`;
    } else {
      cb.disabled = false;
      cb.checked = state.explicit.has(name);
      option.classList.remove("is-implied");
      note.textContent = "";
    }
    option.classList.toggle("is-checked", cb.checked);
  }
}

function onScopeChange(event) {
  const cb = event.target;
  if (!(cb instanceof HTMLInputElement) || cb.name !== "scope") return;
  if (cb.checked) {
    state.explicit.add(cb.value);
    // A scope now implied by this one is no longer an explicit choice.
    for (const c of closureOf(cb.value)) state.explicit.delete(c);
  } else {
    state.explicit.delete(cb.value);
  }
  el.createError.textContent = "";
  updateScopeUI();
}

// ---------------------------------------------------------------------------------------------
// The list

async function loadList() {
  el.list.setAttribute("aria-busy", "true");
  try {
    const res = await api("GET", "/api/app-passwords");
    state.items = Array.isArray(res && res.appPasswords) ? res.appPasswords : [];
    el.listError.textContent = "";
    renderList();
  } catch (err) {
    if (isSessionLost(err)) return sessionLost();
    el.listError.textContent = `Could not load your app passwords: ${err.message}`;
  } finally {
    el.list.setAttribute("aria-busy", "false");
  }
}

function formatScopes(names) {
  const list = Array.isArray(names) ? [...names] : [];
  if (state.scopes) list.sort(byCatalogueOrder);
  return list.join(", ");
}

function renderList() {
  const items = [...state.items].sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0));
  const rows = items.map((item) => {
    const label = String(item.label ?? "");
    const id = String(item.id ?? "");

    const labelCell = h(
      "td",
      { class: "label-cell" },
      h("span", { class: "label", text: label }),
      h("span", { class: "id-hint" }, "ID ", h("code", { text: id })),
    );

    const scopesText = formatScopes(item.scopes);
    const scopesCell = h("td", { class: "scopes", "data-label": "Scopes", text: scopesText });

    const createdCell = h("td", { class: "created", "data-label": "Created" });
    const createdValue = h("span", { class: "cell-value" });
    if (isTime(item.createdAt)) createdValue.append(timeElement(item.createdAt));
    else createdValue.textContent = "—";
    if (isTime(item.expiresAt)) {
      const expired = item.expiresAt <= Date.now();
      createdValue.append(
        h("span", { class: `expires${expired ? " is-expired" : ""}` }, expired ? "Expired " : "Expires ", timeElement(item.expiresAt)),
      );
    }
    createdCell.append(createdValue);

    const lastUsedCell = h("td", { class: "last-used", "data-label": "Last used" });
    if (isTime(item.lastUsedAt)) lastUsedCell.append(timeElement(item.lastUsedAt, { relative: true }));
    else lastUsedCell.textContent = "Never";

    const revoke = h("button", {
      type: "button",
      class: "btn btn-danger-outline btn-small revoke",
      "aria-label": `Revoke ${label}`,
      text: "Revoke",
    });
    const actionsCell = h("td", { class: "actions-cell" }, revoke);

    const row = h("tr", {}, labelCell, scopesCell, createdCell, lastUsedCell, actionsCell);
    row.dataset.id = id;
    return row;
  });
  el.tbody.replaceChildren(...rows);
  el.table.hidden = rows.length === 0;
  el.empty.hidden = rows.length !== 0;
}

// ---------------------------------------------------------------------------------------------
// Create

async function onCreate(event) {
  event.preventDefault();
  el.createError.textContent = "";
  const label = el.createLabel.value.trim();
  if (!label) {
    el.createError.textContent = "Give the app password a label.";
    el.createLabel.focus();
    return;
  }
  if (label.length > 255) {
    el.createError.textContent = "The label can be at most 255 characters.";
    el.createLabel.focus();
    return;
  }
  const scopes = [...state.explicit].sort(byCatalogueOrder);
  if (!scopes.length) {
    el.createError.textContent = "Choose at least one permission.";
    const first = el.scopeGroups.querySelector('input[name="scope"]:not(:disabled)');
    if (first) first.focus();
    return;
  }
  setBusy(el.createSubmit, true, "Creating…");
  try {
    const res = await api("POST", "/api/app-passwords", { label, scopes });
    resetCreateForm();
    showNewPassword(res);
    loadList();
  } catch (err) {
    if (isSessionLost(err)) return sessionLost();
    el.createError.textContent = err.message;
  } finally {
    setBusy(el.createSubmit, false);
  }
}

function resetCreateForm() {
  el.createForm.reset();
  state.explicit.clear();
  el.createError.textContent = "";
  updateScopeUI();
}

function onCreateReset() {
  // The form's own reset runs after this event; recompute once it has.
  setTimeout(() => {
    state.explicit.clear();
    el.createError.textContent = "";
    updateScopeUI();
  }, 0);
}

// Quote a shell word only when it needs it (usernames are normally plain).
function shellWord(s) {
  return /^[A-Za-z0-9@%+=,.:_\-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function showNewPassword(res) {
  newPasswordValue = String(res.password ?? "");
  el.panelLabel.textContent = String(res.label ?? "");
  el.panelLabelWrap.hidden = !res.label;
  el.newPassword.value = newPasswordValue;
  el.curlLine.textContent =
    `curl -u ${shellWord(`${state.user}:${newPasswordValue}`)} ${location.origin}/api/user`;
  el.copyPassword.textContent = "Copy";
  el.copyCurl.textContent = "Copy command";
  el.panel.hidden = false;
  el.panel.focus();
  announce("App password created. Copy it now: it will not be shown again.");
}

function clearNewPassword() {
  newPasswordValue = null;
  el.newPassword.value = "";
  el.newPassword.removeAttribute("value");
  el.curlLine.textContent = "";
  el.panelLabel.textContent = "";
  el.panel.hidden = true;
  const sel = window.getSelection();
  if (sel) sel.removeAllRanges();
}

function onDone() {
  clearNewPassword();
  loadList();
  el.listTitle.focus();
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

// ---------------------------------------------------------------------------------------------
// Revoke

function onListClick(event) {
  const button = event.target.closest("button.revoke");
  if (!button || !el.tbody.contains(button)) return;
  const row = button.closest("tr[data-id]");
  const id = row.dataset.id;
  const item = state.items.find((x) => String(x.id) === id);
  const label = item ? String(item.label ?? "") : row.querySelector(".label").textContent;
  state.pendingRevoke = { id, label, returnFocus: button };
  el.revokeMessage.textContent = `Revoke app password '${label}'? Any script using it will stop working immediately.`;
  el.revokeError.textContent = "";
  el.confirmRevoke.disabled = false;
  el.cancelRevoke.disabled = false;
  el.dialog.showModal();
  el.cancelRevoke.focus();
}

async function onConfirmRevoke() {
  const pending = state.pendingRevoke;
  if (!pending || state.revoking) return;
  state.revoking = true;
  el.revokeError.textContent = "";
  setBusy(el.confirmRevoke, true, "Revoking…");
  el.cancelRevoke.disabled = true;
  let message = null;
  try {
    await api("DELETE", `/api/app-passwords/${encodeURIComponent(pending.id)}`);
    message = `Revoked app password '${pending.label}'.`;
  } catch (err) {
    if (isSessionLost(err)) {
      state.revoking = false;
      setBusy(el.confirmRevoke, false);
      return sessionLost();
    }
    if (err.status === 404) {
      message = `App password '${pending.label}' no longer exists.`;
    } else {
      el.revokeError.textContent = `Could not revoke: ${err.message}`;
    }
  } finally {
    state.revoking = false;
    setBusy(el.confirmRevoke, false);
    el.cancelRevoke.disabled = false;
  }
  if (message === null) return; // stay in the dialog, showing the error
  pending.returnFocus = null;
  el.dialog.close();
  announce(message);
  await loadList();
  el.listTitle.focus();
}

function onCancelRevoke() {
  if (state.revoking) return;
  el.dialog.close();
}

function onDialogClose() {
  const pending = state.pendingRevoke;
  state.pendingRevoke = null;
  el.revokeMessage.textContent = "";
  el.revokeError.textContent = "";
  if (pending && pending.returnFocus && pending.returnFocus.isConnected) pending.returnFocus.focus();
}

function onDialogCancel(event) {
  // Escape: allowed, except while the DELETE is in flight.
  if (state.revoking) event.preventDefault();
}

// ---------------------------------------------------------------------------------------------
// Start

function bind() {
  el.loginForm.addEventListener("submit", onLogin);
  el.logout.addEventListener("click", onLogout);
  el.createForm.addEventListener("submit", onCreate);
  el.createForm.addEventListener("reset", onCreateReset);
  el.scopeGroups.addEventListener("change", onScopeChange);
  el.copyPassword.addEventListener("click", () => {
    if (newPasswordValue) copyFrom(el.newPassword, newPasswordValue, el.copyPassword, "Copy");
  });
  el.copyCurl.addEventListener("click", () => {
    if (newPasswordValue) copyFrom(el.curlLine, el.curlLine.textContent, el.copyCurl, "Copy command");
  });
  el.newPassword.addEventListener("focus", () => el.newPassword.select());
  el.done.addEventListener("click", onDone);
  $("goto-create").addEventListener("click", (event) => {
    event.preventDefault();
    el.createSection.scrollIntoView({ block: "start" });
    el.createLabel.focus({ preventScroll: true });
  });
  el.tbody.addEventListener("click", onListClick);
  el.confirmRevoke.addEventListener("click", onConfirmRevoke);
  el.cancelRevoke.addEventListener("click", onCancelRevoke);
  el.dialog.addEventListener("close", onDialogClose);
  el.dialog.addEventListener("cancel", onDialogCancel);
  el.dialog.addEventListener("click", (event) => {
    // A click on the backdrop (the dialog box itself, outside its content) cancels.
    if (event.target === el.dialog && !state.revoking) {
      const r = el.dialog.getBoundingClientRect();
      const inside =
        event.clientX >= r.left && event.clientX <= r.right && event.clientY >= r.top && event.clientY <= r.bottom;
      if (!inside) el.dialog.close();
    }
  });
  setInterval(refreshRelativeTimes, 30_000);
}

async function start() {
  bind();
  showView("loading");
  let session;
  try {
    session = await api("GET", "/api/session");
  } catch (err) {
    showLogin(isSessionLost(err) ? "" : `Could not check your session: ${err.message}`);
    return;
  }
  await enterApp((session && session.username) || "");
}

start();
