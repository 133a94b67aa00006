#![cfg(not(target_arch = "wasm32"))]
// Test helpers outside #[test] functions are test code too (see .clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! Scopes (docs/design.md#scopes): the default catalogue, closure, text form, strict compact
//! encoding, and catalogue validation.

mod common;

use app_passwords::scope::MAX_SCOPES;
use app_passwords::{Catalog, Error, ScopeDef, ScopeSet};
use common::catalog;

fn bb() -> Catalog {
    Catalog::bitbucket().unwrap()
}

fn set(c: &Catalog, names: &[&str]) -> ScopeSet {
    c.parse_names(names.iter().copied()).unwrap()
}

fn closed(c: &Catalog, names: &[&str]) -> Vec<String> {
    c.normalize(names.iter().copied()).unwrap()
}

#[test]
fn default_catalogue_matches_the_scope_file() {
    let c = bb();
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scopes/bitbucket-app-password-scopes.json"));
    let mut file: serde_json::Value = serde_json::from_str(&text.unwrap()).unwrap();
    // The embedded copy is the file without what is written for people only (build.rs).
    let embedded: serde_json::Value = serde_json::from_str(app_passwords::scope::DEFAULT_CATALOG_JSON).unwrap();
    let object = file.as_object_mut().unwrap();
    assert!(object.remove("notes").is_some() && object.remove("facts").is_some());
    for scope in object["scopes"].as_array_mut().unwrap() {
        scope.as_object_mut().unwrap().remove("implied_by_observation");
    }
    assert_eq!(embedded, file);
    let defs = file["scopes"].as_array().unwrap();
    assert_eq!(c.scopes().len(), defs.len());
    for (i, (scope, def)) in c.scopes().iter().zip(defs).enumerate() {
        assert_eq!(scope.name, def["name"].as_str().unwrap());
        assert_eq!(c.position(&scope.name), Some(i));
        assert_eq!(scope.grantable, def["grantable"].as_bool().unwrap());
    }
    let not_grantable: Vec<_> = c.scopes().iter().filter(|s| !s.grantable).map(|s| s.name.as_str()).collect();
    assert_eq!(not_grantable, ["workspace:admin", "account:login"]);
    assert_eq!(c.grantable().len(), c.scopes().len() - 2);
}

#[test]
fn closures_follow_the_implications() {
    let c = bb();
    assert_eq!(
        closed(&c, &["pullrequest:write"]),
        ["repository", "repository:write", "pullrequest", "pullrequest:write"]
    );
    assert_eq!(closed(&c, &["account:write"]), ["email", "account", "account:write"]);
    assert_eq!(closed(&c, &["pipeline:variable"]), ["pipeline", "pipeline:write", "pipeline:variable"]);
    assert_eq!(closed(&c, &["project"]), ["project", "repository"]);
}

#[test]
fn documented_non_implications_hold() {
    let c = bb();
    assert_eq!(closed(&c, &["repository:admin"]), ["repository:admin"]);
    assert_eq!(closed(&c, &["project:admin"]), ["project:admin"]);
    assert_eq!(closed(&c, &["issue:write", "wiki"]), ["issue", "issue:write", "wiki"]);
    let granted = set(&c, &["repository:admin"]);
    assert!(!c.satisfies(&granted, &set(&c, &["repository"])));
    assert!(!c.satisfies(&granted, &set(&c, &["repository:write"])));
}

#[test]
fn normalize_orders_by_catalogue_and_drops_duplicates() {
    let c = bb();
    assert_eq!(closed(&c, &["wiki", "email", "wiki", "email"]), ["email", "wiki"]);
    let text = c.to_text(&c.close(&set(&c, &["snippet:write", "repository"])));
    assert_eq!(text, "repository snippet snippet:write");
    assert_eq!(c.parse_text(&text).unwrap(), c.close(&set(&c, &["snippet:write", "repository"])));
    // Any whitespace separates names when reading.
    assert_eq!(c.parse_text(" snippet\tsnippet:write\nrepository ").unwrap(), c.parse_text(&text).unwrap());
    assert_eq!(c.parse_text("").unwrap(), ScopeSet::EMPTY);
    assert_eq!(c.to_text(&ScopeSet::EMPTY), "");
}

#[test]
fn satisfies_and_missing() {
    let c = bb();
    let granted = set(&c, &["pullrequest:write"]); // not closed on purpose: the helpers close it
    assert!(c.satisfies(&granted, &set(&c, &["repository"])));
    assert!(c.satisfies(&granted, &set(&c, &["repository:write", "pullrequest"])));
    assert!(c.satisfies(&granted, &ScopeSet::EMPTY));
    let required = set(&c, &["issue", "repository", "repository:admin"]);
    assert!(!c.satisfies(&granted, &required));
    assert_eq!(c.names(&c.missing(&granted, &required)), ["repository:admin", "issue"]);
    assert!(c.missing(&granted, &set(&c, &["repository"])).is_empty());
}

#[test]
fn unknown_scope_names_are_errors() {
    let c = bb();
    for bad in ["repository:read", "Repository", "", " repository", "project:write"] {
        let err = c.parse_names([bad]).unwrap_err();
        assert_eq!(err.code(), "unknown_scope", "{bad:?}");
    }
    // The echoed name is cut short: the caller controls it.
    let long = "x".repeat(10_000);
    match c.parse_names([long.as_str()]).unwrap_err() {
        Error::UnknownScope(name) => assert!(name.len() <= 64 * 4, "{}", name.len()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn too_many_names_in_one_call() {
    let c = bb();
    // More than 2 x MAX_SCOPES (512) names is refused; 512 is still read.
    let many = vec!["repository"; 2 * MAX_SCOPES + 1];
    assert_eq!(c.parse_names(many.iter().copied()).unwrap_err(), Error::TooManyScopes);
    assert_eq!(Error::TooManyScopes.code(), "too_many_scopes");
    let fewer = vec!["repository"; 2 * MAX_SCOPES];
    assert_eq!(c.parse_names(fewer.iter().copied()).unwrap(), set(&c, &["repository"]));
}

#[test]
fn encoding_is_little_endian_base64url_with_trailing_zeros_trimmed() {
    let c = bb();
    // Position 0 (email) is bit 0 of byte 0: 0x01 = "AQ".
    assert_eq!(c.encode(&set(&c, &["email"])), "v1.AQ");
    // repository is position 7: 0x80 = "gA".
    assert_eq!(c.encode(&set(&c, &["repository"])), "v1.gA");
    // repository:write is position 8: bytes [0x00, 0x01] = "AAE".
    assert_eq!(c.encode(&set(&c, &["repository:write"])), "v1.AAE");
    assert_eq!(c.encode(&ScopeSet::EMPTY), "v1.");
    assert_eq!(c.decode("v1.").unwrap(), ScopeSet::EMPTY);
    for names in [&["email"][..], &["repository"], &["runner:write", "email"], &["account:login"]] {
        let s = set(&c, names);
        assert_eq!(c.decode(&c.encode(&s)).unwrap(), s);
    }
}

#[test]
fn decode_is_strict() {
    let c = bb();
    for bad in [
        "",
        "AQ",
        "v2.AQ",
        "V1.AQ",
        "v1AQ",
        "v1.AQ==",
        "v1.AQ=",
        "v1.A",
        "v1.AR",
        "v1.AQA",
        "v1.AAAA",
        "v1.A+",
        "v1.A/",
        "v1. AQ",
        "v1.AQ\n",
        "v1.AQ.",
        "v1.AAAABA",
        "v1.AAAAgA",
    ] {
        let err = c.decode(bad).unwrap_err();
        assert_eq!(err.code(), "invalid_scope_encoding", "{bad:?}");
    }
}

#[test]
fn a_bit_beyond_a_small_catalogue_is_rejected_but_accepted_by_a_larger_one() {
    let small = catalog(r#"[{"name": "a"}, {"name": "b"}]"#);
    assert_eq!(small.decode("v1.Aw").unwrap().len(), 2);
    assert_eq!(small.decode("v1.Bw").unwrap_err().code(), "invalid_scope_encoding");
    let larger = catalog(r#"[{"name": "a"}, {"name": "b"}, {"name": "c"}]"#);
    assert_eq!(larger.names(&larger.decode("v1.Bw").unwrap()), ["a", "b", "c"]);
}

#[test]
fn full_width_catalogue_uses_all_256_bits() {
    let defs: Vec<String> = (0..MAX_SCOPES).map(|i| format!(r#"{{"name": "s{i}"}}"#)).collect();
    let c = catalog(&format!("[{}]", defs.join(",")));
    let mut s = ScopeSet::EMPTY;
    s.insert(0);
    s.insert(255);
    let encoded = c.encode(&s);
    assert_eq!(encoded.len(), 3 + 43); // 32 bytes -> 43 base64url characters
    assert_eq!(c.decode(&encoded).unwrap(), s);
    assert_eq!(c.names(&s), ["s0", "s255"]);
    let too_many: Vec<String> = (0..=MAX_SCOPES).map(|i| format!(r#"{{"name": "s{i}"}}"#)).collect();
    let err = Catalog::from_json(&format!(r#"{{"scopes": [{}]}}"#, too_many.join(","))).unwrap_err();
    assert_eq!(err.code(), "invalid_catalog");
}

#[test]
fn scope_set_operations() {
    let mut a = ScopeSet::EMPTY;
    a.insert(3);
    a.insert(70);
    a.insert(MAX_SCOPES); // out of range: ignored
    assert_eq!(a.len(), 2);
    assert!(a.contains(70) && !a.contains(MAX_SCOPES));
    let mut b = ScopeSet::EMPTY;
    b.insert(3);
    assert!(b.is_subset(&a) && !a.is_subset(&b));
    assert_eq!(a.difference(&b).positions().collect::<Vec<_>>(), [70]);
    assert_eq!(b.union(&a), a);
    assert!(ScopeSet::EMPTY.is_empty() && ScopeSet::default().is_empty());
}

#[test]
fn catalogue_validation() {
    let bad = [
        (r#"{"scopes": []}"#, "no scopes"),
        (r#"{"scopes": [{"name": "a"}, {"name": "a"}]}"#, "duplicate"),
        (r#"{"scopes": [{"name": "a", "implies": ["b"]}]}"#, "unknown implication"),
        (r#"{"scopes": [{"name": ""}]}"#, "empty name"),
        (r#"{"scopes": [{"name": "a b"}]}"#, "whitespace in name"),
        (
            r#"{"scopes": [{"name": "a", "implies": ["b"]}, {"name": "b", "grantable": false}]}"#,
            "grantable implies non-grantable",
        ),
        (r#"{"scopes": "a"}"#, "not a list"),
        (r#"[{"name": "a"}]"#, "not an object"),
        ("not json", "not JSON"),
    ];
    for (json, why) in bad {
        let err = Catalog::from_json(json).unwrap_err();
        assert_eq!(err.code(), "invalid_catalog", "{why}");
    }
    // A non-grantable scope may imply a grantable one.
    let c = catalog(r#"[{"name": "a"}, {"name": "admin", "implies": ["a"], "grantable": false}]"#);
    assert!(!c.scopes()[1].grantable && c.scopes()[0].grantable);
}

#[test]
fn closure_is_transitive_and_tolerates_cycles() {
    let chain = catalog(
        r#"[{"name": "d"}, {"name": "c", "implies": ["d"]}, {"name": "b", "implies": ["c"]},
            {"name": "a", "implies": ["b"]}, {"name": "x"}]"#,
    );
    assert_eq!(closed(&chain, &["a"]), ["d", "c", "b", "a"]);
    let cyclic = catalog(
        r#"[{"name": "p", "implies": ["q"]}, {"name": "q", "implies": ["r"]}, {"name": "r", "implies": ["p"]}, {"name": "s"}]"#,
    );
    for start in ["p", "q", "r"] {
        assert_eq!(closed(&cyclic, &[start]), ["p", "q", "r"]);
    }
    assert_eq!(closed(&cyclic, &["s"]), ["s"]);
}

#[test]
fn catalogue_from_definitions() {
    let defs = vec![
        ScopeDef { name: "read".into(), group: "G".into(), level: "Read".into(), implies: vec![], grantable: true },
        ScopeDef {
            name: "write".into(),
            group: "G".into(),
            level: "Write".into(),
            implies: vec!["read".into()],
            grantable: true,
        },
    ];
    let c = Catalog::new(defs).unwrap();
    assert_eq!(closed(&c, &["write"]), ["read", "write"]);
    assert_eq!(c.scopes()[1].group, "G");
    assert_eq!(c.scopes()[1].level, "Write");
    assert_eq!(Catalog::new(vec![]).unwrap_err().code(), "invalid_catalog");
}
