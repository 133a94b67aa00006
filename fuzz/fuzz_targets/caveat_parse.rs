//! Caveats on arbitrary text: parsing and matching never panic; a range re-parses from its own
//! text to itself; what `Caveats::parse` accepts survives the record's JSON unchanged; a granted
//! request is really inside what the caveats allow (its path under a prefix, its client IP in an
//! allowed range and in no denied one, its method listed, the clock past `notBefore`).
//!
//! Input: lines of `<tag><value>`: `a` allowIps, `d` denyIps, `m` methods, `p` paths,
//! `n` notBefore, `u` maxUses; the request: `i` client IP, `M` method, `P` path, `t` the clock.
#![no_main]

use app_passwords::Record;
use app_passwords::caveat::{CaveatSpec, Caveats, IpRange, RequestContext, parse_client_ip};
use libfuzzer_sys::fuzz_target;

const ID: &str = "NTcnXC2NduDP";

/// A list given only when it has lines (so that an empty list is never given).
fn some<'a>(lines: &'a [&'a str]) -> Option<&'a [&'a str]> {
    if lines.is_empty() { None } else { Some(lines) }
}

fn under(path: &str, prefix: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    if prefix.ends_with('/') {
        path.starts_with(prefix)
    } else {
        path == prefix || path.starts_with(&format!("{prefix}/"))
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (mut allow, mut deny, mut methods, mut paths) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut not_before, mut max_uses, mut now) = (None, None, 0_u64);
    let mut context = RequestContext::default();
    for line in text.split('\n') {
        let mut chars = line.chars();
        let Some(tag) = chars.next() else { continue };
        let value = chars.as_str();
        match tag {
            'a' => allow.push(value),
            'd' => deny.push(value),
            'm' => methods.push(value),
            'p' => paths.push(value),
            'n' => not_before = value.parse().ok(),
            'u' => max_uses = value.parse().ok(),
            'i' => context.client_ip = Some(value),
            'M' => context.method = Some(value),
            'P' => context.path = Some(value),
            't' => now = value.parse().unwrap_or(0),
            _ => {}
        }
    }
    for given in allow.iter().chain(&deny) {
        if let Ok(range) = IpRange::parse(given) {
            assert_eq!(IpRange::parse(range.as_str()).ok().as_ref(), Some(&range), "{given:?}");
        }
    }
    let _ = context.client_ip.map(parse_client_ip);

    let spec = CaveatSpec {
        allow_ips: some(&allow),
        deny_ips: some(&deny),
        not_before,
        methods: some(&methods),
        paths: some(&paths),
        max_uses,
    };
    let Ok(caveats) = Caveats::parse(&spec) else { return };

    // The record's encoding: a fixed point that gives the same caveats back.
    let record = Record {
        v: 1,
        id: ID.into(),
        user: "alice".into(),
        label: "fuzz".into(),
        scopes: "v1.gA".into(),
        hash: "-".into(),
        created_at: 0,
        expires_at: None,
        caveats: caveats.clone(),
        replaces: None,
        canary: false,
    };
    let json = match record.to_json() {
        Ok(json) => json,
        Err(e) => panic!("to_json: {e}"),
    };
    match Record::from_json(&json, ID) {
        Ok(back) => {
            assert_eq!(back.caveats, caveats, "through {json:?}");
            assert_eq!(back.to_json().ok().as_deref(), Some(json.as_str()));
        }
        Err(e) => panic!("own JSON {json:?} refused: {e}"),
    }

    // A grant is inside every caveat.
    if caveats.check(&context, now).is_ok() {
        if let Some(t) = caveats.not_before() {
            assert!(now >= t);
        }
        if !caveats.methods().is_empty() {
            assert!(context.method.is_some_and(|m| caveats.methods().iter().any(|x| x == m)));
        }
        if !caveats.paths().is_empty() {
            let path = context.path.unwrap_or_default();
            assert!(caveats.paths().iter().any(|p| under(path, p)), "{path:?} granted");
            // The query may hold anything; the path itself no dot segment, no encoded dot.
            let bare = path.split(['?', '#']).next().unwrap_or(path);
            assert!(!bare.contains("/../") && !bare.to_ascii_lowercase().contains("%2e"), "{path:?} granted");
        }
        if !caveats.allow_ips().is_empty() || !caveats.deny_ips().is_empty() {
            let ip = context.client_ip.and_then(parse_client_ip);
            let Some(ip) = ip else { panic!("granted without a client IP") };
            assert!(!caveats.deny_ips().iter().any(|r| r.contains(ip)));
            assert!(caveats.allow_ips().is_empty() || caveats.allow_ips().iter().any(|r| r.contains(ip)));
        }
    }
});
