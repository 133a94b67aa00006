//! The record's `caveats` member: writing it, and reading it back as strictly as `create`
//! parses. Apart from the model because it is the storage encoding, not the caveats' meaning.

use super::{CaveatSpec, Caveats, IpRange};
use crate::error::{Error, Result};
use crate::json::{self, Fields, push_quoted, push_u64};

impl Caveats {
    /// Appends the record's `,"caveats":{...}` member, or nothing when there is no caveat.
    pub(crate) fn write_json(&self, out: &mut String) {
        let Some(limits) = self.0.as_deref() else { return };
        out.push_str(",\"caveats\":{");
        let start = out.len();
        let member = |out: &mut String, name: &str| {
            if out.len() > start {
                out.push(',');
            }
            out.push('"');
            out.push_str(name);
            out.push_str("\":");
        };
        let list = |out: &mut String, items: &mut dyn Iterator<Item = &str>| {
            out.push('[');
            for (i, item) in items.enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_quoted(out, item);
            }
            out.push(']');
        };
        if !limits.allow_ips.is_empty() {
            member(out, "allowIps");
            list(out, &mut limits.allow_ips.iter().map(IpRange::as_str));
        }
        if !limits.deny_ips.is_empty() {
            member(out, "denyIps");
            list(out, &mut limits.deny_ips.iter().map(IpRange::as_str));
        }
        if let Some(t) = limits.not_before {
            member(out, "notBefore");
            push_u64(out, t);
        }
        if !limits.methods.is_empty() {
            member(out, "methods");
            list(out, &mut limits.methods.iter().map(String::as_str));
        }
        if !limits.paths.is_empty() {
            member(out, "paths");
            list(out, &mut limits.paths.iter().map(String::as_str));
        }
        if let Some(n) = limits.max_uses {
            member(out, "maxUses");
            push_u64(out, n);
        }
        out.push('}');
    }

    /// Reads the text of the record's `caveats` member as strictly as `create` parses.
    ///
    /// # Errors
    /// [`Error::StoreCorrupt`].
    pub(crate) fn from_record(text: &str) -> Result<Self> {
        let bad = || Error::StoreCorrupt("record caveats are not of the v1 shape".into());
        const MEMBERS: &[&str] = &["allowIps", "denyIps", "notBefore", "methods", "paths", "maxUses"];
        let fields =
            json::parse(text).and_then(Fields::from_value).filter(|f| f.keys_within(MEMBERS)).ok_or_else(bad)?;
        let number = |name: &str| if fields.has(name) { fields.u64(name).map(Some) } else { Some(None) };
        // The lists borrowed from the parsed member, as `create` is given them; every member read
        // in one expression, so that one error stands for any of them.
        let members = || {
            let lists =
                (fields.strs("allowIps")?, fields.strs("denyIps")?, fields.strs("methods")?, fields.strs("paths")?);
            Some((lists, number("notBefore")?, number("maxUses")?))
        };
        let ((allow, deny, methods, paths), not_before, max_uses) = members().ok_or_else(bad)?;
        let caveats = Self::parse(&CaveatSpec {
            allow_ips: allow.as_deref(),
            deny_ips: deny.as_deref(),
            not_before,
            methods: methods.as_deref(),
            paths: paths.as_deref(),
            max_uses,
        })
        .map_err(|e| Error::StoreCorrupt(e.message()))?;
        if caveats.is_empty() {
            // create never writes an empty member.
            return Err(bad());
        }
        Ok(caveats)
    }
}
