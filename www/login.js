// Sign in with the account password, sign out. A refusal shows the server's message as it is
// (an app password at this form: the host's 403 login_not_allowed says why).

import { signIn, signOut, isSessionLost } from "./api.js";
import { $, announce, setBusy } from "./dom.js";
import { showLogin } from "./views.js";

const form = $("login-form");
const username = $("login-username");
const password = $("login-password");
const error = $("login-error");
const submit = $("login-submit");
const logout = $("logout");
const listTitle = $("list-title");

let hooks = { enter: async () => {}, leave: () => {} };

async function onSubmit(event) {
  event.preventDefault();
  error.textContent = "";
  const name = username.value.trim();
  if (!name || !password.value) {
    error.textContent = "Enter your username and your account password.";
    (name ? password : username).focus();
    return;
  }
  setBusy(submit, true, "Signing in…");
  try {
    const res = await signIn(name, password.value);
    password.value = "";
    setBusy(submit, false);
    await hooks.enter(res?.username || name);
    listTitle.focus();
  } catch (err) {
    setBusy(submit, false);
    error.textContent = err.message;
    password.focus();
    password.select();
  }
}

async function onLogout() {
  setBusy(logout, true, "Signing out…");
  try {
    await signOut();
  } catch (err) {
    if (!isSessionLost(err)) {
      setBusy(logout, false);
      announce(`Could not sign out: ${err.message}`);
      return;
    }
  }
  setBusy(logout, false);
  hooks.leave();
  username.value = "";
  showLogin();
  announce("Signed out.");
}

/** `enter(username)` shows the signed-in page; `leave()` forgets everything of the account. */
export function initLogin({ enter, leave }) {
  hooks = { enter, leave };
  form.addEventListener("submit", onSubmit);
  logout.addEventListener("click", onLogout);
}
