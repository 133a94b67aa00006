#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! Caveats (docs/design.md#caveats): the matrix of IP ranges (IPv4, IPv6, IPv4-mapped, deny
//! inside allow, no client IP), notBefore to the millisecond, method case, path prefix edges;
//! strict parsing at create; maxUses counted with the store's atomic increment, exactly
//! `maxUses` grants under concurrency, and no use taken by a refused request.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use app_passwords::caveat::{MAX_IP_RANGES, MAX_PATHS, Unmet};
use app_passwords::record::{record_key, uses_key};
use app_passwords::service::Now;
use app_passwords::{
    AppPasswords, CaveatSpec, Created, Error, MemoryStore, NewAppPassword, Purpose, Reason, Record, RefusalCode,
    RequestContext, VerifyRequest, VerifyResult,
};
use common::{Harness, SplitMix64, T0, TestClock, block_on, cached_config, clock, light_config};

type Svc = AppPasswords<Arc<MemoryStore>, TestClock, SplitMix64>;

struct H {
    svc: Svc,
    store: Arc<MemoryStore>,
    now: Arc<AtomicU64>,
}

fn harness() -> H {
    harness_with(light_config())
}

fn harness_with(config: app_passwords::Config) -> H {
    let store = Arc::new(MemoryStore::new());
    let now = Arc::new(AtomicU64::new(T0));
    let svc = AppPasswords::with_parts(Arc::clone(&store), config, clock(&now), SplitMix64::new(7)).unwrap();
    H { svc, store, now }
}

fn create(h: &H, spec: &CaveatSpec<'_>) -> Created {
    block_on(h.svc.create_with_caveats(new(), spec)).unwrap()
}

fn new() -> NewAppPassword<'static> {
    NewAppPassword { user: "alice", label: "caveats", scopes: &["repository"], expires_at: None }
}

fn verify(h: &H, password: &str, context: RequestContext<'_>) -> VerifyResult {
    verify_with(&h.svc, password, &["repository"], context)
}

fn verify_with(svc: &Svc, password: &str, require: &[&str], context: RequestContext<'_>) -> VerifyResult {
    let request = VerifyRequest::password("alice", password, require).with_context(context);
    block_on(svc.verify(request)).unwrap()
}

/// `Ok(())` for a grant, else the caveat that refused (any other refusal fails the test).
#[track_caller]
fn outcome(result: VerifyResult) -> Result<(), Unmet> {
    match result {
        VerifyResult::Granted(_) => Ok(()),
        VerifyResult::Refused(r) => {
            assert_eq!(r.code, RefusalCode::RequestNotAllowed, "{r:?}");
            assert_eq!(r.status(), 403);
            match r.reason {
                Reason::Caveat(unmet) => Err(unmet),
                other => panic!("not a caveat refusal: {other:?}"),
            }
        }
    }
}

fn ip(client_ip: &str) -> RequestContext<'_> {
    RequestContext { client_ip: Some(client_ip), ..RequestContext::default() }
}

fn none() -> RequestContext<'static> {
    RequestContext::default()
}

fn method(method: &str) -> RequestContext<'_> {
    RequestContext { method: Some(method), ..RequestContext::default() }
}

fn path(path: &str) -> RequestContext<'_> {
    RequestContext { path: Some(path), ..RequestContext::default() }
}

fn allow<'a>(ranges: &'a [&'a str]) -> CaveatSpec<'a> {
    CaveatSpec { allow_ips: Some(ranges), ..CaveatSpec::default() }
}

fn deny<'a>(ranges: &'a [&'a str]) -> CaveatSpec<'a> {
    CaveatSpec { deny_ips: Some(ranges), ..CaveatSpec::default() }
}

fn methods<'a>(names: &'a [&'a str]) -> CaveatSpec<'a> {
    CaveatSpec { methods: Some(names), ..CaveatSpec::default() }
}

fn paths<'a>(prefixes: &'a [&'a str]) -> CaveatSpec<'a> {
    CaveatSpec { paths: Some(prefixes), ..CaveatSpec::default() }
}

use Unmet::{IpDenied, IpNotAllowed, IpUnknown, MethodNotAllowed, NotYetValid, PathNotAllowed};

/// One case of the matrix: caveats, the request, the clock offset from T0, the outcome.
struct Case<'a> {
    spec: CaveatSpec<'a>,
    context: RequestContext<'a>,
    at: u64,
    expect: Result<(), Unmet>,
}

fn case<'a>(spec: CaveatSpec<'a>, context: RequestContext<'a>, expect: Result<(), Unmet>) -> Case<'a> {
    Case { spec, context, at: 0, expect }
}

#[test]
fn caveat_matrix() {
    let ten = ["10.0.0.0/8"];
    let ten_but = ["10.0.0.0/8"];
    let ten_one = ["10.1.0.0/16"];
    let v6 = ["2001:db8::/32"];
    let nb = CaveatSpec { not_before: Some(T0 + 1000), ..CaveatSpec::default() };
    let every = CaveatSpec {
        allow_ips: Some(&["10.0.0.0/8", "2001:db8::/32"]),
        deny_ips: Some(&["10.66.0.0/16"]),
        not_before: Some(T0 + 5),
        methods: Some(&["get", "Head"]),
        paths: Some(&["/api/repos/", "/api/user"]),
        max_uses: None,
    };
    let full = |client_ip, m, p| RequestContext { client_ip: Some(client_ip), method: Some(m), path: Some(p) };
    let cases = vec![
        // IPv4
        case(allow(&ten), ip("10.1.2.3"), Ok(())),
        case(allow(&ten), ip("10.0.0.0"), Ok(())),
        case(allow(&ten), ip("10.255.255.255"), Ok(())),
        case(allow(&ten), ip("9.255.255.255"), Err(IpNotAllowed)),
        case(allow(&ten), ip("11.0.0.0"), Err(IpNotAllowed)),
        case(allow(&["192.168.1.7"]), ip("192.168.1.7"), Ok(())),
        case(allow(&["192.168.1.7"]), ip("192.168.1.8"), Err(IpNotAllowed)),
        case(allow(&["192.168.1.7/32"]), ip("192.168.1.6"), Err(IpNotAllowed)),
        case(allow(&["0.0.0.0/0"]), ip("203.0.113.9"), Ok(())),
        case(allow(&["0.0.0.0/0"]), ip("2001:db8::1"), Err(IpNotAllowed)),
        case(allow(&["172.16.0.0/12"]), ip("172.31.255.255"), Ok(())),
        case(allow(&["172.16.0.0/12"]), ip("172.32.0.0"), Err(IpNotAllowed)),
        // IPv6
        case(allow(&v6), ip("2001:db8:ffff:ffff::1"), Ok(())),
        case(allow(&v6), ip("2001:db9::1"), Err(IpNotAllowed)),
        case(allow(&v6), ip("2001:0DB8::1"), Ok(())),
        case(allow(&["2001:DB8::/32"]), ip("2001:db8::5"), Ok(())),
        case(allow(&["::1"]), ip("::1"), Ok(())),
        case(allow(&["::1"]), ip("::2"), Err(IpNotAllowed)),
        case(allow(&["fe80::/10"]), ip("febf::1"), Ok(())),
        case(allow(&["fe80::/10"]), ip("fec0::1"), Err(IpNotAllowed)),
        case(allow(&["::/0"]), ip("198.51.100.1"), Ok(())),
        case(allow(&v6), ip("10.0.0.1"), Err(IpNotAllowed)),
        // IPv4-mapped IPv6 matches its IPv4, both ways
        case(allow(&ten), ip("::ffff:10.0.0.1"), Ok(())),
        case(allow(&ten), ip("::ffff:a00:1"), Ok(())),
        case(allow(&ten), ip("::ffff:11.0.0.1"), Err(IpNotAllowed)),
        case(allow(&["::ffff:10.0.0.0/104"]), ip("10.9.9.9"), Ok(())),
        case(allow(&["::ffff:0:0/96"]), ip("203.0.113.9"), Ok(())),
        case(allow(&["::ffff:0:0/96"]), ip("2001:db8::1"), Err(IpNotAllowed)),
        case(deny(&ten), ip("::ffff:10.0.0.1"), Err(IpDenied)),
        // IPv4-compatible (::a.b.c.d, deprecated) is not IPv4-mapped
        case(allow(&ten), ip("::10.0.0.1"), Err(IpNotAllowed)),
        // deny wins, deny inside allow
        case(CaveatSpec { deny_ips: Some(&ten_one), ..allow(&ten_but) }, ip("10.1.2.3"), Err(IpDenied)),
        case(CaveatSpec { deny_ips: Some(&ten_one), ..allow(&ten_but) }, ip("10.2.0.1"), Ok(())),
        case(CaveatSpec { deny_ips: Some(&ten_one), ..allow(&ten_but) }, ip("11.0.0.1"), Err(IpNotAllowed)),
        case(CaveatSpec { deny_ips: Some(&ten), ..allow(&ten_one) }, ip("10.1.0.1"), Err(IpDenied)),
        case(deny(&ten_one), ip("10.2.0.1"), Ok(())),
        case(deny(&ten_one), ip("10.1.0.0"), Err(IpDenied)),
        case(deny(&["2001:db8::/48"]), ip("2001:db8:0:1::1"), Err(IpDenied)),
        case(deny(&["2001:db8::/48"]), ip("2001:db8:1::1"), Ok(())),
        // no client IP, or one that is not an address: refused when a caveat needs it
        case(allow(&ten), none(), Err(IpUnknown)),
        case(deny(&ten_one), none(), Err(IpUnknown)),
        case(allow(&ten), ip(""), Err(IpUnknown)),
        case(allow(&ten), ip("not-an-ip"), Err(IpUnknown)),
        case(allow(&ten), ip("10.0.0.1/32"), Err(IpUnknown)),
        case(allow(&ten), ip(" 10.0.0.1"), Err(IpUnknown)),
        case(allow(&ten), ip("10.0.0.1:443"), Err(IpUnknown)),
        case(allow(&v6), ip("[2001:db8::1]"), Err(IpUnknown)),
        case(allow(&ten), ip("010.0.0.1"), Err(IpUnknown)),
        case(methods(&["GET"]), none(), Err(MethodNotAllowed)),
        // notBefore, to the millisecond
        Case { spec: nb, context: none(), at: 999, expect: Err(NotYetValid) },
        Case { spec: nb, context: none(), at: 1000, expect: Ok(()) },
        Case { spec: nb, context: none(), at: 1001, expect: Ok(()) },
        Case { spec: nb, context: none(), at: 0, expect: Err(NotYetValid) },
        // methods: upper-cased at create, compared exactly
        case(methods(&["get"]), method("GET"), Ok(())),
        case(methods(&["get"]), method("get"), Err(MethodNotAllowed)),
        case(methods(&["GET"]), method("Get"), Err(MethodNotAllowed)),
        case(methods(&["GET", "HEAD"]), method("HEAD"), Ok(())),
        case(methods(&["GET"]), method("HEAD"), Err(MethodNotAllowed)),
        case(methods(&["GET"]), method("POST"), Err(MethodNotAllowed)),
        case(methods(&["propfind"]), method("PROPFIND"), Ok(())),
        case(methods(&["GET"]), method(""), Err(MethodNotAllowed)),
        // path prefixes: a trailing slash or a segment boundary
        case(paths(&["/api/repos/"]), path("/api/repos/1"), Ok(())),
        case(paths(&["/api/repos/"]), path("/api/repos/"), Ok(())),
        case(paths(&["/api/repos/"]), path("/api/reposX"), Err(PathNotAllowed)),
        case(paths(&["/api/repos/"]), path("/api/repos"), Err(PathNotAllowed)),
        case(paths(&["/api/repos"]), path("/api/repos"), Ok(())),
        case(paths(&["/api/repos"]), path("/api/repos/a/b"), Ok(())),
        case(paths(&["/api/repos"]), path("/api/reposX"), Err(PathNotAllowed)),
        case(paths(&["/api/repos"]), path("/api/repos.json"), Err(PathNotAllowed)),
        case(paths(&["/api/repos/"]), path("/api/repos/1?x=/y"), Ok(())),
        case(paths(&["/api/repos"]), path("/api/repos?admin"), Ok(())),
        case(paths(&["/api/repos/"]), path("/api/repos/1#frag"), Ok(())),
        case(paths(&["/api/repos/"]), path("/api/other?/api/repos/"), Err(PathNotAllowed)),
        case(paths(&["/api/repos/"]), path("/API/repos/1"), Err(PathNotAllowed)),
        case(paths(&["/api/repos/"]), path("/api/repos/../admin"), Err(PathNotAllowed)),
        case(paths(&["/api/repos/"]), path("/api/repos/./1"), Err(PathNotAllowed)),
        case(paths(&["/api/repos/"]), path("/api/repos/.."), Err(PathNotAllowed)),
        case(paths(&["/api/repos/"]), path("/api/repos/..;/admin"), Err(PathNotAllowed)),
        case(paths(&["/api/repos/"]), path("/api/repos/%2e%2e/admin"), Err(PathNotAllowed)),
        case(paths(&["/api/repos/"]), path("/api/repos/%2E./admin"), Err(PathNotAllowed)),
        case(paths(&["/api/repos/"]), path("/api/repos/x%2Fy"), Err(PathNotAllowed)),
        case(paths(&["/api/repos/"]), path("/api/repos/x%5cy"), Err(PathNotAllowed)),
        case(paths(&["/api/repos/"]), path("/api/repos/x\\..\\y"), Err(PathNotAllowed)),
        case(paths(&["/api/repos/"]), path("/api/repos/a%20b"), Ok(())),
        case(paths(&["/api/repos/"]), path("/api/repos/a b"), Err(PathNotAllowed)),
        case(paths(&["/api/repos/"]), path("api/repos/1"), Err(PathNotAllowed)),
        case(paths(&["/api/repos/"]), path(""), Err(PathNotAllowed)),
        case(paths(&["/api/repos/"]), none(), Err(PathNotAllowed)),
        case(paths(&["/"]), path("/anything/at/all"), Ok(())),
        case(paths(&["/a", "/b/"]), path("/b/c"), Ok(())),
        case(paths(&["/a", "/b/"]), path("/c"), Err(PathNotAllowed)),
        // everything at once, and the order: notBefore, IP, method, path
        Case { spec: every, context: full("10.1.1.1", "GET", "/api/repos/7"), at: 5, expect: Ok(()) },
        Case { spec: every, context: full("2001:db8::9", "HEAD", "/api/user"), at: 5, expect: Ok(()) },
        Case { spec: every, context: full("11.1.1.1", "POST", "/x"), at: 4, expect: Err(NotYetValid) },
        Case { spec: every, context: full("10.66.1.1", "POST", "/x"), at: 5, expect: Err(IpDenied) },
        Case { spec: every, context: full("10.1.1.1", "POST", "/x"), at: 5, expect: Err(MethodNotAllowed) },
        Case { spec: every, context: full("10.1.1.1", "GET", "/x"), at: 5, expect: Err(PathNotAllowed) },
    ];
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let h = harness();
    let mut failures = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        h.now.store(T0, Ordering::SeqCst);
        let created = create(&h, &c.spec);
        h.now.store(T0 + c.at, Ordering::SeqCst);
        let got = outcome(verify(&h, created.password.expose(), c.context));
        if got != c.expect {
            failures.push(format!("#{i} {:?} {:?} at +{}: {got:?}, expected {:?}", c.spec, c.context, c.at, c.expect));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

#[test]
fn a_password_without_caveats_needs_no_context_and_its_record_is_unchanged() {
    let h = harness();
    let created = create(&h, &CaveatSpec::default());
    assert!(created.caveats.is_empty());
    assert_eq!(outcome(verify(&h, created.password.expose(), none())), Ok(()));
    let json = h.store.snapshot().into_iter().find(|(k, _)| *k == record_key(&created.id)).unwrap().1;
    assert!(!json.contains("\"caveats\":"), "{json}");
    assert!(json.ends_with(",\"expiresAt\":null}"), "{json}");
}

#[test]
fn caveats_are_stored_listed_and_read_back() {
    let h = harness();
    let spec = CaveatSpec {
        allow_ips: Some(&["10.0.0.0/8", "2001:DB8::/32", "10.0.0.0/8"]),
        deny_ips: Some(&["10.1.0.0/16"]),
        not_before: Some(T0 - 5),
        methods: Some(&["get", "HEAD", "GET"]),
        paths: Some(&["/api/repos/", "/api/user"]),
        max_uses: Some(3),
    };
    let created = create(&h, &spec);
    let c = &created.caveats;
    let texts = |r: &[app_passwords::caveat::IpRange]| r.iter().map(|r| r.as_str().to_owned()).collect::<Vec<_>>();
    assert_eq!(texts(c.allow_ips()), ["10.0.0.0/8", "2001:db8::/32"], "duplicates dropped, IPv6 lower case");
    assert_eq!(texts(c.deny_ips()), ["10.1.0.0/16"]);
    assert_eq!(c.methods(), ["GET", "HEAD"], "upper-cased, duplicates dropped");
    assert_eq!(c.paths(), ["/api/repos/", "/api/user"]);
    assert_eq!((c.not_before(), c.max_uses()), (Some(T0 - 5), Some(3)));

    let listed = block_on(h.svc.list("alice")).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(&listed[0].caveats, c, "list shows the caveats");

    let json = block_on(app_passwords::Store::get(&h.store, &record_key(&created.id))).unwrap().unwrap();
    assert!(
        json.ends_with(
            ",\"expiresAt\":null,\"caveats\":{\"allowIps\":[\"10.0.0.0/8\",\"2001:db8::/32\"],\"denyIps\":[\"10.1.0.0/16\"],\"notBefore\":1699999999995,\"methods\":[\"GET\",\"HEAD\"],\"paths\":[\"/api/repos/\",\"/api/user\"],\"maxUses\":3}}"
        ),
        "{json}"
    );
    let record = Record::from_json(&json, &created.id).unwrap();
    assert_eq!(&record.caveats, c);
    assert_eq!(record.to_json().unwrap(), json, "the encoding is a fixed point");
}

#[test]
fn stored_caveats_are_read_strictly() {
    let h = harness();
    let created = create(&h, &CaveatSpec::default());
    let key = record_key(&created.id);
    let plain = h.store.snapshot().into_iter().find(|(k, _)| *k == key).unwrap().1;
    let with = |member: &str| format!("{},\"caveats\":{member}}}", plain.strip_suffix('}').unwrap());
    for bad in [
        "{}",
        "null",
        "[]",
        "{\"allowIps\":[]}",
        "{\"allowIps\":[\"10.0.0.1/8\"]}",
        "{\"allowIps\":\"10.0.0.0/8\"}",
        "{\"methods\":[\"G T\"]}",
        "{\"paths\":[\"/a/../b\"]}",
        "{\"maxUses\":0}",
        "{\"maxUses\":-1}",
        "{\"notBefore\":1.5}",
        "{\"other\":1}",
    ] {
        let err = Record::from_json(&with(bad), &created.id).unwrap_err();
        assert_eq!(err.code(), "store_corrupt", "{bad}");
    }
    // A record with a bad member fails a verify closed, never a grant.
    block_on(app_passwords::Store::put(&h.store, &key, &with("{\"allowIps\":[\"10.0.0.1/8\"]}"))).unwrap();
    let err = block_on(h.svc.verify(VerifyRequest::password("alice", created.password.expose(), &[]))).unwrap_err();
    assert_eq!(err.code(), "store_corrupt");
}

#[test]
fn strict_parsing_at_create() {
    let h = harness();
    let many_ranges: Vec<String> = (0..=MAX_IP_RANGES).map(|i| format!("10.0.{i}.0/24")).collect();
    let many_ranges: Vec<&str> = many_ranges.iter().map(String::as_str).collect();
    let many_paths: Vec<String> = (0..=MAX_PATHS).map(|i| format!("/p{i}/")).collect();
    let many_paths: Vec<&str> = many_paths.iter().map(String::as_str).collect();
    let long_path = format!("/{}", "a".repeat(256));
    let many_methods: Vec<String> = (0..17).map(|i| format!("M{i}")).collect();
    let many_methods: Vec<&str> = many_methods.iter().map(String::as_str).collect();
    let bad_ranges: &[&str] = &[
        "10.0.0.1/8",
        "10.0.0.0/33",
        "10.0.0.0/08",
        "10.0.0.0/",
        "10.0.0.0/-1",
        "10.0.0.0/+8",
        "10.0.0.0/8/8",
        "010.0.0.0/8",
        "10.0.0/8",
        "10.0.0.0.0",
        "::/129",
        "2001:db8::1/32",
        "fe80::1%eth0",
        "[::1]",
        " 10.0.0.0/8",
        "10.0.0.0/8 ",
        "",
        "localhost",
        "10.0.0.0/1000",
    ];
    let mut cases: Vec<(String, CaveatSpec<'_>)> = Vec::new();
    let singles: Vec<[&str; 1]> = bad_ranges.iter().map(|r| [*r]).collect();
    for one in &singles {
        cases.push((format!("allowIps {one:?}"), allow(one)));
        cases.push((format!("denyIps {one:?}"), deny(one)));
    }
    cases.push(("33 ranges".into(), allow(&many_ranges)));
    cases.push(("allowIps []".into(), allow(&[])));
    cases.push(("denyIps []".into(), deny(&[])));
    for m in ["", "GE T", "GET/", "GÉT", "GET\n", "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFG"] {
        cases.push((
            format!("method {m:?}"),
            CaveatSpec { methods: Some(Box::leak(Box::new([m]))), ..CaveatSpec::default() },
        ));
    }
    cases.push(("17 methods".into(), methods(&many_methods)));
    cases.push(("methods []".into(), methods(&[])));
    for p in [
        "api/", "", "/a//b", "//", "/a/../b", "/a/./", "/..", "/a/..;x/", "/a?b", "/a#b", "/a%20b", "/a\\b", "/ä/",
        "/a b", "/a\t",
    ] {
        cases.push((
            format!("path {p:?}"),
            CaveatSpec { paths: Some(Box::leak(Box::new([p]))), ..CaveatSpec::default() },
        ));
    }
    let long: &'static str = Box::leak(long_path.clone().into_boxed_str());
    cases.push(("257-byte path".into(), paths(Box::leak(Box::new([long])))));
    cases.push(("17 paths".into(), paths(&many_paths)));
    cases.push(("paths []".into(), paths(&[])));
    cases.push(("maxUses 0".into(), CaveatSpec { max_uses: Some(0), ..CaveatSpec::default() }));
    cases.push(("maxUses 2^53".into(), CaveatSpec { max_uses: Some(1 << 53), ..CaveatSpec::default() }));
    for (name, spec) in &cases {
        let err = block_on(h.svc.create_with_caveats(new(), spec)).unwrap_err();
        assert_eq!(err.code(), "invalid_caveat", "{name}: {err}");
    }
    // notBefore must come before expiresAt.
    let at = |not_before, expires_at| {
        let spec = CaveatSpec { not_before: Some(not_before), ..CaveatSpec::default() };
        block_on(h.svc.create_with_caveats(NewAppPassword { expires_at: Some(expires_at), ..new() }, &spec))
    };
    assert_eq!(at(T0 + 10, T0 + 10).unwrap_err().code(), "invalid_caveat");
    assert_eq!(at(T0 + 11, T0 + 10).unwrap_err().code(), "invalid_caveat");
    assert!(at(T0 + 9, T0 + 10).is_ok());
    // Nothing was stored by a refused create; the boundaries themselves are accepted.
    assert_eq!(block_on(h.svc.list("alice")).unwrap().len(), 1);
    let limit_paths: Vec<&str> = many_paths[..MAX_PATHS].to_vec();
    let limit_ranges: Vec<&str> = many_ranges[..MAX_IP_RANGES].to_vec();
    let ok_path: &'static str = Box::leak(long_path[..256].to_owned().into_boxed_str());
    for spec in [
        paths(&limit_paths),
        allow(&limit_ranges),
        paths(&[ok_path]),
        methods(&many_methods[..16]),
        CaveatSpec { max_uses: Some((1 << 53) - 1), ..CaveatSpec::default() },
        allow(&["0.0.0.0/0", "::/0", "1.2.3.4/32", "::ffff:1.2.3.4/128"]),
        paths(&["/", "/a/b/", "/a:b@c!$&'()*+,;=-._~"]),
    ] {
        block_on(h.svc.create_with_caveats(new(), &spec)).unwrap();
    }
}

#[test]
fn max_uses_counts_granted_verifies_only() {
    let h = harness();
    let spec = CaveatSpec { max_uses: Some(2), methods: Some(&["GET"]), ..CaveatSpec::default() };
    let created = create(&h, &spec);
    let pw = created.password.expose();
    let get = method("GET");
    // Refusals use nothing up: a caveat, a missing scope, a wrong secret, a wrong user, login.
    assert_eq!(outcome(verify(&h, pw, method("POST"))), Err(MethodNotAllowed));
    let scope = verify_with(&h.svc, pw, &["repository:write"], get);
    assert!(matches!(scope, VerifyResult::Refused(ref r) if r.reason == Reason::MissingScopes), "{scope:?}");
    let wrong = common::with_other_secret(pw);
    assert!(!verify(&h, &wrong, get).is_ok());
    let bob = VerifyRequest::password("bob", pw, &[]).with_context(get);
    assert!(!block_on(h.svc.verify(bob)).unwrap().is_ok());
    let login = VerifyRequest::password("alice", pw, &[]).with_context(get).for_login();
    assert_eq!(login.purpose, Purpose::Login);
    assert!(!block_on(h.svc.verify(login)).unwrap().is_ok());
    assert_eq!(
        h.store.snapshot().iter().find(|(k, _)| *k == uses_key(&created.id)).map(|(_, v)| v.clone()),
        Some("0".into())
    );
    // Two grants, then refused for good.
    assert_eq!(outcome(verify(&h, pw, get)), Ok(()));
    assert_eq!(outcome(verify(&h, pw, get)), Ok(()));
    assert_eq!(outcome(verify(&h, pw, get)), Err(Unmet::MaxUsesReached));
    assert_eq!(outcome(verify(&h, pw, get)), Err(Unmet::MaxUsesReached));
    assert_eq!(outcome(verify(&h, pw, method("POST"))), Err(MethodNotAllowed), "other caveats still answer first");
    // Revoke removes the counter with the record.
    assert!(block_on(h.svc.revoke("alice", &created.id)).unwrap());
    assert!(h.store.snapshot().iter().all(|(k, _)| *k != uses_key(&created.id)), "counter deleted");
}

#[test]
fn max_uses_one_under_concurrency_grants_exactly_one() {
    for (max_uses, threads) in [(1_u64, 64_usize), (5, 48)] {
        let h = harness();
        let created = create(&h, &CaveatSpec { max_uses: Some(max_uses), ..CaveatSpec::default() });
        let granted = AtomicUsize::new(0);
        let refused = AtomicUsize::new(0);
        let start = std::sync::Barrier::new(threads);
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| {
                    start.wait();
                    match outcome(verify(&h, created.password.expose(), none())) {
                        Ok(()) => granted.fetch_add(1, Ordering::SeqCst),
                        Err(Unmet::MaxUsesReached) => refused.fetch_add(1, Ordering::SeqCst),
                        Err(other) => panic!("{other:?}"),
                    };
                });
            }
        });
        assert_eq!(granted.load(Ordering::SeqCst), usize::try_from(max_uses).unwrap(), "maxUses {max_uses}");
        assert_eq!(refused.load(Ordering::SeqCst), threads - usize::try_from(max_uses).unwrap());
    }
}

#[test]
fn cached_answers_check_caveats_and_count_uses() {
    let config = cached_config();
    let h = harness_with(config);
    let created =
        create(&h, &CaveatSpec { max_uses: Some(2), allow_ips: Some(&["10.0.0.0/8"]), ..CaveatSpec::default() });
    let pw = created.password.expose();
    let request = |client_ip| VerifyRequest::password("alice", pw, &[]).with_context(ip(client_ip));
    assert!(block_on(h.svc.verify(request("10.0.0.1"))).unwrap().is_ok());
    // The synchronous path never answers for a password with maxUses (it needs the store).
    assert_eq!(h.svc.verify_now(&request("10.0.0.1")).unwrap(), None);
    assert_eq!(outcome(block_on(h.svc.verify(request("11.0.0.1"))).unwrap()), Err(IpNotAllowed), "cached: IP checked");
    match block_on(h.svc.verify(request("10.0.0.1"))).unwrap() {
        VerifyResult::Granted(g) => assert!(g.cached, "second grant from the cache"),
        other => panic!("{other:?}"),
    }
    assert_eq!(outcome(block_on(h.svc.verify(request("10.0.0.1"))).unwrap()), Err(Unmet::MaxUsesReached));

    // Without maxUses, the synchronous path answers a cache hit and checks the caveats.
    let other = create(&h, &allow(&["10.0.0.0/8"]));
    let req = |client_ip| VerifyRequest::password("alice", other.password.expose(), &[]).with_context(ip(client_ip));
    assert!(block_on(h.svc.verify(req("10.0.0.1"))).unwrap().is_ok());
    assert!(h.svc.verify_now(&req("10.0.0.2")).unwrap().is_some_and(|r| r.is_ok()));
    let refused = h.svc.verify_now(&req("192.0.2.1")).unwrap().unwrap();
    assert_eq!(outcome(refused), Err(IpNotAllowed));
    let header = app_passwords::basic_header("alice", other.password.expose());
    let context = ip("192.0.2.1");
    let refused = h.svc.verify_now(&VerifyRequest::basic(Some(&header), &[]).with_context(context)).unwrap().unwrap();
    assert_eq!(outcome(refused), Err(IpNotAllowed));
    assert!(
        block_on(h.svc.verify(VerifyRequest::basic(Some(&header), &[]).with_context(ip("10.0.0.3")))).unwrap().is_ok()
    );
    assert_eq!(outcome(block_on(h.svc.verify_header(Some(&header), &[])).unwrap()), Err(IpUnknown));
    // Before the context is read (None): no answer now for a password with caveats (the async
    // path then refuses it without them), one for a plain one.
    assert_eq!(h.svc.verify_now(&VerifyRequest::basic(Some(&header), &[])).unwrap(), None);
    let plain = create(&h, &CaveatSpec::default());
    let plain_header = app_passwords::basic_header("alice", plain.password.expose());
    assert!(block_on(h.svc.verify_header(Some(&plain_header), &[])).unwrap().is_ok());
    let now = h.svc.verify_now(&VerifyRequest::basic(Some(&plain_header), &[])).unwrap();
    assert!(now.is_some_and(|r| r.is_ok()), "a cache hit without caveats is answered at once");
    let malformed = app_passwords::basic_header("alice", "apw_nope");
    assert!(h.svc.verify_now(&VerifyRequest::basic(Some(&malformed), &[])).unwrap().is_some_and(|r| !r.is_ok()));
}

#[test]
fn a_cache_hit_with_caveats_is_answered_once_the_context_is_read() {
    let config = cached_config();
    let h = harness_with(config);
    let created =
        create(&h, &CaveatSpec { allow_ips: Some(&["10.0.0.0/8"]), paths: Some(&["/api/"]), ..CaveatSpec::default() });
    let header = app_passwords::basic_header("alice", created.password.expose());
    let request = VerifyRequest::basic(Some(&header), &["repository"]);
    let context = |client_ip, path| RequestContext { client_ip: Some(client_ip), method: None, path: Some(path) };
    // Nothing cached yet: the async path, which caches the credential.
    assert!(matches!(h.svc.verify_now_lazily(&request).unwrap(), Now::Later));
    assert!(block_on(h.svc.verify(request.with_context(context("10.0.0.1", "/api/a")))).unwrap().is_ok());
    let hit = || match h.svc.verify_now_lazily(&request).unwrap() {
        Now::NeedsContext(hit) => hit,
        other => panic!("a cache hit of a password with caveats, no context: {other:?}"),
    };
    match h.svc.verify_hit(hit(), context("10.0.0.2", "/api/b?x=1")) {
        Some(VerifyResult::Granted(g)) => assert!(g.cached && g.id == created.id),
        other => panic!("{other:?}"),
    }
    // Every caveat is checked: the cached credential is no shortcut.
    assert_eq!(outcome(h.svc.verify_hit(hit(), context("192.0.2.1", "/api/b")).unwrap()), Err(Unmet::IpNotAllowed));
    assert_eq!(outcome(h.svc.verify_hit(hit(), context("10.0.0.2", "/other")).unwrap()), Err(Unmet::PathNotAllowed));
    assert_eq!(outcome(h.svc.verify_hit(hit(), none()).unwrap()), Err(Unmet::IpUnknown));
    // With the context up front, the answer comes at once, as from verify_now.
    let up_front = request.with_context(context("192.0.2.1", "/api/b"));
    let Now::Answered(refused) = h.svc.verify_now_lazily(&up_front).unwrap() else { panic!("answered") };
    assert_eq!(outcome(refused), Err(Unmet::IpNotAllowed));
    assert_eq!(h.svc.verify_now(&request).unwrap(), None, "verify_now without a context still leaves it");
    // A malformed password or a cache hit without caveats never asks for the context.
    let plain = create(&h, &CaveatSpec::default());
    let plain_header = app_passwords::basic_header("alice", plain.password.expose());
    let plain_request = VerifyRequest::basic(Some(&plain_header), &["repository"]);
    assert!(block_on(h.svc.verify(plain_request)).unwrap().is_ok());
    assert!(matches!(h.svc.verify_now_lazily(&plain_request).unwrap(), Now::Answered(r) if r.is_ok()));
    let malformed = VerifyRequest::basic(Some("Basic YWxpY2U6YXB3X25vcGU="), &[]);
    assert!(matches!(h.svc.verify_now_lazily(&malformed).unwrap(), Now::Answered(r) if !r.is_ok()));
    // A revoke through this instance between the two calls wins: no answer (the async path
    // then refuses), and no hit after it.
    let waiting = hit();
    assert!(block_on(h.svc.revoke("alice", &created.id)).unwrap());
    assert_eq!(h.svc.verify_hit(waiting, context("10.0.0.2", "/api/b")), None);
    assert!(matches!(h.svc.verify_now_lazily(&request).unwrap(), Now::Later));
}

#[test]
fn a_records_caveats_are_parsed_again_when_their_text_changes() {
    // Verify keeps the parse of a record's caveats (ParsedCaveats) for the text it was parsed
    // from: a record whose caveats differ, even under the same id, is read afresh.
    let h = harness();
    let created = create(&h, &allow(&["10.0.0.0/8"]));
    let pw = created.password.expose();
    assert_eq!(outcome(verify(&h, pw, ip("10.0.0.1"))), Ok(()));
    assert_eq!(outcome(verify(&h, pw, ip("10.0.0.1"))), Ok(()), "and again, from the kept parse");
    let key = record_key(&created.id);
    let stored = |h: &H| h.store.snapshot().into_iter().find(|(k, _)| *k == key).unwrap().1;
    let put = |h: &H, json: &str| block_on(app_passwords::Store::put(&h.store, &key, json)).unwrap();
    let original = stored(&h);
    put(&h, &original.replace("10.0.0.0/8", "192.0.2.0/24"));
    assert_eq!(outcome(verify(&h, pw, ip("10.0.0.1"))), Err(Unmet::IpNotAllowed));
    assert_eq!(outcome(verify(&h, pw, ip("192.0.2.1"))), Ok(()));
    // Spacing is text too: the same caveats written differently parse to the same thing.
    put(&h, &original.replace("\"allowIps\":", "\"allowIps\" : "));
    assert_eq!(outcome(verify(&h, pw, ip("10.0.0.1"))), Ok(()));
    // A member that no longer parses fails closed, whatever parsed before.
    put(&h, &original.replace("10.0.0.0/8", "10.0.0.1/8"));
    let err =
        block_on(h.svc.verify(VerifyRequest::password("alice", pw, &[]).with_context(ip("10.0.0.1")))).unwrap_err();
    assert_eq!(err.code(), "store_corrupt");
    put(&h, &original);
    assert_eq!(outcome(verify(&h, pw, ip("10.0.0.1"))), Ok(()));
}

#[test]
fn max_uses_needs_an_atomic_increment() {
    // tests/common's Shared store forwards get/put/delete/list only: no increment.
    let h = Harness::new();
    let spec = CaveatSpec { max_uses: Some(1), ..CaveatSpec::default() };
    let err = block_on(h.svc.create_with_caveats(new(), &spec)).unwrap_err();
    assert_eq!(err, Error::StoreLacksAtomic);
    assert!(h.store.is_empty(), "nothing written");
    // Other caveats need no increment.
    block_on(h.svc.create_with_caveats(new(), &methods(&["GET"]))).unwrap();

    // A record with maxUses read through a store without increment fails closed.
    let counting = harness();
    let created = create(&counting, &spec);
    let svc = h.sibling(light_config(), 3);
    for (k, v) in counting.store.snapshot() {
        block_on(app_passwords::Store::put(&h.store, &k, &v)).unwrap();
    }
    let request = VerifyRequest::password("alice", created.password.expose(), &[]);
    assert_eq!(block_on(svc.verify(request)).unwrap_err(), Error::StoreLacksAtomic);
}
