//! The arguments of the exported methods, read and type-checked into owned Rust values (the
//! core checks what they mean): create's options and caveats, verify's credentials and context.

use wasm_bindgen::prelude::*;

use crate::convert::{self, field};
use app_passwords_core::caveat::{CaveatSpec, RequestContext};
use app_passwords_core::service::{Millis, NewAppPassword};

/// The caveat options of `create`, read (the core checks them).
pub(crate) struct CaveatArgs {
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
pub(crate) struct CaveatRefs<'a> {
    allow_ips: Option<Vec<&'a str>>,
    deny_ips: Option<Vec<&'a str>>,
    methods: Option<Vec<&'a str>>,
    paths: Option<Vec<&'a str>>,
}

impl CaveatArgs {
    pub(crate) fn refs(&self) -> CaveatRefs<'_> {
        CaveatRefs {
            allow_ips: str_refs(self.allow_ips.as_ref()),
            deny_ips: str_refs(self.deny_ips.as_ref()),
            methods: str_refs(self.methods.as_ref()),
            paths: str_refs(self.paths.as_ref()),
        }
    }

    pub(crate) fn spec<'a>(&self, refs: &'a CaveatRefs<'a>) -> CaveatSpec<'a> {
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

/// The client IP, method and path a verify was given, for the password's caveats.
pub(crate) struct ContextArgs {
    pub(crate) client_ip: Option<String>,
    pub(crate) method: Option<String>,
    pub(crate) path: Option<String>,
}

impl ContextArgs {
    pub(crate) fn read(client_ip: &JsValue, method: &JsValue, path: &JsValue) -> Result<Self, JsValue> {
        Ok(Self {
            client_ip: convert::opt_string_value(client_ip, "clientIp")?,
            method: convert::opt_string_value(method, "method")?,
            path: convert::opt_string_value(path, "path")?,
        })
    }

    pub(crate) fn context(&self) -> RequestContext<'_> {
        RequestContext {
            client_ip: self.client_ip.as_deref(),
            method: self.method.as_deref(),
            path: self.path.as_deref(),
        }
    }
}

/// The options `create` and `createFromHash` share, read the same way for both.
pub(crate) struct CreateArgs {
    user: String,
    label: String,
    scopes: Vec<String>,
    expires_at: Option<u64>,
    pub(crate) caveats: CaveatArgs,
}

impl CreateArgs {
    pub(crate) fn read(options: &JsValue) -> Result<Self, JsValue> {
        Ok(Self {
            user: convert::string(options, "user")?,
            label: convert::string(options, "label")?,
            scopes: convert::strings(&field(options, "scopes"), "scopes", false)?,
            expires_at: convert::opt_time(options, "expiresAt")?,
            caveats: CaveatArgs::read(options)?,
        })
    }

    pub(crate) fn scope_refs(&self) -> Vec<&str> {
        self.scopes.iter().map(String::as_str).collect()
    }

    pub(crate) fn new_app_password<'a>(&'a self, scopes: &'a [&'a str]) -> NewAppPassword<'a> {
        NewAppPassword { user: &self.user, label: &self.label, scopes, expires_at: self.expires_at }
    }
}
