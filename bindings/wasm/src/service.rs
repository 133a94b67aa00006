//! The exported class `AppPasswordsCore`: its constructor reads the options into a core
//! `Config`, and each method reads its arguments into a core machine, returned as an
//! [`Operation`] that the package's driver runs, or answers at once (the getters; the verify
//! exports are in verify.rs). Nothing here decides anything about passwords.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Array, Function};
use wasm_bindgen::prelude::*;

use crate::answers::{created_js, listed_js, scopes_js};
use crate::args::CreateArgs;
use crate::convert::{self, Obj, field, string_arg};
use crate::error::{OrJs, invalid_argument};
use crate::operation::Operation;
use crate::scopes::catalog_option;
use crate::store::JsStore;
use app_passwords_core::enable::SetEnabled;
use app_passwords_core::hash::HashParams;
use app_passwords_core::leak::ReportLeaked;
use app_passwords_core::list::List;
use app_passwords_core::mint::{CreateFromHash, FromHash};
use app_passwords_core::password::{PooledOsRandom, Prefix};
use app_passwords_core::revoke::{Revoke, RevokeAll};
use app_passwords_core::rotate::Rotate;
use app_passwords_core::service::{
    AppPasswords, CachedHit, Clock, Config, Create, DEFAULT_MAX_PER_USER, DEFAULT_TOUCH_INTERVAL_MS, Millis,
};

/// `Date.now()`, or the host's `now()` option.
pub(crate) struct JsClock(Option<Function>);

impl Clock for JsClock {
    fn now_ms(&self) -> Millis {
        let ms = match &self.0 {
            Some(now) => now.call0(&JsValue::NULL).ok().and_then(|v| v.as_f64()),
            None => Some(js_sys::Date::now()),
        };
        // A clock that returns garbage makes every expiry pass: fail closed.
        ms.and_then(convert::millis).unwrap_or(u64::MAX)
    }
}

pub(crate) type Service = AppPasswords<JsStore, JsClock, PooledOsRandom>;

/// The service over a host store. The package's `AppPasswords` class wraps it.
#[wasm_bindgen]
pub struct AppPasswordsCore {
    pub(crate) inner: Rc<Service>,
    /// The cache hit `verifyHeaderNow` left for `verifyHitNow`, and the ticket it answered for
    /// it: a hit is only ever answered for its own ticket (a call in between, say from a getter
    /// of the request, takes or replaces it; then the async path answers).
    pub(crate) waiting: Cell<Option<CachedHit>>,
    pub(crate) ticket: Cell<u32>,
}

#[wasm_bindgen]
impl AppPasswordsCore {
    /// `new AppPasswordsCore({ store, prefix?, catalog?, hashing?, pepper?, now?, touchIntervalMs?, cache?, maxPerUser? })`
    #[wasm_bindgen(constructor)]
    pub fn new(options: &JsValue) -> Result<AppPasswordsCore, JsValue> {
        let store = JsStore::new(&field(options, "store")).map_err(|m| invalid_argument(&m))?;
        let prefix = match convert::opt_string(options, "prefix")? {
            Some(prefix) => Prefix::new(&prefix).js()?,
            None => Prefix::default(),
        };
        // Field by field rather than `Config::new()` and then overwriting: that would read the
        // default catalogue even when the options give one (twice when they do not).
        let mut config = Config {
            prefix,
            catalog: catalog_option(&field(options, "catalog"))?,
            hashing: convert::hash_params(&field(options, "hashing"), HashParams::APP_PASSWORD)?,
            pepper: convert::bytes(&field(options, "pepper"), "pepper")?,
            touch_interval_ms: DEFAULT_TOUCH_INTERVAL_MS,
            cache: None,
            max_per_user: DEFAULT_MAX_PER_USER,
        };
        let interval = field(options, "touchIntervalMs");
        if !interval.is_undefined() {
            config.touch_interval_ms = interval
                .as_f64()
                .and_then(convert::millis)
                .ok_or_else(|| invalid_argument("touchIntervalMs must be a non-negative number"))?;
        }
        let max_per_user = field(options, "maxPerUser");
        if !max_per_user.is_undefined() {
            config.max_per_user = max_per_user
                .as_f64()
                .filter(|n| n.fract() == 0.0 && (1.0..=1000.0).contains(n))
                .and_then(convert::millis)
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| invalid_argument("maxPerUser must be an integer from 1 to 1000"))?;
        }
        let cache = field(options, "cache");
        if !cache.is_undefined() && !cache.is_null() {
            let number = |name: &str| field(&cache, name).as_f64().and_then(convert::millis);
            let (Some(ttl_ms), Some(max_entries)) = (number("ttlMs"), number("maxEntries")) else {
                return Err(invalid_argument("cache must be { ttlMs, maxEntries } with non-negative numbers"));
            };
            let max_entries = usize::try_from(max_entries).unwrap_or(usize::MAX);
            config.cache = Some(app_passwords_core::cache::CacheConfig { ttl_ms, max_entries });
        }
        let now = field(options, "now");
        let clock = if now.is_undefined() {
            JsClock(None)
        } else {
            JsClock(Some(now.dyn_into::<Function>().map_err(|_| invalid_argument("now must be a function"))?))
        };
        let inner = Service::with_parts(store, config, clock, PooledOsRandom::new()).js()?;
        Ok(Self { inner: Rc::new(inner), waiting: Cell::new(None), ticket: Cell::new(0) })
    }

    /// Starts the operation `call` names (the package's `OPERATIONS` table in api.js) with its
    /// arguments: `create(options)`, `createFromHash(options)`, `list(user)`, `revoke(user, id)`,
    /// `revokeAll(user)`, `rotate(user, id, options)`, `setEnabled(user, id, enabled)`,
    /// `reportLeaked(password)`, and `verifyHeader(header, require?, clientIp?, method?, path?)`
    /// (below). One export for the nine: each export costs its own shim of argument and result
    /// glue (docs/BUILD-KNOBS.md, "Fifth round").
    pub fn start(
        &self,
        call: u32,
        first: &JsValue,
        second: &JsValue,
        third: &JsValue,
        fourth: &JsValue,
        fifth: &JsValue,
    ) -> Result<Operation, JsValue> {
        match call {
            VERIFY_HEADER => self.verify_header(first, second, third, fourth, fifth),
            CREATE | CREATE_FROM_HASH => self.create(first, call == CREATE_FROM_HASH),
            REPORT_LEAKED => self.report_leaked(first),
            LIST | REVOKE_ALL | REVOKE | ROTATE | SET_ENABLED => {
                // The others name a user first, and most an id second: read here, once for all.
                let user = string_arg(first, "user")?;
                match call {
                    LIST => self.list(&user),
                    REVOKE_ALL => self.revoke_all(&user),
                    _ => {
                        let id = string_arg(second, "id")?;
                        match call {
                            REVOKE => self.revoke(&user, &id),
                            ROTATE => self.rotate(&user, id, third),
                            _ => self.set_enabled(&user, &id, third),
                        }
                    }
                }
            }
            _ => Err(invalid_argument("no such operation")),
        }
    }

    /// What the service was configured with, chosen by `what` (the package's getters): one
    /// export for the three, as each export costs its own shim of glue (docs/BUILD-KNOBS.md,
    /// "Fifth round"):
    /// - `0`: the catalogue, `[{ name, group, level, implies, grantable, closure }]`;
    /// - `1`: the password prefix;
    /// - `2`: the hashing profile of new records, `{ memoryKiB, iterations, parallelism }`:
    ///   what a page mints with for `createFromHash`.
    pub fn settings(&self, what: u32) -> JsValue {
        let config = self.inner.config();
        match what {
            CATALOG => scopes_js(self.inner.catalog()),
            PREFIX => JsValue::from_str(config.prefix.as_str()),
            _ => {
                let HashParams { memory_kib, iterations, parallelism } = config.hashing;
                Obj::new()
                    .set("memoryKiB", memory_kib)
                    .set("iterations", iterations)
                    .set("parallelism", parallelism)
                    .build()
            }
        }
    }
}

/// What [`AppPasswordsCore::settings`] answers (the package's getters in api.js); `2` or
/// anything else is the hashing profile.
const CATALOG: u32 = 0;
const PREFIX: u32 = 1;

/// The operations [`AppPasswordsCore::start`] starts.
const CREATE: u32 = 0;
const CREATE_FROM_HASH: u32 = 1;
const LIST: u32 = 2;
const REVOKE: u32 = 3;
const REVOKE_ALL: u32 = 4;
const ROTATE: u32 = 5;
const SET_ENABLED: u32 = 6;
const REPORT_LEAKED: u32 = 7;
const VERIFY_HEADER: u32 = 8;

impl AppPasswordsCore {
    /// `create({ user, label, scopes, expiresAt?, allowIps?, denyIps?, notBefore?, methods?,
    /// paths?, maxUses?, canary? })` → an operation answering the new password, shown once; or
    /// with `from_hash`, `createFromHash({ user, label, scopes, expiresAt?, id, phc })` → an
    /// operation answering the stored password as `list` shows it (the password itself was
    /// minted, and stays, elsewhere). One function for both: their options are read the same way.
    fn create(&self, options: &JsValue, from_hash: bool) -> Result<Operation, JsValue> {
        let args = CreateArgs::read(options)?;
        let (scopes, caveats) = (args.scope_refs(), args.caveats.refs());
        let (new, spec) = (args.new_app_password(&scopes), args.caveats.spec(&caveats));
        if from_hash {
            let id = convert::string(options, "id")?;
            let phc = convert::string(options, "phc")?;
            let minted = FromHash { id: &id, phc: &phc };
            let machine = CreateFromHash::new(new, &spec, minted);
            return Ok(Operation::new(&self.inner, machine, |listed| Ok(listed_js(&listed))));
        }
        // A canary never grants, so it takes no caveats.
        let machine = match convert::opt_bool(options, "canary")? {
            Some(true) => Create::canary(new),
            _ => Create::new(new, &spec),
        };
        Ok(Operation::new(&self.inner, machine, |created| Ok(created_js(&created, None))))
    }

    /// `list(user)` → an operation answering `[{ id, label, scopes, createdAt, expiresAt, lastUsedAt }]`.
    fn list(&self, user: &str) -> Result<Operation, JsValue> {
        let machine = List::new(user);
        Ok(Operation::new(&self.inner, machine, |listed| {
            let out: Array = listed.iter().map(listed_js).collect();
            Ok(out.into())
        }))
    }

    /// `revoke(user, id)` → an operation answering `true` if that user had it.
    fn revoke(&self, user: &str, id: &str) -> Result<Operation, JsValue> {
        let machine = Revoke::new(user, id);
        Ok(Operation::new(&self.inner, machine, |revoked| Ok(JsValue::from_bool(revoked))))
    }

    /// `revokeAll(user)` → an operation answering the number of passwords revoked.
    fn revoke_all(&self, user: &str) -> Result<Operation, JsValue> {
        let machine = RevokeAll::new(user);
        Ok(Operation::new(&self.inner, machine, |count| {
            Ok(JsValue::from_f64(f64::from(u32::try_from(count).unwrap_or(u32::MAX))))
        }))
    }

    /// `rotate(user, id, { overlapMs? })` → an operation answering the replacement (with
    /// `replaces`), or `null` when that user has no such password.
    fn rotate(&self, user: &str, id: String, options: &JsValue) -> Result<Operation, JsValue> {
        let overlap = field(options, "overlapMs");
        let overlap_ms = if overlap.is_undefined() || overlap.is_null() {
            None
        } else {
            Some(
                overlap
                    .as_f64()
                    .and_then(convert::millis)
                    .ok_or_else(|| invalid_argument("overlapMs must be a non-negative number"))?,
            )
        };
        let machine = Rotate::new(user, &id, overlap_ms);
        Ok(Operation::new(&self.inner, machine, move |created| {
            Ok(created.map_or(JsValue::NULL, |created| created_js(&created, Some(&id))))
        }))
    }

    /// `setEnabled(user, id, enabled)` → an operation answering `true` if that user had it.
    fn set_enabled(&self, user: &str, id: &str, enabled: &JsValue) -> Result<Operation, JsValue> {
        let enabled = enabled.as_bool().ok_or_else(|| invalid_argument("enabled must be a boolean"))?;
        Ok(Operation::new(&self.inner, SetEnabled::new(user, id, enabled), |done| Ok(JsValue::from_bool(done))))
    }

    /// `reportLeaked(password)` → an operation answering `{ found, revoked, id?, user? }`.
    fn report_leaked(&self, password: &JsValue) -> Result<Operation, JsValue> {
        let password = zeroize::Zeroizing::new(string_arg(password, "password")?);
        Ok(Operation::new(&self.inner, ReportLeaked::new(&password), |report| {
            let out = Obj::new().set("found", report.found).set("revoked", report.revoked);
            Ok(match (&report.id, &report.user) {
                (Some(id), Some(user)) => out.set("id", id.as_str()).set("user", user.as_str()),
                _ => out,
            }
            .build())
        }))
    }
}
