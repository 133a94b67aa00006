#![cfg(not(target_arch = "wasm32"))]
// Test helpers outside #[test] functions are test code too (see .clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! The service (docs/design.md: rules, storage, verification): create, list, revoke, verify, the verification
//! matrix, lastUsedAt throttling, expiry, scopes frozen at creation, re-hash upgrades, pepper.

mod common;

use std::sync::Arc;

use app_passwords::record::{index_key, record_key, tombstone_key, user_prefix};
use app_passwords::{
    AppPasswords, BasicAuthError, Config, Created, Error, Granted, HashParams, Malformed, MemoryStore, NewAppPassword,
    Prefix, Reason, Record, RefusalCode, VerifyRequest, VerifyResult, basic_header, generate,
};
use common::{
    ConstRandom, FailingRandom, Harness, SplitMix64, T0, api, block_on, catalog, clock, light_config, login, refused,
    with_other_secret,
};

fn create(h: &Harness, user: &str, label: &str, scopes: &[&str]) -> Created {
    block_on(h.svc.create(NewAppPassword { user, label, scopes, expires_at: None })).unwrap()
}

fn verify(h: &Harness, req: VerifyRequest<'_>) -> VerifyResult {
    block_on(h.svc.verify(req)).unwrap()
}

#[track_caller]
fn granted(result: VerifyResult) -> Granted {
    match result {
        VerifyResult::Granted(g) => g,
        VerifyResult::Refused(r) => panic!("expected a grant, got {r:?}"),
    }
}

#[track_caller]
fn assert_refused(result: VerifyResult, code: RefusalCode, reason: Reason) {
    let r = refused(result);
    assert_eq!((r.code, r.reason), (code, reason));
    assert_eq!(r.status(), if code == RefusalCode::InvalidCredentials { 401 } else { 403 });
}

#[test]
fn create_returns_a_password_that_verifies() {
    let h = Harness::new();
    let c = create(&h, "alice", "CI deploy", &["pullrequest:write"]);
    assert_eq!(c.id, c.password.id());
    assert_eq!(c.label, "CI deploy");
    assert_eq!(c.scopes, ["repository", "repository:write", "pullrequest", "pullrequest:write"]);
    assert_eq!(c.created_at, T0);
    assert_eq!(c.expires_at, None);
    assert!(app_passwords::looks_like_app_password(c.password.expose()));
    let g = granted(verify(&h, api("alice", c.password.expose(), &["repository:write"])));
    assert_eq!(
        g,
        Granted { user: "alice".into(), id: c.id.clone(), label: "CI deploy".into(), scopes: c.scopes, cached: false }
    );
}

#[test]
fn the_store_holds_a_record_and_an_index_entry_but_never_the_password() {
    let h = Harness::new();
    let c = create(&h, "bob@example.com", "tool", &["repository"]);
    let snapshot = h.store.snapshot();
    let keys: Vec<&str> = snapshot.iter().map(|(k, _)| k.as_str()).collect();
    let mut expected = vec![index_key("bob@example.com", &c.id), record_key(&c.id)];
    expected.sort();
    assert_eq!(keys, expected);
    assert!(keys.iter().all(|k| k.starts_with("app-passwords/v1/")));
    assert!(index_key("bob@example.com", &c.id).contains("/user/bob%40example.com/"));
    let secret = &c.password.expose()[16..48];
    for (_, value) in &snapshot {
        assert!(!value.contains(c.password.expose()) && !value.contains(secret), "{value}");
    }
    let record = Record::from_json(&h.raw(&record_key(&c.id)).unwrap(), &c.id).unwrap();
    assert_eq!((record.v, record.user.as_str(), record.label.as_str()), (1, "bob@example.com", "tool"));
    assert!(record.hash.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{}", record.hash);
    assert_eq!(record.scopes, h.svc.catalog().encode(&h.svc.scope_set(&["repository"]).unwrap()));
}

#[test]
fn create_rejects_bad_arguments_and_writes_nothing() {
    let h = Harness::new();
    let long_label = "x".repeat(256);
    let long_user = "u".repeat(129);
    let cases: Vec<(NewAppPassword<'_>, &str)> = vec![
        (NewAppPassword { user: "alice", label: "", scopes: &["repository"], expires_at: None }, "invalid_label"),
        (NewAppPassword { user: "alice", label: "  \t ", scopes: &["repository"], expires_at: None }, "invalid_label"),
        (
            NewAppPassword { user: "alice", label: &long_label, scopes: &["repository"], expires_at: None },
            "invalid_label",
        ),
        (NewAppPassword { user: "alice", label: "a\nb", scopes: &["repository"], expires_at: None }, "invalid_label"),
        (NewAppPassword { user: "", label: "l", scopes: &["repository"], expires_at: None }, "invalid_user"),
        (NewAppPassword { user: "al:ice", label: "l", scopes: &["repository"], expires_at: None }, "invalid_user"),
        (NewAppPassword { user: &long_user, label: "l", scopes: &["repository"], expires_at: None }, "invalid_user"),
        (NewAppPassword { user: "al\u{7}ice", label: "l", scopes: &["repository"], expires_at: None }, "invalid_user"),
        (NewAppPassword { user: "alice", label: "l", scopes: &[], expires_at: None }, "no_scopes"),
        (NewAppPassword { user: "alice", label: "l", scopes: &["repository:read"], expires_at: None }, "unknown_scope"),
        (
            NewAppPassword { user: "alice", label: "l", scopes: &["repository", "workspace:admin"], expires_at: None },
            "scope_not_grantable",
        ),
        (
            NewAppPassword { user: "alice", label: "l", scopes: &["account:login"], expires_at: None },
            "scope_not_grantable",
        ),
        (NewAppPassword { user: "alice", label: "l", scopes: &["repository"], expires_at: Some(T0) }, "invalid_expiry"),
        (
            NewAppPassword { user: "alice", label: "l", scopes: &["repository"], expires_at: Some(T0 - 1) },
            "invalid_expiry",
        ),
    ];
    for (new, code) in cases {
        let err = block_on(h.svc.create(new)).unwrap_err();
        assert_eq!(err.code(), code, "{new:?}");
    }
    assert!(h.store.is_empty());
    // The limits themselves are accepted.
    let label = "é".repeat(255);
    let user = "u".repeat(128);
    assert!(
        block_on(h.svc.create(NewAppPassword {
            user: &user,
            label: &label,
            scopes: &["email"],
            expires_at: Some(T0 + 1)
        }))
        .is_ok()
    );
}

#[test]
fn non_grantable_scope_error_names_the_scope() {
    let h = Harness::new();
    let err = block_on(h.svc.create(NewAppPassword {
        user: "alice",
        label: "l",
        scopes: &["workspace:admin"],
        expires_at: None,
    }))
    .unwrap_err();
    assert_eq!(err, Error::ScopeNotGrantable("workspace:admin".into()));
}

#[test]
fn list_shows_metadata_and_never_the_password_or_hash() {
    let h = Harness::new();
    let a = create(&h, "alice", "first", &["repository"]);
    h.set_now(T0 + 5);
    let b = create(&h, "alice", "second", &["issue:write"]);
    let other = create(&h, "bob", "bob's", &["wiki"]);
    let listed = block_on(h.svc.list("alice")).unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!((listed[0].id.as_str(), listed[0].label.as_str()), (a.id.as_str(), "first"));
    assert_eq!((listed[1].id.as_str(), listed[1].label.as_str()), (b.id.as_str(), "second"));
    assert_eq!(listed[0].scopes, ["repository"]);
    assert_eq!(listed[1].scopes, ["issue", "issue:write"]);
    assert_eq!((listed[0].created_at, listed[1].created_at), (T0, T0 + 5));
    assert_eq!((listed[0].last_used_at, listed[0].expires_at), (None, None));
    let shown = format!("{listed:?} {listed:#?}");
    for c in [&a, &b] {
        assert!(!shown.contains(c.password.expose()), "{shown}");
        assert!(!shown.contains(&c.password.expose()[16..48]), "{shown}");
    }
    assert!(!shown.contains("$argon2"), "{shown}");
    assert!(!shown.contains(&other.id));
    let bobs = block_on(h.svc.list("bob")).unwrap();
    assert_eq!(bobs.len(), 1);
    assert_eq!(bobs[0].id, other.id);
    assert!(block_on(h.svc.list("carol")).unwrap().is_empty());
    assert_eq!(block_on(h.svc.list("")).unwrap_err().code(), "invalid_user");
}

#[test]
fn list_paginates_through_a_small_page_size() {
    let h = Harness::with(Arc::new(MemoryStore::with_page_size(2)), light_config(), 3);
    let mut ids = Vec::new();
    for i in 0..5u64 {
        h.set_now(T0 + i);
        ids.push(create(&h, "alice", &format!("pw {i}"), &["repository"]).id);
    }
    // Neighbours whose keys sort right next to alice's.
    create(&h, "alice2", "x", &["repository"]);
    create(&h, "alic", "x", &["repository"]);
    create(&h, "alice.", "x", &["repository"]);
    let listed = block_on(h.svc.list("alice")).unwrap();
    assert_eq!(listed.iter().map(|l| l.id.clone()).collect::<Vec<_>>(), ids);
    assert_eq!(listed.iter().map(|l| l.label.as_str()).collect::<Vec<_>>(), ["pw 0", "pw 1", "pw 2", "pw 3", "pw 4"]);
    assert_eq!(block_on(h.svc.list("alice2")).unwrap().len(), 1);
}

#[test]
fn users_with_look_alike_names_are_isolated() {
    let h = Harness::new();
    let users = ["a", "a/b", "a%2Fb", "a b", "a+b", "A", "a%20b", "ä"];
    let created: Vec<Created> = users.iter().map(|u| create(&h, u, "l", &["email"])).collect();
    let prefixes: Vec<String> = users.iter().map(|u| user_prefix(u)).collect();
    for (i, p) in prefixes.iter().enumerate() {
        for (j, q) in prefixes.iter().enumerate() {
            assert!(i == j || !q.starts_with(p.as_str()), "{p} is a prefix of {q}");
        }
    }
    for (user, c) in users.iter().zip(&created) {
        let listed = block_on(h.svc.list(user)).unwrap();
        assert_eq!(listed.len(), 1, "{user}");
        assert_eq!(listed[0].id, c.id);
        for other in users.iter().filter(|o| *o != user) {
            assert_refused(
                verify(&h, api(other, c.password.expose(), &[])),
                RefusalCode::InvalidCredentials,
                Reason::WrongUser,
            );
        }
    }
}

#[test]
fn revoke_is_per_user_and_final() {
    let h = Harness::new();
    let c = create(&h, "alice", "l", &["repository"]);
    let pw = c.password.expose();
    assert!(!block_on(h.svc.revoke("bob", &c.id)).unwrap(), "another user cannot revoke it");
    granted(verify(&h, api("alice", pw, &[])));
    assert!(block_on(h.svc.list("bob")).unwrap().is_empty(), "nor see it");
    assert_refused(verify(&h, api("bob", pw, &[])), RefusalCode::InvalidCredentials, Reason::WrongUser);

    assert!(block_on(h.svc.revoke("alice", &c.id)).unwrap());
    assert!(!block_on(h.svc.revoke("alice", &c.id)).unwrap(), "second revoke");
    assert_refused(verify(&h, api("alice", pw, &[])), RefusalCode::InvalidCredentials, Reason::UnknownId);
    assert!(block_on(h.svc.list("alice")).unwrap().is_empty());
    assert!(h.raw(&record_key(&c.id)).is_none());
    assert!(h.raw(&index_key("alice", &c.id)).is_none());
    assert!(h.raw(&tombstone_key(&c.id)).is_some());
    // Junk ids and users are simply "not yours".
    for (user, id) in
        [("alice", ""), ("alice", "../record/x"), ("alice", "tooshort"), ("", c.id.as_str()), ("a:b", c.id.as_str())]
    {
        assert!(!block_on(h.svc.revoke(user, id)).unwrap(), "{user:?} {id:?}");
    }
}

#[test]
fn a_revoked_id_is_never_issued_again() {
    // A constant random source generates the same password every time: the second create
    // must refuse to reuse the id, whether the first is live or revoked.
    let store = Arc::new(MemoryStore::new());
    let now = Arc::new(std::sync::atomic::AtomicU64::new(T0));
    let svc = AppPasswords::with_parts(common::Shared(store), light_config(), clock(&now), ConstRandom(9)).unwrap();
    let new = NewAppPassword { user: "alice", label: "l", scopes: &["email"], expires_at: None };
    let first = block_on(svc.create(new)).unwrap();
    assert_eq!(block_on(svc.create(new)).unwrap_err(), Error::IdCollision);
    assert!(block_on(svc.revoke("alice", &first.id)).unwrap());
    let err = block_on(svc.create(new)).unwrap_err();
    assert_eq!(err.code(), "id_collision");
    assert_refused(
        block_on(svc.verify(api("alice", first.password.expose(), &[]))).unwrap(),
        RefusalCode::InvalidCredentials,
        Reason::UnknownId,
    );
}

#[test]
fn verification_matrix_reaches_every_code_and_reason() {
    let h = Harness::new();
    let c = create(&h, "alice", "l", &["repository:write"]);
    let pw = c.password.expose();
    let revoked = create(&h, "alice", "gone", &["repository"]);
    assert!(block_on(h.svc.revoke("alice", &revoked.id)).unwrap());
    h.set_now(T0 + 1);
    let expiring = block_on(h.svc.create(NewAppPassword {
        user: "alice",
        label: "short-lived",
        scopes: &["email"],
        expires_at: Some(T0 + 10),
    }))
    .unwrap();
    let unknown = generate(&Prefix::default(), &mut SplitMix64::new(77)).unwrap();
    let last = if pw.ends_with('0') { '1' } else { '0' };
    let bad_check = format!("{}{last}", &pw[..53]);
    let bad_alpha = format!("{}-{}", &pw[..30], &pw[31..]);
    let other_prefix = generate(&Prefix::new("ghx").unwrap(), &mut SplitMix64::new(78)).unwrap();
    let wrong_secret = with_other_secret(pw);

    use RefusalCode::*;
    let invalid = |r: Reason| (InvalidCredentials, r);
    let cases: Vec<(&str, VerifyResult, (RefusalCode, Reason))> = vec![
        (
            "wrong prefix",
            verify(&h, api("alice", other_prefix.expose(), &[])),
            invalid(Reason::Malformed(Malformed::WrongPrefix)),
        ),
        ("wrong length", verify(&h, api("alice", &pw[..53], &[])), invalid(Reason::Malformed(Malformed::WrongLength))),
        ("bad alphabet", verify(&h, api("alice", &bad_alpha, &[])), invalid(Reason::Malformed(Malformed::BadAlphabet))),
        ("bad checksum", verify(&h, api("alice", &bad_check, &[])), invalid(Reason::Malformed(Malformed::BadChecksum))),
        ("unknown id", verify(&h, api("alice", unknown.expose(), &[])), invalid(Reason::UnknownId)),
        ("revoked", verify(&h, api("alice", revoked.password.expose(), &[])), invalid(Reason::UnknownId)),
        ("wrong secret", verify(&h, api("alice", &wrong_secret, &[])), invalid(Reason::WrongSecret)),
        ("wrong user", verify(&h, api("bob", pw, &[])), invalid(Reason::WrongUser)),
        ("empty user", verify(&h, api("", pw, &[])), invalid(Reason::WrongUser)),
        ("user case", verify(&h, api("Alice", pw, &[])), invalid(Reason::WrongUser)),
        ("user prefix", verify(&h, api("alic", pw, &[])), invalid(Reason::WrongUser)),
        ("login", verify(&h, login("alice", pw)), (LoginNotAllowed, Reason::Login)),
        (
            "not grantable",
            verify(&h, api("alice", pw, &["workspace:admin"])),
            (NotAllowedForAppPasswords, Reason::NotGrantable),
        ),
        (
            "missing scope",
            verify(&h, api("alice", pw, &["repository:admin"])),
            (InsufficientScope, Reason::MissingScopes),
        ),
        (
            "no header",
            block_on(h.svc.verify_header(None, &[])).unwrap(),
            invalid(Reason::Header(BasicAuthError::Missing)),
        ),
        (
            "long header",
            block_on(h.svc.verify_header(Some(&"B".repeat(2000)), &[])).unwrap(),
            invalid(Reason::Header(BasicAuthError::TooLong)),
        ),
        (
            "bearer",
            block_on(h.svc.verify_header(Some("Bearer abc"), &[])).unwrap(),
            invalid(Reason::Header(BasicAuthError::NotBasic)),
        ),
        (
            "bad base64",
            block_on(h.svc.verify_header(Some("Basic %%%"), &[])).unwrap(),
            invalid(Reason::Header(BasicAuthError::BadBase64)),
        ),
        (
            "bad utf8",
            block_on(h.svc.verify_header(Some("Basic /w=="), &[])).unwrap(),
            invalid(Reason::Header(BasicAuthError::BadUtf8)),
        ),
        (
            "no colon",
            block_on(h.svc.verify_header(Some("Basic YWxpY2U="), &[])).unwrap(),
            invalid(Reason::Header(BasicAuthError::NoColon)),
        ),
    ];
    h.set_now(T0 + 10);
    let expired = verify(&h, api("alice", expiring.password.expose(), &[]));
    let mut all = cases;
    all.push(("expired", expired, invalid(Reason::Expired)));

    let mut codes = std::collections::BTreeSet::new();
    let mut reasons = std::collections::BTreeSet::new();
    for (name, result, (code, reason)) in all {
        let r = refused(result);
        assert_eq!((r.code, r.reason), (code, reason), "{name}");
        let status = if code == InvalidCredentials { 401 } else { 403 };
        assert_eq!(r.status(), status, "{name}");
        assert_eq!(code.status(), status, "{name}");
        codes.insert(code.as_str());
        reasons.insert(reason.as_str());
    }
    assert_eq!(
        codes.into_iter().collect::<Vec<_>>(),
        ["insufficient_scope", "invalid_credentials", "login_not_allowed", "not_allowed_for_app_passwords"]
    );
    let expected_reasons = [
        "bad_alphabet",
        "bad_base64",
        "bad_checksum",
        "bad_utf8",
        "expired",
        "header_too_long",
        "login_refused",
        "missing_colon",
        "missing_credentials",
        "missing_scopes",
        "not_basic_auth",
        "scope_not_grantable",
        "unknown_id",
        "wrong_length",
        "wrong_prefix",
        "wrong_secret",
        "wrong_user",
    ];
    assert_eq!(reasons.into_iter().collect::<Vec<_>>(), expected_reasons);
}

#[test]
fn refusals_list_what_is_missing_in_catalogue_order() {
    let h = Harness::new();
    let c = create(&h, "alice", "l", &["pullrequest"]);
    let pw = c.password.expose();
    let r = refused(verify(&h, api("alice", pw, &["issue", "repository", "repository:admin", "pullrequest"])));
    assert_eq!(r.code, RefusalCode::InsufficientScope);
    assert_eq!(r.missing, ["repository:admin", "issue"]);
    let r = refused(verify(&h, api("alice", pw, &["account:login", "issue", "workspace:admin"])));
    assert_eq!(r.code, RefusalCode::NotAllowedForAppPasswords);
    assert_eq!(r.missing, ["workspace:admin", "account:login"]);
    assert!(refused(verify(&h, login("alice", pw))).missing.is_empty());
    assert!(
        refused(verify(&h, api("bob", pw, &["issue"]))).missing.is_empty(),
        "nothing leaks before the user matches"
    );
}

#[test]
fn checks_run_in_the_specified_order() {
    let h = Harness::new();
    let c = block_on(h.svc.create(NewAppPassword {
        user: "alice",
        label: "l",
        scopes: &["email"],
        expires_at: Some(T0 + 5),
    }))
    .unwrap();
    let pw = c.password.expose();
    let wrong = with_other_secret(pw);
    // Secret before user, user before expiry, expiry before purpose, purpose before scopes.
    assert_refused(verify(&h, api("bob", &wrong, &[])), RefusalCode::InvalidCredentials, Reason::WrongSecret);
    h.set_now(T0 + 6);
    assert_refused(
        verify(&h, VerifyRequest::password("bob", pw, &[]).for_login()),
        RefusalCode::InvalidCredentials,
        Reason::WrongUser,
    );
    assert_refused(
        verify(&h, VerifyRequest::password("alice", pw, &["workspace:admin"]).for_login()),
        RefusalCode::InvalidCredentials,
        Reason::Expired,
    );
    h.set_now(T0 + 1);
    assert_refused(
        verify(&h, VerifyRequest::password("alice", pw, &["workspace:admin"]).for_login()),
        RefusalCode::LoginNotAllowed,
        Reason::Login,
    );
    assert_refused(
        verify(&h, api("alice", pw, &["workspace:admin", "repository"])),
        RefusalCode::NotAllowedForAppPasswords,
        Reason::NotGrantable,
    );
}

#[test]
fn unknown_required_scope_is_a_host_error() {
    let h = Harness::new();
    let c = create(&h, "alice", "l", &["repository"]);
    for password in [c.password.expose(), "garbage"] {
        let err = block_on(h.svc.verify(api("alice", password, &["repository:read"]))).unwrap_err();
        assert_eq!(err, Error::UnknownScope("repository:read".into()));
        let err = block_on(h.svc.verify_deferred(api("alice", password, &["nope"]))).unwrap_err();
        assert_eq!(err.code(), "unknown_scope");
    }
    let err = block_on(h.svc.verify_header(None, &["nope"])).unwrap_err();
    assert_eq!(err.code(), "unknown_scope");
    assert_eq!(h.svc.scope_set(&["nope"]).unwrap_err().code(), "unknown_scope");
}

#[test]
fn verify_header_accepts_what_curl_sends() {
    let h = Harness::new();
    let c = create(&h, "alice", "curl", &["repository:write"]);
    // curl -u alice:$PW sends exactly basic_header's format.
    let header = basic_header("alice", c.password.expose());
    let g = granted(block_on(h.svc.verify_header(Some(&header), &["repository"])).unwrap());
    assert_eq!(g.id, c.id);
    let r = refused(block_on(h.svc.verify_header(Some(&header), &["repository:admin"])).unwrap());
    assert_eq!(r.code, RefusalCode::InsufficientScope);
    let r = refused(block_on(h.svc.verify_header(Some(&basic_header("bob", c.password.expose())), &[])).unwrap());
    assert_eq!(r.reason, Reason::WrongUser);
}

#[test]
fn last_used_at_is_written_at_most_once_per_interval() {
    let mut config = light_config();
    config.touch_interval_ms = 1000;
    let h = Harness::with(Arc::new(MemoryStore::new()), config, 4);
    let c = create(&h, "alice", "l", &["email"]);
    let pw = c.password.expose();
    let last_used = || block_on(h.svc.list("alice")).unwrap()[0].last_used_at;
    assert_eq!(last_used(), None);
    h.set_now(T0 + 10);
    granted(verify(&h, api("alice", pw, &[])));
    assert_eq!(last_used(), Some(T0 + 10));
    h.set_now(T0 + 500);
    granted(verify(&h, api("alice", pw, &[])));
    assert_eq!(last_used(), Some(T0 + 10), "throttled");
    h.set_now(T0 + 1009);
    granted(verify(&h, api("alice", pw, &[])));
    assert_eq!(last_used(), Some(T0 + 10), "still inside the interval");
    h.set_now(T0 + 1010);
    granted(verify(&h, api("alice", pw, &[])));
    assert_eq!(last_used(), Some(T0 + 1010));
    // Refusals never touch.
    h.set_now(T0 + 9000);
    refused(verify(&h, api("bob", pw, &[])));
    refused(verify(&h, login("alice", pw)));
    refused(verify(&h, api("alice", pw, &["issue"])));
    assert_eq!(last_used(), Some(T0 + 1010));
}

#[test]
fn deferred_follow_up_is_written_only_when_completed() {
    let h = Harness::new();
    let c = create(&h, "alice", "l", &["email"]);
    h.set_now(T0 + 100);
    let (result, follow_up) = block_on(h.svc.verify_deferred(api("alice", c.password.expose(), &[]))).unwrap();
    granted(result);
    let follow_up = follow_up.expect("a first use leaves a lastUsedAt write");
    assert!(follow_up.has_writes());
    assert_eq!(block_on(h.svc.list("alice")).unwrap()[0].last_used_at, None, "the answer did not wait for the write");
    block_on(h.svc.complete(follow_up)).unwrap();
    assert_eq!(block_on(h.svc.list("alice")).unwrap()[0].last_used_at, Some(T0 + 100));
    // A refusal leaves nothing to do.
    let (result, follow_up) = block_on(h.svc.verify_deferred(api("bob", c.password.expose(), &[]))).unwrap();
    refused(result);
    assert!(follow_up.is_none());
}

#[test]
fn expiry_is_exclusive_and_listed() {
    let h = Harness::new();
    let c = block_on(h.svc.create(NewAppPassword {
        user: "alice",
        label: "l",
        scopes: &["email"],
        expires_at: Some(T0 + 1000),
    }))
    .unwrap();
    assert_eq!(c.expires_at, Some(T0 + 1000));
    assert_eq!(block_on(h.svc.list("alice")).unwrap()[0].expires_at, Some(T0 + 1000));
    h.set_now(T0 + 999);
    granted(verify(&h, api("alice", c.password.expose(), &[])));
    for t in [T0 + 1000, T0 + 1001, u64::MAX] {
        h.set_now(t);
        assert_refused(
            verify(&h, api("alice", c.password.expose(), &[])),
            RefusalCode::InvalidCredentials,
            Reason::Expired,
        );
    }
}

const CATALOG_A: &str = r#"[{"name": "read"}, {"name": "write", "implies": ["read"]},
    {"name": "admin", "grantable": false}]"#;
const CATALOG_B: &str = r#"[{"name": "read"}, {"name": "write", "implies": ["read", "delete"]},
    {"name": "admin", "grantable": false}, {"name": "delete"}]"#;
const CATALOG_C: &str = r#"[{"name": "read"}, {"name": "write"}, {"name": "admin", "grantable": false}]"#;

fn config_with(catalog_json: &str) -> Config {
    let mut config = light_config();
    config.catalog = catalog(catalog_json);
    config
}

#[test]
fn scopes_are_closed_at_creation_and_not_reclosed_at_verify() {
    let h = Harness::with(Arc::new(MemoryStore::new()), config_with(CATALOG_A), 5);
    let c = create(&h, "alice", "l", &["write"]);
    assert_eq!(c.scopes, ["read", "write"]);

    // Catalogue B adds an implication write -> delete: the old password must not gain it.
    let b = h.sibling(config_with(CATALOG_B), 6);
    let r = refused(block_on(b.verify(api("alice", c.password.expose(), &["delete"]))).unwrap());
    assert_eq!((r.code, r.missing.as_slice()), (RefusalCode::InsufficientScope, &["delete".to_owned()][..]));
    let g = granted(block_on(b.verify(api("alice", c.password.expose(), &["write"]))).unwrap());
    assert_eq!(g.scopes, ["read", "write"]);
    assert_eq!(block_on(b.list("alice")).unwrap()[0].scopes, ["read", "write"]);
    // A password created under B does get it.
    let fresh =
        block_on(b.create(NewAppPassword { user: "alice", label: "new", scopes: &["write"], expires_at: None }))
            .unwrap();
    assert_eq!(fresh.scopes, ["read", "write", "delete"]);
    granted(block_on(b.verify(api("alice", fresh.password.expose(), &["delete"]))).unwrap());

    // Catalogue C drops write -> read: the old password keeps read (never narrowed).
    let c_svc = h.sibling(config_with(CATALOG_C), 7);
    granted(block_on(c_svc.verify(api("alice", c.password.expose(), &["read"]))).unwrap());
    // Non-grantable stays refused, under every catalogue.
    for svc in [&h.svc, &b, &c_svc] {
        let r = refused(block_on(svc.verify(api("alice", c.password.expose(), &["admin"]))).unwrap());
        assert_eq!(r.code, RefusalCode::NotAllowedForAppPasswords);
    }
}

#[test]
fn a_record_encoded_for_a_larger_catalogue_is_corrupt_under_a_smaller_one() {
    let h = Harness::with(Arc::new(MemoryStore::new()), config_with(CATALOG_B), 8);
    let c = create(&h, "alice", "l", &["delete"]);
    let a = h.sibling(config_with(CATALOG_A), 9);
    let err = block_on(a.verify(api("alice", c.password.expose(), &[]))).unwrap_err();
    assert_eq!(err.code(), "store_corrupt");
}

fn profile(m: u32, t: u32, p: u32) -> Config {
    let mut config = light_config();
    config.hashing = HashParams { memory_kib: m, iterations: t, parallelism: p };
    config
}

fn stored_hash(h: &Harness, id: &str) -> String {
    Record::from_json(&h.raw(&record_key(id)).unwrap(), id).unwrap().hash
}

#[test]
fn verify_under_a_new_profile_rehashes_in_place() {
    let h = Harness::new();
    let c = create(&h, "alice", "l", &["repository"]);
    let before = Record::from_json(&h.raw(&record_key(&c.id)).unwrap(), &c.id).unwrap();
    assert!(before.hash.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));

    let newer = h.sibling(profile(128, 2, 2), 10);
    granted(block_on(newer.verify(api("alice", c.password.expose(), &["repository"]))).unwrap());
    let after = Record::from_json(&h.raw(&record_key(&c.id)).unwrap(), &c.id).unwrap();
    assert!(after.hash.starts_with("$argon2id$v=19$m=128,t=2,p=2$"), "{}", after.hash);
    assert_ne!(after.hash.split('$').nth(4), before.hash.split('$').nth(4), "fresh salt");
    assert_eq!(Record { hash: before.hash.clone(), ..after.clone() }, before, "nothing else changed");
    // Still verifies, under both services, and is not re-hashed again under the new one.
    granted(block_on(newer.verify(api("alice", c.password.expose(), &[]))).unwrap());
    assert_eq!(stored_hash(&h, &c.id), after.hash);
    let (_, follow_up) = block_on(newer.verify_deferred(api("alice", c.password.expose(), &[]))).unwrap();
    assert!(follow_up.is_none(), "current hash, already touched: nothing to write");
    granted(verify(&h, api("alice", c.password.expose(), &[])));
    // A refusal never re-hashes.
    let older = stored_hash(&h, &c.id);
    let newest = h.sibling(profile(256, 1, 1), 11);
    refused(block_on(newest.verify(api("bob", c.password.expose(), &[]))).unwrap());
    assert_eq!(stored_hash(&h, &c.id), older);
}

#[test]
fn an_upgrade_racing_a_revoke_does_not_resurrect_the_password() {
    let h = Harness::new();
    let c = create(&h, "alice", "l", &["repository"]);
    let newer = h.sibling(profile(128, 1, 1), 12);
    let (result, follow_up) = block_on(newer.verify_deferred(api("alice", c.password.expose(), &[]))).unwrap();
    granted(result);
    let follow_up = follow_up.expect("an upgrade is pending");
    assert!(block_on(h.svc.revoke("alice", &c.id)).unwrap());
    block_on(newer.complete(follow_up)).unwrap();
    assert!(h.raw(&record_key(&c.id)).is_none(), "the upgrade undid itself");
    assert!(h.raw(&index_key("alice", &c.id)).is_none());
    for svc in [&h.svc, &newer] {
        let r = refused(block_on(svc.verify(api("alice", c.password.expose(), &[]))).unwrap());
        assert_eq!(r.reason, Reason::UnknownId);
        assert!(block_on(svc.list("alice")).unwrap().is_empty());
    }
}

#[test]
fn a_last_used_write_racing_a_revoke_leaves_nothing_listed() {
    let h = Harness::new();
    let c = create(&h, "alice", "l", &["repository"]);
    let (_, follow_up) = block_on(h.svc.verify_deferred(api("alice", c.password.expose(), &[]))).unwrap();
    assert!(block_on(h.svc.revoke("alice", &c.id)).unwrap());
    block_on(h.svc.complete(follow_up.unwrap())).unwrap();
    assert!(block_on(h.svc.list("alice")).unwrap().is_empty());
    assert!(h.raw(&index_key("alice", &c.id)).is_none(), "list tidied the dangling entry");
    refused(verify(&h, api("alice", c.password.expose(), &[])));
}

fn peppered(pepper: Option<&[u8]>) -> Config {
    let mut config = light_config();
    config.pepper = pepper.map(<[u8]>::to_vec);
    config
}

#[test]
fn pepper_must_match() {
    let h = Harness::with(Arc::new(MemoryStore::new()), peppered(Some(b"pepper P")), 13);
    let c = create(&h, "alice", "l", &["repository"]);
    let pw = c.password.expose();
    granted(verify(&h, api("alice", pw, &[])));
    for other in [peppered(Some(b"pepper Q")), peppered(None), peppered(Some(b"pepper P "))] {
        let svc = h.sibling(other, 14);
        let r = refused(block_on(svc.verify(api("alice", pw, &[]))).unwrap());
        assert_eq!(r.reason, Reason::WrongSecret);
    }
    // And the reverse: created without a pepper, refused with one.
    let plain = h.sibling(peppered(None), 15);
    let c2 = block_on(plain.create(NewAppPassword { user: "alice", label: "l", scopes: &["email"], expires_at: None }))
        .unwrap();
    assert_eq!(refused(verify(&h, api("alice", c2.password.expose(), &[]))).reason, Reason::WrongSecret);
}

#[test]
fn custom_prefix_service() {
    let mut config = light_config();
    config.prefix = Prefix::new("acme").unwrap();
    let h = Harness::with(Arc::new(MemoryStore::new()), config, 16);
    let c = create(&h, "alice", "l", &["email"]);
    assert!(c.password.expose().starts_with("acme_"));
    assert_eq!(c.password.expose().len(), 55);
    granted(verify(&h, api("alice", c.password.expose(), &[])));
    let apw = Harness::new();
    let other = create(&apw, "alice", "l", &["email"]);
    assert_refused(
        verify(&h, api("alice", other.password.expose(), &[])),
        RefusalCode::InvalidCredentials,
        Reason::Malformed(Malformed::WrongPrefix),
    );
}

#[test]
fn service_construction_checks_its_parts() {
    let store = || common::Shared(Arc::new(MemoryStore::new()));
    let now = Arc::new(std::sync::atomic::AtomicU64::new(T0));
    let bad_profile = profile(4, 1, 1);
    let err = AppPasswords::with_parts(store(), bad_profile, clock(&now), SplitMix64::new(1)).unwrap_err();
    assert_eq!(err.code(), "invalid_hash_params");
    let err =
        AppPasswords::with_parts(store(), peppered(Some(&[1u8; 65])), clock(&now), SplitMix64::new(1)).unwrap_err();
    assert_eq!(err.code(), "invalid_hash_params");
    let err = AppPasswords::with_parts(
        store(),
        light_config(),
        clock(&now),
        FailingRandom { ok_calls: 0, inner: SplitMix64::new(1) },
    )
    .unwrap_err();
    assert_eq!(err, Error::RandomUnavailable);
    // A random source that fails after construction: create fails cleanly, nothing stored.
    let shared = Arc::new(MemoryStore::new());
    let svc = AppPasswords::with_parts(
        common::Shared(Arc::clone(&shared)),
        light_config(),
        clock(&now),
        FailingRandom { ok_calls: 2, inner: SplitMix64::new(1) },
    )
    .unwrap();
    let err = block_on(svc.create(NewAppPassword { user: "a", label: "l", scopes: &["email"], expires_at: None }))
        .unwrap_err();
    assert_eq!(err.code(), "random_unavailable");
    assert!(shared.is_empty());
    // The defaults.
    let config = Config::new().unwrap();
    assert_eq!(config.prefix.as_str(), "apw");
    assert_eq!(config.hashing, HashParams::APP_PASSWORD);
    assert_eq!(config.pepper, None);
    assert_eq!(config.touch_interval_ms, 600_000, "10 minutes: at most 144 writes a day per password");
    assert_eq!(config.max_per_user, 100);
    assert!(AppPasswords::new(MemoryStore::new(), config).is_ok());
}

#[test]
fn default_profile_service_round_trip() {
    let svc = AppPasswords::new(MemoryStore::new(), Config::new().unwrap()).unwrap();
    let c =
        block_on(svc.create(NewAppPassword { user: "alice", label: "l", scopes: &["repository"], expires_at: None }))
            .unwrap();
    let g = granted(block_on(svc.verify(api("alice", c.password.expose(), &["repository"]))).unwrap());
    assert_eq!(g.user, "alice");
    let record = Record::from_json(
        &block_on(app_passwords::Store::get(svc.store(), &record_key(&c.id))).unwrap().unwrap(),
        &c.id,
    )
    .unwrap();
    assert!(record.hash.starts_with("$argon2id$v=19$m=256,t=1,p=1$"), "{}", record.hash);
}

#[test]
fn debug_output_never_shows_secrets() {
    let pepper = b"PEPPER-do-not-log-77".to_vec();
    let h = Harness::with(Arc::new(MemoryStore::new()), peppered(Some(&pepper)), 17);
    let c = create(&h, "alice", "l", &["repository"]);
    let pw = c.password.expose().to_owned();
    let secret = pw[16..48].to_owned();
    let record = Record::from_json(&h.raw(&record_key(&c.id)).unwrap(), &c.id).unwrap();
    let hash_tag = record.hash.rsplit('$').next().unwrap().to_owned();
    let creds = app_passwords::parse_basic(Some(&basic_header("alice", &pw))).unwrap();
    let (_, follow_up) =
        block_on(h.sibling(peppered(Some(&pepper)), 18).verify_deferred(api("alice", &pw, &[]))).unwrap();
    let shown = format!(
        "{c:?}\n{c:#?}\n{:?}\n{creds:?}\n{:?}\n{:?}\n{record:?}\n{record:#?}\n{follow_up:?}",
        c.password,
        h.svc.config(),
        h.svc,
    );
    assert!(shown.contains(&c.id), "ids are fine to show");
    for needle in [pw.as_str(), secret.as_str(), "PEPPER", "$argon2", hash_tag.as_str()] {
        assert!(!shown.contains(needle), "{needle:?} leaked:\n{shown}");
    }
    assert!(!shown.contains(&format!("{pepper:?}")), "pepper bytes leaked");
    let hasher = app_passwords::Hasher::new(Some(&pepper)).unwrap();
    assert!(!format!("{hasher:?}").contains("PEPPER"));
}

#[test]
fn verify_now_refuses_garbage_without_the_store_and_passes_the_rest_on() {
    let h = Harness::new();
    let c = create(&h, "alice", "ci", &["repository"]);
    let now = |password: &str, require: &[&str]| {
        h.svc.verify_now(&common::api("alice", password, require)).map(|r| r.map(common::refused))
    };
    // Well formed (known or unknown id), no cache: nothing to say before the store.
    assert_eq!(now(c.password.expose(), &["repository"]).unwrap(), None);
    assert_eq!(now(&common::with_other_secret(c.password.expose()), &[]).unwrap(), None);
    // Malformed: the same refusal verify gives.
    let mut typo = c.password.expose().to_owned();
    typo.pop();
    typo.push(if c.password.expose().ends_with('0') { '1' } else { '0' });
    let early = now(&typo, &[]).unwrap().unwrap();
    let full = common::refused(verify(&h, common::api("alice", &typo, &[])));
    assert_eq!(early, full);
    assert_eq!(early.reason.as_str(), "bad_checksum");
    // Headers: missing and unreadable ones are refused too; a host bug is still an error.
    let header_now =
        |header: Option<&str>| h.svc.verify_now(&VerifyRequest::basic(header, &[])).unwrap().map(common::refused);
    assert_eq!(header_now(None).unwrap().reason.as_str(), "missing_credentials");
    assert_eq!(header_now(Some("Bearer x")).unwrap().reason.as_str(), "not_basic_auth");
    let header = app_passwords::basic_header("alice", c.password.expose());
    assert_eq!(header_now(Some(&header)), None);
    assert_eq!(now("x", &["no-such-scope"]).unwrap_err().code(), "unknown_scope");
    assert_eq!(h.svc.verify_now(&VerifyRequest::basic(None, &["no-such-scope"])).unwrap_err().code(), "unknown_scope");
}

#[test]
fn an_unknown_id_goes_through_the_same_decoding_as_a_known_one() {
    // The stand-in record for unknown ids must decode under any catalogue and profile, or an
    // unknown id would be an error instead of a refusal.
    let mut config = common::light_config();
    config.catalog = common::catalog(r#"[{"name": "only"}]"#);
    let h = Harness::with(Arc::new(app_passwords::MemoryStore::new()), config, 3);
    let unknown = app_passwords::generate(&app_passwords::Prefix::default(), &mut common::SplitMix64::new(99)).unwrap();
    assert_refused(
        verify(&h, common::api("alice", unknown.expose(), &[])),
        RefusalCode::InvalidCredentials,
        Reason::UnknownId,
    );
}
