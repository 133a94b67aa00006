// Which screen shows (loading, sign-in, or the signed-in page) and whose account is signed in.

import { $ } from "./dom.js";

const loading = $("loading");
const loginView = $("login-view");
const appView = $("app-view");
const accountBar = $("account-bar");
const signedInUser = $("signed-in-user");
const loginError = $("login-error");
const loginSubmit = $("login-submit");
const loginUsername = $("login-username");
const loginPassword = $("login-password");

let user = null;

/** "loading", "login" or "app". */
export function showView(view) {
  loading.hidden = view !== "loading";
  loginView.hidden = view !== "login";
  appView.hidden = view !== "app";
  accountBar.hidden = view !== "app";
}

/** The sign-in form, with `message` in its error line, focus on the first empty field. */
export function showLogin(message = "") {
  showView("login");
  loginError.textContent = message;
  loginSubmit.disabled = false;
  (loginUsername.value ? loginPassword : loginUsername).focus();
}

/** The signed-in page for `username`. */
export function showApp(username) {
  user = username;
  signedInUser.textContent = username;
  showView("app");
}

export function currentUser() {
  return user;
}

export function clearUser() {
  user = null;
  signedInUser.textContent = "";
}
