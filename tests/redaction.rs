#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! `Debug` of every public type that holds a password, a secret, a pepper, a key or a hash
//! never shows it (a Rust host that logs with `tracing::instrument` or `{:?}` must not log app
//! passwords). Each value is formatted with `{:?}` and `{:#?}` and searched for the secret as
//! text and as the byte list `Debug` of a `Vec<u8>` would print.

mod common;

use std::sync::Arc;

use app_passwords::basic_auth::basic_header;
use app_passwords::cache::VerifiedCache;
use app_passwords::record::record_key;
use app_passwords::{
    AppPasswords, CacheConfig, Config, Hasher, MemoryStore, NewAppPassword, PhcHash, PooledOsRandom, Prefix, Record,
    Store, VerifyRequest, parse, parse_basic,
};
use common::{Harness, LIGHT, SplitMix64, block_on, light_config};

/// Every way `secret` could show in a `Debug` string.
fn forms(secret: &[u8]) -> Vec<String> {
    let mut out = vec![format!("{secret:?}")];
    if let Ok(text) = std::str::from_utf8(secret) {
        out.push(text.to_owned());
    }
    // A prefix of the byte list catches a partial print too (a Vec<u8> Debug of the first 8).
    if secret.len() >= 8 {
        out.push(format!("{:?}", &secret[..8]).trim_end_matches(']').to_owned());
    }
    out
}

#[track_caller]
fn hidden(what: &str, value: &dyn core::fmt::Debug, secrets: &[&[u8]]) {
    let shown = format!("{value:?}\n{value:#?}");
    for secret in secrets {
        for form in forms(secret) {
            assert!(!shown.contains(&form), "{what} shows a secret ({form}) in Debug: {shown}");
        }
    }
}

const PEPPER: &[u8] = b"pepper-that-must-never-be-logged";

fn peppered() -> Config {
    let mut config = light_config();
    config.pepper = Some(PEPPER.to_vec());
    config.cache = Some(CacheConfig { ttl_ms: 60_000, max_entries: 10 });
    config
}

#[test]
fn every_public_type_holding_a_secret_redacts_it_in_debug() {
    let h = Harness::with(Arc::new(MemoryStore::new()), peppered(), 1);
    let created = block_on(h.svc.create(NewAppPassword {
        user: "alice",
        label: "ci",
        scopes: &["repository"],
        expires_at: None,
    }))
    .unwrap();
    let pw = created.password.expose().to_owned();
    let secret_part = pw[16..48].to_owned(); // the 32 secret characters alone
    let stored = h.raw(&record_key(&created.id)).unwrap();
    let record = Record::from_json(&stored, &created.id).unwrap();
    let phc_text = record.hash.clone();
    let phc = PhcHash::parse(&phc_text).unwrap();
    let hash_b64 = phc_text.rsplit('$').next().unwrap().to_owned();
    let salt_b64 = phc_text.rsplit('$').nth(1).unwrap().to_owned();
    let pw_secrets: Vec<&[u8]> = vec![pw.as_bytes(), secret_part.as_bytes()];
    let hash_secrets: Vec<&[u8]> = vec![phc_text.as_bytes(), hash_b64.as_bytes(), salt_b64.as_bytes()];

    // The password itself, and everything that carries it.
    hidden("Password", &created.password, &pw_secrets);
    hidden("Created", &created, &pw_secrets);
    hidden("ParsedPassword", &parse(&pw, &Prefix::default()).unwrap(), &pw_secrets);
    let minted = app_passwords::mint(&Prefix::default(), &LIGHT, &mut SplitMix64::new(11)).unwrap();
    let (minted_pw, minted_phc) = (minted.password.expose(), minted.phc.as_str());
    let minted_hash = minted_phc.rsplit('$').next().unwrap();
    let minted_secrets: Vec<&[u8]> =
        vec![minted_pw.as_bytes(), &minted_pw.as_bytes()[16..48], minted_phc.as_bytes(), minted_hash.as_bytes()];
    hidden("Minted", &minted, &minted_secrets);
    let header = basic_header("alice", &pw);
    hidden("BasicCredentials", &parse_basic(Some(&header)).unwrap(), &pw_secrets);
    let request = VerifyRequest::password("alice", &pw, &["repository"]);
    hidden("VerifyRequest", &request, &pw_secrets);
    assert!(format!("{request:?}").contains("alice"), "the username is still shown");
    hidden("VerifyRequest with a header", &VerifyRequest::basic(Some(&header), &["repository"]), &pw_secrets);
    let header_secret = header.strip_prefix("Basic ").unwrap().as_bytes();
    hidden("VerifyRequest with a header, encoded", &VerifyRequest::basic(Some(&header), &[]), &[header_secret]);

    // A follow-up that carries the password for a re-hash upgrade (a newer profile).
    let mut newer = peppered();
    newer.hashing.memory_kib = LIGHT.memory_kib * 2;
    let upgrading = h.sibling(newer, 2);
    let (_, follow_up) = block_on(upgrading.verify_deferred(request)).unwrap();
    let follow_up = follow_up.expect("a re-hash is due");
    hidden("FollowUp", &follow_up, &pw_secrets);

    // Hashes: the stored record, the parsed PHC string, the store that holds them.
    hidden("Record", &record, &hash_secrets);
    hidden("PhcHash", &phc, &hash_secrets);
    hidden("MemoryStore", h.store.as_ref(), &hash_secrets);
    let listed = block_on(h.store.list("app-passwords/", None)).unwrap();
    hidden("ListPage", &listed, &hash_secrets);

    // The pepper, and whatever holds it.
    let config = peppered();
    hidden("Config", &config, &[PEPPER]);
    hidden("Hasher", &Hasher::new(Some(PEPPER)).unwrap(), &[PEPPER]);
    hidden("AppPasswords", &h.svc, &[PEPPER]);
    hidden("AppPasswords (with the credential cached)", &h.svc, &pw_secrets);
    let own = AppPasswords::new(MemoryStore::new(), peppered()).unwrap();
    hidden("AppPasswords::new", &own, &[PEPPER]);

    // Keys and random bytes.
    let key = [0xA7u8; 32];
    let cache = VerifiedCache::new(CacheConfig { ttl_ms: 1, max_entries: 1 }, key);
    hidden("VerifiedCache", &cache, &[&key]);
    let mut pooled = PooledOsRandom::new();
    let mut drawn = [0u8; 16];
    app_passwords::RandomSource::fill(&mut pooled, &mut drawn).unwrap();
    assert_eq!(format!("{pooled:?}"), "PooledOsRandom");
    hidden("PooledOsRandom", &pooled, &[&drawn]);

    // Errors never carry the input.
    let bad = format!("{}x", &pw[..pw.len() - 1]);
    let err = block_on(h.svc.verify(VerifyRequest::password("alice", &bad, &["repository"]))).map(|_| ()).err();
    hidden("verify of a mistyped password", &err, &[bad.as_bytes()]);
    let err = PhcHash::parse(&format!("{phc_text}$extra")).unwrap_err();
    hidden("Error of a bad PHC string", &err, &hash_secrets);
}

#[test]
fn memory_store_default_lists_like_new() {
    // A derived Default had page size 0 and listed nothing.
    let store = MemoryStore::default();
    block_on(store.put("p/a", "1")).unwrap();
    block_on(store.put("p/b", "2")).unwrap();
    let page = block_on(store.list("p/", None)).unwrap();
    assert_eq!(page.keys, ["p/a", "p/b"]);
    assert_eq!(page.cursor, None);
    let svc =
        AppPasswords::with_parts(MemoryStore::default(), light_config(), || common::T0, SplitMix64::new(3)).unwrap();
    let c =
        block_on(svc.create(NewAppPassword { user: "u", label: "l", scopes: &["email"], expires_at: None })).unwrap();
    assert_eq!(block_on(svc.list("u")).unwrap().len(), 1, "{c:?}");
}
