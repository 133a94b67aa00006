//! The free functions that need no service: generate, mint, check the shape of, and hash
//! passwords.

use wasm_bindgen::prelude::*;

use crate::convert::{self, Obj, field};
use crate::error::{OrJs, invalid_argument};
use app_passwords_core::hash::{self, HashParams};
use app_passwords_core::mint;
use app_passwords_core::password::{self, PooledOsRandom, Prefix, RandomSource};

/// The free functions' random source: the pooled generator, or the OS source directly while
/// the pool is in use (a getRandomValues polyfill that called back in here must not trap).
/// One type for both, so each caller is compiled once.
struct GeneratorRandom;

impl RandomSource for GeneratorRandom {
    fn fill(&mut self, buf: &mut [u8]) -> app_passwords_core::Result<()> {
        GENERATOR_RANDOM.with(|rng| match rng.try_borrow_mut() {
            Ok(mut pooled) => pooled.fill(buf),
            Err(_) => password::OsRandom.fill(buf),
        })
    }
}

/// The `prefix` option of the free functions (default `apw`).
fn prefix_option(options: &JsValue) -> Result<Prefix, JsValue> {
    match convert::opt_string(options, "prefix")? {
        Some(p) => Prefix::new(&p).js(),
        None => Ok(Prefix::default()),
    }
}

/// `generatePassword({ prefix? })` → `{ id, password }`; nothing stored.
fn generate_password(options: &JsValue) -> Result<JsValue, JsValue> {
    let password = password::generate(&prefix_option(options)?, &mut GeneratorRandom).js()?;
    Ok(Obj::new().set("id", password.id()).set("password", password.expose()).build())
}

/// `mintAppPassword({ prefix?, hashing? })` → `{ id, password, phc }`: a password and its
/// Argon2id PHC string at `hashing` (default the light app-password profile); nothing stored.
fn mint_app_password(options: &JsValue) -> Result<JsValue, JsValue> {
    let prefix = prefix_option(options)?;
    let params = convert::hash_params(&field(options, "hashing"), HashParams::APP_PASSWORD)?;
    let minted = mint::mint(&prefix, &params, &mut GeneratorRandom).js()?;
    Ok(Obj::new()
        .set("id", minted.password.id())
        .set("password", minted.password.expose())
        .set("phc", minted.phc.as_str())
        .build())
}

/// `looksLikeAppPassword(s)`: prefix, length, alphabet and checksum; no store.
fn looks_like_app_password(candidate: &JsValue) -> bool {
    candidate.as_string().is_some_and(|s| password::looks_like_app_password(&s))
}

/// `hashPassword(password, params?)` → Argon2id PHC string, OWASP profile by default; with
/// `verify`, `verifyPasswordHash(password, phc)` → boolean, reading any Argon2 PHC string. One
/// function for both, as both read the password first.
fn hash_or_verify(password: &JsValue, second: &JsValue, verify: bool) -> Result<JsValue, JsValue> {
    let password = zeroize::Zeroizing::new(convert::string_arg(password, "password")?);
    if verify {
        let phc = convert::string_arg(second, "phc")?;
        return hash::verify_password_hash(&password, &phc).js().map(JsValue::from_bool);
    }
    let params = convert::hash_params(second, HashParams::OWASP)?;
    hash::hash_password(&password, &params).js().map(JsValue::from)
}

/// The functions [`passwords`] runs, by number (the package's `PASSWORDS` table in api.js).
const GENERATE: u32 = 0;
const MINT: u32 = 1;
const LOOKS_LIKE: u32 = 2;
const HASH: u32 = 3;
const VERIFY_HASH: u32 = 4;

/// The package's five password functions in one export, the function chosen by `call` (each
/// export costs its own shim of argument and result glue: docs/BUILD-KNOBS.md, "Fifth round"):
/// `generatePassword(options?)`, `mintAppPassword(options?)`, `looksLikeAppPassword(candidate)`,
/// `hashPassword(password, params?)`, `verifyPasswordHash(password, phc)`.
#[wasm_bindgen]
pub fn passwords(call: u32, first: &JsValue, second: &JsValue) -> Result<JsValue, JsValue> {
    match call {
        GENERATE => generate_password(first),
        MINT => mint_app_password(first),
        LOOKS_LIKE => Ok(JsValue::from_bool(looks_like_app_password(first))),
        HASH | VERIFY_HASH => hash_or_verify(first, second, call == VERIFY_HASH),
        _ => Err(invalid_argument("no such password function")),
    }
}

thread_local! {
    static GENERATOR_RANDOM: std::cell::RefCell<PooledOsRandom> = std::cell::RefCell::new(PooledOsRandom::new());
}
