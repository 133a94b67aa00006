// app-passwords: the page a person uses to sign in, create, list and revoke app passwords.
// Plain ES modules, no framework, no build step. Served under a strict CSP: no inline script,
// no inline style; views are switched with the `hidden` attribute and classes only.
// All user-supplied text goes into the DOM through textContent / attributes, never innerHTML.
//
// This module wires the others together:
//   api.js           the host's JSON API          dom.js       element helpers, announcements
//   views.js         which screen shows           login.js     sign in, sign out
//   scopes.js        the scope picker             create.js    the create form
//   new-password.js  the password, shown once    list.js      the list of app passwords
//   revoke.js        revoke, with confirmation    time.js      dates and "5 minutes ago"

import { getSession, isSessionLost, onSessionLost } from "./api.js";
import { $ } from "./dom.js";
import { initCreate, loadCreateForm, resetCreateForm } from "./create.js";
import { clearList, initList, loadList } from "./list.js";
import { initLogin } from "./login.js";
import { clearNewPassword, initNewPassword } from "./new-password.js";
import { closeRevoke, initRevoke } from "./revoke.js";
import { initScopes } from "./scopes.js";
import { clearUser, showApp, showLogin, showView } from "./views.js";

const listTitle = $("list-title");

async function enterApp(username) {
  showApp(username);
  await Promise.all([loadCreateForm(), loadList()]);
}

// Everything of the account leaves the page: the dialog, the new password, the list, the form.
function leaveApp() {
  closeRevoke();
  clearNewPassword();
  clearList();
  resetCreateForm();
  clearUser();
}

async function start() {
  initLogin({ enter: enterApp, leave: leaveApp });
  initScopes();
  initCreate();
  initNewPassword({
    onDone: () => {
      loadList();
      listTitle.focus();
    },
  });
  initList();
  initRevoke();
  onSessionLost(() => {
    leaveApp();
    showLogin("Your session has ended. Sign in again.");
  });

  showView("loading");
  let session;
  try {
    session = await getSession();
  } catch (err) {
    showLogin(isSessionLost(err) ? "" : `Could not check your session: ${err.message}`);
    return;
  }
  await enterApp(session?.username || "");
}

start();
