//! The exported classes and functions. Each translates its arguments, calls the core, and
//! translates the answer; nothing here decides anything about passwords.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Array, Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::convert::{self, Obj, field, ms, opt_ms, string_array};
use crate::error::{OrJs, invalid_argument};
use crate::store::JsStore;
use app_passwords_core::caveat::{CaveatSpec, Caveats, IpRange, RequestContext};
use app_passwords_core::hash::{self, HashParams};
use app_passwords_core::json::push_quoted;
use app_passwords_core::mint::{self, FromHash};
use app_passwords_core::password::{self, PooledOsRandom, Prefix, RandomSource};
use app_passwords_core::scope::Catalog;
use app_passwords_core::service::{
    AppPasswords, CachedHit, Clock, Config, Created, FollowUp, Listed, Millis, NewAppPassword, Now, Purpose, Refusal,
    VerifyRequest, VerifyResult,
};

/// `Date.now()`, or the host's `now()` option.
struct JsClock(Option<Function>);

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

type Service = AppPasswords<JsStore, JsClock, PooledOsRandom>;

/// The service over a host store. The package's `AppPasswords` class wraps it.
#[wasm_bindgen]
pub struct AppPasswordsCore {
    inner: Rc<Service>,
    /// The cache hit `verifyHeaderNow` left for `verifyHitNow`, and the ticket it answered for
    /// it: a hit is only ever answered for its own ticket (a call in between, say from a getter
    /// of the request, takes or replaces it; then the async path answers).
    waiting: Cell<Option<CachedHit>>,
    ticket: Cell<u32>,
}

fn refusal_js(r: &Refusal) -> JsValue {
    let out = Obj::new()
        .set("ok", false)
        .set("status", r.status())
        .set("code", r.code.as_str())
        .set("reason", r.reason.as_str());
    if r.missing.is_empty() { out } else { out.set("missing", string_array(&r.missing)) }.build()
}

/// The same object as [`verify_js`], as JSON text.
fn verify_json(result: &VerifyResult) -> String {
    // Written by hand into one buffer: no core::fmt, no string per field (a cache hit's cost).
    let mut out = String::with_capacity(160);
    let names = |out: &mut String, names: &[String]| {
        out.push('[');
        for (i, n) in names.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_quoted(out, n);
        }
        out.push(']');
    };
    match result {
        VerifyResult::Granted(g) => {
            out.push_str("{\"ok\":true,\"user\":");
            push_quoted(&mut out, &g.user);
            out.push_str(",\"id\":");
            push_quoted(&mut out, &g.id);
            out.push_str(",\"label\":");
            push_quoted(&mut out, &g.label);
            out.push_str(",\"scopes\":");
            names(&mut out, &g.scopes);
            out.push_str(if g.cached { ",\"cached\":true}" } else { ",\"cached\":false}" });
        }
        VerifyResult::Refused(r) => {
            out.push_str(if r.status() == 401 {
                "{\"ok\":false,\"status\":401"
            } else {
                "{\"ok\":false,\"status\":403"
            });
            out.push_str(",\"code\":");
            push_quoted(&mut out, r.code.as_str());
            out.push_str(",\"reason\":");
            push_quoted(&mut out, r.reason.as_str());
            if !r.missing.is_empty() {
                out.push_str(",\"missing\":");
                names(&mut out, &r.missing);
            }
            out.push('}');
        }
    }
    out
}

fn verify_js(result: &VerifyResult) -> JsValue {
    match result {
        VerifyResult::Granted(g) => Obj::new()
            .set("ok", true)
            .set("user", g.user.as_str())
            .set("id", g.id.as_str())
            .set("label", g.label.as_str())
            .set("scopes", string_array(&g.scopes))
            .set("cached", g.cached)
            .build(),
        VerifyResult::Refused(r) => refusal_js(r),
    }
}

fn catalog_option(value: &JsValue) -> Result<Catalog, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Catalog::bitbucket().js();
    }
    let json = match value.as_string() {
        Some(text) => text,
        None => js_sys::JSON::stringify(value)
            .ok()
            .and_then(|s| s.as_string())
            .ok_or_else(|| invalid_argument("catalog must be a catalogue object or JSON text"))?,
    };
    Catalog::from_json(&json).js()
}

fn scopes_js(catalog: &Catalog) -> JsValue {
    let list: Array = catalog
        .scopes()
        .iter()
        .enumerate()
        .map(|(pos, s)| {
            let mut itself = app_passwords_core::scope::ScopeSet::EMPTY;
            itself.insert(pos);
            Obj::new()
                .set("name", s.name.as_str())
                .set("group", s.group.as_str())
                .set("level", s.level.as_str())
                .set("implies", string_array(&s.implies))
                .set("grantable", s.grantable)
                // Everything it implies, transitively, excluding itself.
                .set("closure", string_array(&catalog.names(&s.closure.difference(&itself))))
                .build()
        })
        .collect();
    list.into()
}

/// The caveat options of `create`, read (the core checks them).
struct CaveatArgs {
    allow_ips: Option<Vec<String>>,
    deny_ips: Option<Vec<String>>,
    not_before: Option<Millis>,
    methods: Option<Vec<String>>,
    paths: Option<Vec<String>>,
    max_uses: Option<u64>,
}

impl CaveatArgs {
    fn read(options: &JsValue) -> Result<Self, JsValue> {
        let invalid = app_passwords_core::Error::InvalidCaveat("notBefore must be a time from 1970 to 2^53 ms");
        Ok(Self {
            allow_ips: convert::opt_caveat_list(options, "allowIps")?,
            deny_ips: convert::opt_caveat_list(options, "denyIps")?,
            not_before: convert::time_or(options, "notBefore", invalid)?,
            methods: convert::opt_caveat_list(options, "methods")?,
            paths: convert::opt_caveat_list(options, "paths")?,
            max_uses: convert::opt_count(options, "maxUses")?,
        })
    }
}

fn str_refs(list: Option<&Vec<String>>) -> Option<Vec<&str>> {
    list.map(|v| v.iter().map(String::as_str).collect())
}

/// The caveat lists of [`CaveatArgs`] as `&str` slices, which a [`CaveatSpec`] borrows.
struct CaveatRefs<'a> {
    allow_ips: Option<Vec<&'a str>>,
    deny_ips: Option<Vec<&'a str>>,
    methods: Option<Vec<&'a str>>,
    paths: Option<Vec<&'a str>>,
}

impl CaveatArgs {
    fn refs(&self) -> CaveatRefs<'_> {
        CaveatRefs {
            allow_ips: str_refs(self.allow_ips.as_ref()),
            deny_ips: str_refs(self.deny_ips.as_ref()),
            methods: str_refs(self.methods.as_ref()),
            paths: str_refs(self.paths.as_ref()),
        }
    }

    fn spec<'a>(&self, refs: &'a CaveatRefs<'a>) -> CaveatSpec<'a> {
        CaveatSpec {
            allow_ips: refs.allow_ips.as_deref(),
            deny_ips: refs.deny_ips.as_deref(),
            not_before: self.not_before,
            methods: refs.methods.as_deref(),
            paths: refs.paths.as_deref(),
            max_uses: self.max_uses,
        }
    }
}

/// Adds the caveats a password has (only those) to an answer object.
fn with_caveats(out: Obj, caveats: &Caveats) -> Obj {
    let ranges =
        |list: &[IpRange]| -> JsValue { list.iter().map(|r| JsValue::from_str(r.as_str())).collect::<Array>().into() };
    let mut out = out;
    if !caveats.allow_ips().is_empty() {
        out = out.set("allowIps", ranges(caveats.allow_ips()));
    }
    if !caveats.deny_ips().is_empty() {
        out = out.set("denyIps", ranges(caveats.deny_ips()));
    }
    if let Some(t) = caveats.not_before() {
        out = out.set("notBefore", ms(t));
    }
    if !caveats.methods().is_empty() {
        out = out.set("methods", string_array(caveats.methods()));
    }
    if !caveats.paths().is_empty() {
        out = out.set("paths", string_array(caveats.paths()));
    }
    if let Some(n) = caveats.max_uses() {
        out = out.set("maxUses", ms(n));
    }
    out
}

/// The client IP, method and path a verify was given, for the password's caveats.
struct ContextArgs {
    client_ip: Option<String>,
    method: Option<String>,
    path: Option<String>,
}

impl ContextArgs {
    fn read(client_ip: &JsValue, method: &JsValue, path: &JsValue) -> Result<Self, JsValue> {
        Ok(Self {
            client_ip: convert::opt_string_value(client_ip, "clientIp")?,
            method: convert::opt_string_value(method, "method")?,
            path: convert::opt_string_value(path, "path")?,
        })
    }

    fn context(&self) -> RequestContext<'_> {
        RequestContext {
            client_ip: self.client_ip.as_deref(),
            method: self.method.as_deref(),
            path: self.path.as_deref(),
        }
    }
}

/// The arguments of `verify` and `precheck`, read and type-checked the same way for both.
struct VerifyArgs {
    username: String,
    password: zeroize::Zeroizing<String>,
    require: Vec<String>,
    purpose: Purpose,
    context: ContextArgs,
}

impl VerifyArgs {
    fn read(options: &JsValue) -> Result<Self, JsValue> {
        let purpose = match convert::opt_string(options, "purpose")?.as_deref() {
            None | Some("api") => Purpose::Api,
            Some("login") => Purpose::Login,
            Some(_) => return Err(invalid_argument("purpose must be \"api\" or \"login\"")),
        };
        Ok(Self {
            username: convert::string(options, "username")?,
            password: zeroize::Zeroizing::new(convert::string(options, "password")?),
            require: convert::strings(&field(options, "require"), "require", true)?,
            purpose,
            context: ContextArgs::read(
                &field(options, "clientIp"),
                &field(options, "method"),
                &field(options, "path"),
            )?,
        })
    }

    fn require_refs(&self) -> Vec<&str> {
        self.require.iter().map(String::as_str).collect()
    }
}

/// Runs the follow-up writes of a verify as their own Promise (or `undefined`).
fn follow_up_promise(service: &Rc<Service>, follow_up: Option<FollowUp>) -> JsValue {
    match follow_up {
        // A canary's use alone writes nothing: no promise, so it answers in an unknown id's time.
        Some(follow_up) if follow_up.has_writes() => run(Rc::clone(service), Op::Complete(Box::new(follow_up))).into(),
        _ => JsValue::UNDEFINED,
    }
}

/// The object of a synchronous answer, or `undefined`. Built as JSON text and parsed by the
/// engine: one string across the boundary instead of a property set per field, which
/// dominated the cost of a cache hit.
fn answered(result: Option<VerifyResult>) -> Result<JsValue, JsValue> {
    match result {
        Some(result) => js_sys::JSON::parse(&verify_json(&result)),
        None => Ok(JsValue::UNDEFINED),
    }
}

/// `[result, pending, canaryUse]`: the third is `{ id, user, label, at }` when the verify saw a
/// canary's right secret, else `undefined` (the package hands it to its `onCanary` hook).
fn pair(result: &VerifyResult, follow_up: Option<FollowUp>, service: &Rc<Service>) -> Result<JsValue, JsValue> {
    let canary = match follow_up.as_ref().and_then(FollowUp::canary_use) {
        Some(used) => Obj::new()
            .set("id", used.id.as_str())
            .set("user", used.user.as_str())
            .set("label", used.label.as_str())
            .set("at", ms(used.at))
            .build(),
        None => JsValue::UNDEFINED,
    };
    Ok(Array::of3(&verify_js(result), &follow_up_promise(service, follow_up), &canary).into())
}

/// A created password as JS: `{ id, password, label, scopes, createdAt, expiresAt }`.
fn created_js(created: &Created) -> Obj {
    Obj::new()
        .set("id", created.id.as_str())
        .set("password", created.password.expose())
        .set("label", created.label.as_str())
        .set("scopes", string_array(&created.scopes))
        .set("createdAt", ms(created.created_at))
        .set("expiresAt", opt_ms(created.expires_at))
}

fn opt_str(value: Option<&String>) -> JsValue {
    value.map_or(JsValue::NULL, |s| JsValue::from_str(s))
}

/// Every async operation of the bindings, run by the one `future_to_promise` in [`run`]: one
/// instance of the futures glue instead of one per exported method (docs/BUILD-KNOBS.md).
enum Op {
    Create(JsValue),
    CreateFromHash(JsValue),
    List(JsValue),
    Revoke(JsValue, JsValue),
    RevokeAll(JsValue),
    Rotate(JsValue, JsValue, JsValue),
    SetEnabled(JsValue, JsValue, JsValue),
    ReportLeaked(JsValue),
    Verify(JsValue),
    VerifyHeader(JsValue, JsValue, [JsValue; 3]),
    /// Boxed: the follow-up holds a whole record (for a re-hash), the other variants a few handles.
    Complete(Box<FollowUp>),
}

fn run(service: Rc<Service>, op: Op) -> Promise {
    future_to_promise(async move {
        match op {
            Op::Create(options) => op_create(&service, options).await,
            Op::CreateFromHash(options) => op_create_from_hash(&service, options).await,
            Op::List(user) => op_list(&service, user).await,
            Op::Revoke(user, id) => op_revoke(&service, user, id).await,
            Op::RevokeAll(user) => op_revoke_all(&service, user).await,
            Op::Rotate(user, id, options) => op_rotate(&service, user, id, options).await,
            Op::SetEnabled(user, id, enabled) => op_set_enabled(&service, user, id, enabled).await,
            Op::ReportLeaked(password) => op_report_leaked(&service, password).await,
            Op::Verify(options) => op_verify(&service, options).await,
            Op::VerifyHeader(header, require, context) => op_verify_header(&service, header, require, context).await,
            Op::Complete(follow_up) => service.complete(*follow_up).await.js().map(|()| JsValue::UNDEFINED),
        }
    })
}

/// The options `create` and `createFromHash` share, read the same way for both.
struct CreateArgs {
    user: String,
    label: String,
    scopes: Vec<String>,
    expires_at: Option<u64>,
    caveats: CaveatArgs,
}

impl CreateArgs {
    fn read(options: &JsValue) -> Result<Self, JsValue> {
        Ok(Self {
            user: convert::string(options, "user")?,
            label: convert::string(options, "label")?,
            scopes: convert::strings(&field(options, "scopes"), "scopes", false)?,
            expires_at: convert::opt_time(options, "expiresAt")?,
            caveats: CaveatArgs::read(options)?,
        })
    }

    fn scope_refs(&self) -> Vec<&str> {
        self.scopes.iter().map(String::as_str).collect()
    }

    fn new_app_password<'a>(&'a self, scopes: &'a [&'a str]) -> NewAppPassword<'a> {
        NewAppPassword { user: &self.user, label: &self.label, scopes, expires_at: self.expires_at }
    }
}

async fn op_create(service: &Rc<Service>, options: JsValue) -> Result<JsValue, JsValue> {
    let args = CreateArgs::read(&options)?;
    let (scopes, caveats) = (args.scope_refs(), args.caveats.refs());
    let new = args.new_app_password(&scopes);
    // A canary never grants, so it takes no caveats.
    let created = match convert::opt_bool(&options, "canary")? {
        Some(true) => service.create_canary(new).await,
        _ => service.create_with_caveats(new, &args.caveats.spec(&caveats)).await,
    }
    .js()?;
    Ok(with_caveats(created_js(&created), &created.caveats).build())
}

async fn op_rotate(service: &Rc<Service>, user: JsValue, id: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    let user = user.as_string().ok_or_else(|| invalid_argument("user must be a string"))?;
    let id = id.as_string().ok_or_else(|| invalid_argument("id must be a string"))?;
    let overlap = field(&options, "overlapMs");
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
    Ok(match service.rotate(&user, &id, overlap_ms).await.js()? {
        Some(created) => with_caveats(created_js(&created).set("replaces", id.as_str()), &created.caveats).build(),
        None => JsValue::NULL,
    })
}

async fn op_set_enabled(
    service: &Rc<Service>,
    user: JsValue,
    id: JsValue,
    enabled: JsValue,
) -> Result<JsValue, JsValue> {
    let user = user.as_string().ok_or_else(|| invalid_argument("user must be a string"))?;
    let id = id.as_string().ok_or_else(|| invalid_argument("id must be a string"))?;
    let enabled = enabled.as_bool().ok_or_else(|| invalid_argument("enabled must be a boolean"))?;
    Ok(JsValue::from_bool(service.set_enabled(&user, &id, enabled).await.js()?))
}

async fn op_report_leaked(service: &Rc<Service>, password: JsValue) -> Result<JsValue, JsValue> {
    let password =
        zeroize::Zeroizing::new(password.as_string().ok_or_else(|| invalid_argument("password must be a string"))?);
    let report = service.report_leaked(&password).await.js()?;
    let out = Obj::new().set("found", report.found).set("revoked", report.revoked);
    Ok(match (&report.id, &report.user) {
        (Some(id), Some(user)) => out.set("id", id.as_str()).set("user", user.as_str()),
        _ => out,
    }
    .build())
}

async fn op_create_from_hash(service: &Rc<Service>, options: JsValue) -> Result<JsValue, JsValue> {
    let args = CreateArgs::read(&options)?;
    let id = convert::string(&options, "id")?;
    let phc = convert::string(&options, "phc")?;
    let (scopes, caveats) = (args.scope_refs(), args.caveats.refs());
    let new = args.new_app_password(&scopes);
    let minted = FromHash { id: &id, phc: &phc };
    let listed = service.create_from_hash_with_caveats(new, &args.caveats.spec(&caveats), minted).await.js()?;
    Ok(listed_js(&listed))
}

fn listed_js(l: &Listed) -> JsValue {
    let out = Obj::new()
        .set("id", l.id.as_str())
        .set("label", l.label.as_str())
        .set("scopes", string_array(&l.scopes))
        .set("createdAt", ms(l.created_at))
        .set("expiresAt", opt_ms(l.expires_at))
        .set("lastUsedAt", opt_ms(l.last_used_at))
        .set("enabled", l.enabled)
        .set("replaces", opt_str(l.replaces.as_ref()))
        .set("replacedBy", opt_str(l.replaced_by.as_ref()));
    with_caveats(out, &l.caveats).build()
}

async fn op_list(service: &Rc<Service>, user: JsValue) -> Result<JsValue, JsValue> {
    let user = user.as_string().ok_or_else(|| invalid_argument("user must be a string"))?;
    let listed = service.list(&user).await.js()?;
    let out: Array = listed.iter().map(listed_js).collect();
    Ok(out.into())
}

async fn op_revoke(service: &Rc<Service>, user: JsValue, id: JsValue) -> Result<JsValue, JsValue> {
    let user = user.as_string().ok_or_else(|| invalid_argument("user must be a string"))?;
    let id = id.as_string().ok_or_else(|| invalid_argument("id must be a string"))?;
    Ok(JsValue::from_bool(service.revoke(&user, &id).await.js()?))
}

async fn op_revoke_all(service: &Rc<Service>, user: JsValue) -> Result<JsValue, JsValue> {
    let user = user.as_string().ok_or_else(|| invalid_argument("user must be a string"))?;
    let count = service.revoke_all(&user).await.js()?;
    Ok(JsValue::from_f64(f64::from(u32::try_from(count).unwrap_or(u32::MAX))))
}

async fn op_verify(service: &Rc<Service>, options: JsValue) -> Result<JsValue, JsValue> {
    let args = VerifyArgs::read(&options)?;
    let require = args.require_refs();
    let (result, follow_up) = service
        .verify_deferred(VerifyRequest {
            purpose: args.purpose,
            context: Some(args.context.context()),
            ..VerifyRequest::password(&args.username, &args.password, &require)
        })
        .await
        .js()?;
    pair(&result, follow_up, service)
}

async fn op_verify_header(
    service: &Rc<Service>,
    header: JsValue,
    require: JsValue,
    [client_ip, method, path]: [JsValue; 3],
) -> Result<JsValue, JsValue> {
    let header = zeroize::Zeroizing::new(header.as_string());
    let require = convert::strings(&require, "require", true)?;
    let require: Vec<&str> = require.iter().map(String::as_str).collect();
    let context = ContextArgs::read(&client_ip, &method, &path)?;
    let request = VerifyRequest::basic(header.as_deref(), &require).with_context(context.context());
    let (result, follow_up) = service.verify_deferred(request).await.js()?;
    pair(&result, follow_up, service)
}

#[wasm_bindgen]
impl AppPasswordsCore {
    /// `new AppPasswordsCore({ store, prefix?, catalog?, hashing?, pepper?, now?, touchIntervalMs?, cache?, maxPerUser? })`
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<AppPasswordsCore, JsValue> {
        let store = JsStore::new(field(&options, "store")).map_err(|m| invalid_argument(&m))?;
        let mut config = Config::new().js()?;
        if let Some(prefix) = convert::opt_string(&options, "prefix")? {
            config.prefix = Prefix::new(&prefix).js()?;
        }
        config.catalog = catalog_option(&field(&options, "catalog"))?;
        config.hashing = convert::hash_params(&field(&options, "hashing"), HashParams::APP_PASSWORD)?;
        config.pepper = convert::bytes(&field(&options, "pepper"), "pepper")?;
        let interval = field(&options, "touchIntervalMs");
        if !interval.is_undefined() {
            config.touch_interval_ms = interval
                .as_f64()
                .and_then(convert::millis)
                .ok_or_else(|| invalid_argument("touchIntervalMs must be a non-negative number"))?;
        }
        let max_per_user = field(&options, "maxPerUser");
        if !max_per_user.is_undefined() {
            config.max_per_user = max_per_user
                .as_f64()
                .filter(|n| n.fract() == 0.0 && (1.0..=1000.0).contains(n))
                .and_then(convert::millis)
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| invalid_argument("maxPerUser must be an integer from 1 to 1000"))?;
        }
        let cache = field(&options, "cache");
        if !cache.is_undefined() && !cache.is_null() {
            let number = |name: &str| field(&cache, name).as_f64().and_then(convert::millis);
            let (Some(ttl_ms), Some(max_entries)) = (number("ttlMs"), number("maxEntries")) else {
                return Err(invalid_argument("cache must be { ttlMs, maxEntries } with non-negative numbers"));
            };
            let max_entries = usize::try_from(max_entries).unwrap_or(usize::MAX);
            config.cache = Some(app_passwords_core::cache::CacheConfig { ttl_ms, max_entries });
        }
        let now = field(&options, "now");
        let clock = if now.is_undefined() {
            JsClock(None)
        } else {
            JsClock(Some(now.dyn_into::<Function>().map_err(|_| invalid_argument("now must be a function"))?))
        };
        let inner = Service::with_parts(store, config, clock, PooledOsRandom::new()).js()?;
        Ok(Self { inner: Rc::new(inner), waiting: Cell::new(None), ticket: Cell::new(0) })
    }

    /// `create({ user, label, scopes, expiresAt?, allowIps?, denyIps?, notBefore?, methods?,
    /// paths?, maxUses?, canary? })` → Promise of the new password, shown once.
    pub fn create(&self, options: JsValue) -> Promise {
        run(Rc::clone(&self.inner), Op::Create(options))
    }

    /// `createFromHash({ user, label, scopes, expiresAt?, id, phc })` → Promise of the stored
    /// password as `list` shows it; the password itself was minted (and stays) elsewhere.
    #[wasm_bindgen(js_name = createFromHash)]
    pub fn create_from_hash(&self, options: JsValue) -> Promise {
        run(Rc::clone(&self.inner), Op::CreateFromHash(options))
    }

    /// `list(user)` → Promise of `[{ id, label, scopes, createdAt, expiresAt, lastUsedAt }]`.
    pub fn list(&self, user: JsValue) -> Promise {
        run(Rc::clone(&self.inner), Op::List(user))
    }

    /// `revoke(user, id)` → Promise of `true` if that user had it.
    pub fn revoke(&self, user: JsValue, id: JsValue) -> Promise {
        run(Rc::clone(&self.inner), Op::Revoke(user, id))
    }

    /// `revokeAll(user)` → Promise of the number of passwords revoked.
    #[wasm_bindgen(js_name = revokeAll)]
    pub fn revoke_all(&self, user: JsValue) -> Promise {
        run(Rc::clone(&self.inner), Op::RevokeAll(user))
    }

    /// `rotate(user, id, { overlapMs? })` → Promise of the replacement (with `replaces`), or
    /// `null` when that user has no such password.
    pub fn rotate(&self, user: JsValue, id: JsValue, options: JsValue) -> Promise {
        run(Rc::clone(&self.inner), Op::Rotate(user, id, options))
    }

    /// `setEnabled(user, id, enabled)` → Promise of `true` if that user had it.
    #[wasm_bindgen(js_name = setEnabled)]
    pub fn set_enabled(&self, user: JsValue, id: JsValue, enabled: JsValue) -> Promise {
        run(Rc::clone(&self.inner), Op::SetEnabled(user, id, enabled))
    }

    /// `reportLeaked(password)` → Promise of `{ found, revoked, id?, user? }`.
    #[wasm_bindgen(js_name = reportLeaked)]
    pub fn report_leaked(&self, password: JsValue) -> Promise {
        run(Rc::clone(&self.inner), Op::ReportLeaked(password))
    }

    /// `verify({ username, password, require?, purpose? })` → Promise of `[result, pending,
    /// canaryUse]`, where `pending` is a Promise of the follow-up writes, or `undefined`.
    pub fn verify(&self, options: JsValue) -> Promise {
        run(Rc::clone(&self.inner), Op::Verify(options))
    }

    /// `verifyHeader(authorizationHeaderOrNull, require?, clientIp?, method?, path?)` → Promise
    /// of `[result, pending, canaryUse]`.
    #[wasm_bindgen(js_name = verifyHeader)]
    pub fn verify_header(
        &self,
        header: JsValue,
        require: JsValue,
        client_ip: JsValue,
        method: JsValue,
        path: JsValue,
    ) -> Promise {
        run(Rc::clone(&self.inner), Op::VerifyHeader(header, require, [client_ip, method, path]))
    }

    /// `verifyNow(username, password, require?, purpose?, clientIp?, method?, path?)`: the
    /// synchronous path. The answer
    /// when it needs no store (a malformed password, or a fresh cache hit), else `undefined`:
    /// then await `verify`. Plain arguments, not an options object: reading an object field by
    /// field costs more than a cache hit. Arguments of the wrong type also give `undefined`:
    /// `verify` then throws the coded error for them.
    #[wasm_bindgen(js_name = verifyNow)]
    #[allow(clippy::too_many_arguments)] // plain arguments on purpose: see above
    pub fn verify_now(
        &self,
        username: JsValue,
        password: JsValue,
        require: JsValue,
        purpose: JsValue,
        client_ip: JsValue,
        method: JsValue,
        path: JsValue,
    ) -> Result<JsValue, JsValue> {
        let (Some(username), Some(password)) = (username.as_string(), password.as_string()) else {
            return Ok(JsValue::UNDEFINED);
        };
        let password = zeroize::Zeroizing::new(password);
        let purpose = match purpose.as_string().as_deref() {
            _ if purpose.is_undefined() => Purpose::Api,
            Some("api") => Purpose::Api,
            Some("login") => Purpose::Login,
            _ => return Ok(JsValue::UNDEFINED),
        };
        let Ok(context) = ContextArgs::read(&client_ip, &method, &path) else { return Ok(JsValue::UNDEFINED) };
        let require = convert::strings(&require, "require", true)?;
        let require: Vec<&str> = require.iter().map(String::as_str).collect();
        let request = VerifyRequest { purpose, ..VerifyRequest::password(&username, &password, &require) }
            .with_context(context.context());
        answered(self.inner.verify_now(&request).js()?)
    }

    /// `verifyHeaderNow(header, require?)`: `verifyNow` for an `Authorization` header value,
    /// before the request's client IP, method and path are read (passing three strings into the
    /// wasm on every request was a tenth of a cache hit). The answer, `undefined` (await
    /// `verifyHeader`), or for a cache hit of a password with caveats a ticket number: then
    /// `verifyHitNow(ticket, clientIp, method, path)`.
    #[wasm_bindgen(js_name = verifyHeaderNow)]
    pub fn verify_header_now(&self, header: JsValue, require: JsValue) -> Result<JsValue, JsValue> {
        let header = zeroize::Zeroizing::new(header.as_string());
        let require = convert::strings(&require, "require", true)?;
        let require: Vec<&str> = require.iter().map(String::as_str).collect();
        match self.inner.verify_now_lazily(&VerifyRequest::basic(header.as_deref(), &require)).js()? {
            Now::Answered(result) => answered(Some(result)),
            Now::NeedsContext(hit) => {
                let ticket = self.ticket.get().wrapping_add(1);
                self.ticket.set(ticket);
                self.waiting.set(Some(hit));
                Ok(JsValue::from(ticket))
            }
            Now::Later => Ok(JsValue::UNDEFINED),
        }
    }

    /// `verifyHitNow(ticket, clientIp?, method?, path?)`: the answer to the cache hit
    /// `verifyHeaderNow` gave `ticket` for, with the request's details; `undefined` (await
    /// `verifyHeader`) when that hit is gone or cannot be answered now.
    #[wasm_bindgen(js_name = verifyHitNow)]
    pub fn verify_hit_now(
        &self,
        ticket: u32,
        client_ip: Option<String>,
        method: Option<String>,
        path: Option<String>,
    ) -> Result<JsValue, JsValue> {
        let Some(hit) = self.waiting.take().filter(|_| ticket == self.ticket.get()) else {
            return Ok(JsValue::UNDEFINED);
        };
        let context = ContextArgs { client_ip, method, path };
        answered(self.inner.verify_hit(hit, context.context()))
    }

    /// The catalogue of this service: `[{ name, group, level, implies, grantable, closure }]`.
    pub fn catalog(&self) -> JsValue {
        scopes_js(self.inner.catalog())
    }

    /// The password prefix.
    #[wasm_bindgen(getter)]
    pub fn prefix(&self) -> String {
        self.inner.config().prefix.as_str().to_owned()
    }

    /// The hashing profile of new records, `{ memoryKiB, iterations, parallelism }`: what a
    /// page mints with for `createFromHash`.
    #[wasm_bindgen(getter)]
    pub fn hashing(&self) -> JsValue {
        let HashParams { memory_kib, iterations, parallelism } = self.inner.config().hashing;
        Obj::new().set("memoryKiB", memory_kib).set("iterations", iterations).set("parallelism", parallelism).build()
    }
}

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
#[wasm_bindgen(js_name = generatePassword)]
pub fn generate_password(options: JsValue) -> Result<JsValue, JsValue> {
    let password = password::generate(&prefix_option(&options)?, &mut GeneratorRandom).js()?;
    Ok(Obj::new().set("id", password.id()).set("password", password.expose()).build())
}

/// `mintAppPassword({ prefix?, hashing? })` → `{ id, password, phc }`: a password and its
/// Argon2id PHC string at `hashing` (default the light app-password profile); nothing stored.
#[wasm_bindgen(js_name = mintAppPassword)]
pub fn mint_app_password(options: JsValue) -> Result<JsValue, JsValue> {
    let prefix = prefix_option(&options)?;
    let params = convert::hash_params(&field(&options, "hashing"), HashParams::APP_PASSWORD)?;
    let minted = mint::mint(&prefix, &params, &mut GeneratorRandom).js()?;
    Ok(Obj::new()
        .set("id", minted.password.id())
        .set("password", minted.password.expose())
        .set("phc", minted.phc.as_str())
        .build())
}

/// `looksLikeAppPassword(s)`: prefix, length, alphabet and checksum; no store.
#[wasm_bindgen(js_name = looksLikeAppPassword)]
pub fn looks_like_app_password(candidate: JsValue) -> bool {
    candidate.as_string().is_some_and(|s| password::looks_like_app_password(&s))
}

/// `hashPassword(password, params?)` → Argon2id PHC string; OWASP profile by default.
#[wasm_bindgen(js_name = hashPassword)]
pub fn hash_password(password: JsValue, params: JsValue) -> Result<String, JsValue> {
    let password =
        zeroize::Zeroizing::new(password.as_string().ok_or_else(|| invalid_argument("password must be a string"))?);
    let params = convert::hash_params(&params, HashParams::OWASP)?;
    hash::hash_password(&password, &params).js()
}

/// `verifyPasswordHash(password, phc)` → boolean; reads any Argon2 PHC string.
#[wasm_bindgen(js_name = verifyPasswordHash)]
pub fn verify_password_hash(password: JsValue, phc: JsValue) -> Result<bool, JsValue> {
    let password =
        zeroize::Zeroizing::new(password.as_string().ok_or_else(|| invalid_argument("password must be a string"))?);
    let phc = phc.as_string().ok_or_else(|| invalid_argument("phc must be a string"))?;
    hash::verify_password_hash(&password, &phc).js()
}

thread_local! {
    static GENERATOR_RANDOM: std::cell::RefCell<PooledOsRandom> = std::cell::RefCell::new(PooledOsRandom::new());
    static DEFAULT_CATALOG: Option<Catalog> = Catalog::bitbucket().ok();
}

fn with_catalog<T>(catalog: &JsValue, f: impl FnOnce(&Catalog) -> Result<T, JsValue>) -> Result<T, JsValue> {
    if catalog.is_undefined() || catalog.is_null() {
        DEFAULT_CATALOG.with(|c| match c {
            Some(c) => f(c),
            None => Err(crate::error::to_js(app_passwords_core::Error::InvalidCatalog("embedded catalogue".into()))),
        })
    } else {
        f(&catalog_option(catalog)?)
    }
}

fn names_arg(catalog: &Catalog, value: &JsValue, name: &str) -> Result<app_passwords_core::scope::ScopeSet, JsValue> {
    let names = convert::strings(value, name, false)?;
    catalog.parse_names(names.iter().map(String::as_str)).js()
}

/// `scopes.catalog(catalog?)`.
#[wasm_bindgen(js_name = scopesCatalog)]
pub fn scopes_catalog(catalog: JsValue) -> Result<JsValue, JsValue> {
    with_catalog(&catalog, |c| Ok(scopes_js(c)))
}

/// `scopes.normalize(names, catalog?)`: closed, catalogue order.
#[wasm_bindgen(js_name = scopesNormalize)]
pub fn scopes_normalize(names: JsValue, catalog: JsValue) -> Result<JsValue, JsValue> {
    with_catalog(&catalog, |c| Ok(string_array(&c.names(&c.close(&names_arg(c, &names, "names")?)))))
}

/// `scopes.encode(names, catalog?)`: `v1.` compact form of the closed set.
#[wasm_bindgen(js_name = scopesEncode)]
pub fn scopes_encode(names: JsValue, catalog: JsValue) -> Result<String, JsValue> {
    with_catalog(&catalog, |c| Ok(c.encode(&c.close(&names_arg(c, &names, "names")?))))
}

/// `scopes.decode(text, catalog?)`: names, catalogue order; strict.
#[wasm_bindgen(js_name = scopesDecode)]
pub fn scopes_decode(encoded: JsValue, catalog: JsValue) -> Result<JsValue, JsValue> {
    let text = encoded.as_string().ok_or_else(|| invalid_argument("encoded must be a string"))?;
    with_catalog(&catalog, |c| Ok(string_array(&c.names(&c.decode(&text).js()?))))
}

/// `scopes.satisfies(granted, required, catalog?)`.
#[wasm_bindgen(js_name = scopesSatisfies)]
pub fn scopes_satisfies(granted: JsValue, required: JsValue, catalog: JsValue) -> Result<bool, JsValue> {
    with_catalog(&catalog, |c| {
        Ok(c.satisfies(&names_arg(c, &granted, "granted")?, &names_arg(c, &required, "required")?))
    })
}

/// `scopes.missing(granted, required, catalog?)`.
#[wasm_bindgen(js_name = scopesMissing)]
pub fn scopes_missing(granted: JsValue, required: JsValue, catalog: JsValue) -> Result<JsValue, JsValue> {
    with_catalog(&catalog, |c| {
        Ok(string_array(
            &c.names(&c.missing(&names_arg(c, &granted, "granted")?, &names_arg(c, &required, "required")?)),
        ))
    })
}
