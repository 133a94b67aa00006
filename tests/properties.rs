#![cfg(not(target_arch = "wasm32"))]
// Test helpers outside #[test] functions are test code too (see .clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! Property tests: scope encoding and closure laws, checksum coverage of every single
//! character, and parsers that never panic on hostile input.

mod common;

use app_passwords::{
    BasicAuthError, Catalog, PhcHash, Prefix, Record, ScopeDef, ScopeSet, basic_header, generate,
    looks_like_app_password, parse, parse_basic,
};
use base64ct::{Base64, Encoding};
use common::{SplitMix64, check_digits};
use proptest::prelude::*;

fn bitbucket() -> Catalog {
    Catalog::bitbucket().unwrap()
}

/// A random catalogue of 1..=48 scopes with random implications (cycles allowed).
fn arb_catalog() -> impl Strategy<Value = Catalog> {
    (1usize..=48).prop_flat_map(|n| proptest::collection::vec(proptest::collection::vec(any::<bool>(), n), n)).prop_map(
        |edges| {
            let n = edges.len();
            let defs = edges
                .iter()
                .enumerate()
                .map(|(i, row)| ScopeDef {
                    name: format!("s{i}"),
                    group: String::new(),
                    level: String::new(),
                    // Sparse graphs: keep roughly one edge in four.
                    implies: row
                        .iter()
                        .enumerate()
                        .filter(|(j, b)| **b && (i * 7 + j * 13) % 4 == 0 && *j < n)
                        .map(|(j, _)| format!("s{j}"))
                        .collect(),
                    grantable: true,
                })
                .collect();
            Catalog::new(defs).unwrap()
        },
    )
}

fn subset(catalog: &Catalog, mask: &[bool]) -> ScopeSet {
    let mut set = ScopeSet::EMPTY;
    let n = catalog.scopes().len();
    for (pos, _) in mask.iter().enumerate().filter(|(pos, b)| **b && *pos < n) {
        set.insert(pos);
    }
    set
}

fn arb_catalog_and_sets() -> impl Strategy<Value = (Catalog, ScopeSet, ScopeSet)> {
    (arb_catalog(), proptest::collection::vec(any::<bool>(), 48), proptest::collection::vec(any::<bool>(), 48))
        .prop_map(|(c, m1, m2)| {
            let a = subset(&c, &m1);
            let b = subset(&c, &m2);
            (c, a, b)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn scope_encoding_round_trips_in_the_default_catalogue(mask in proptest::collection::vec(any::<bool>(), 26)) {
        let c = bitbucket();
        let set = subset(&c, &mask);
        let encoded = c.encode(&set);
        prop_assert!(encoded.starts_with("v1."));
        prop_assert_eq!(c.decode(&encoded).unwrap(), set);
        prop_assert_eq!(c.parse_text(&c.to_text(&set)).unwrap(), set);
    }

    #[test]
    fn scope_encoding_round_trips_at_any_width(positions in proptest::collection::btree_set(0usize..256, 0..40)) {
        let defs: Vec<String> = (0..256).map(|i| format!(r#"{{"name": "s{i}"}}"#)).collect();
        let c = common::catalog(&format!("[{}]", defs.join(",")));
        let mut set = ScopeSet::EMPTY;
        for p in &positions {
            set.insert(*p);
        }
        let encoded = c.encode(&set);
        prop_assert!(encoded.len() <= 3 + 43);
        prop_assert_eq!(c.decode(&encoded).unwrap(), set);
        prop_assert_eq!(set.positions().collect::<Vec<_>>(), positions.into_iter().collect::<Vec<_>>());
    }

    #[test]
    fn closure_is_extensive_and_idempotent((c, a, _b) in arb_catalog_and_sets()) {
        let once = c.close(&a);
        prop_assert!(a.is_subset(&once));
        prop_assert_eq!(c.close(&once), once);
        // The closure is closed: every member's direct implications are members.
        for pos in once.positions() {
            for implied in &c.scopes()[pos].implies {
                prop_assert!(once.contains(c.position(implied).unwrap()));
            }
        }
    }

    #[test]
    fn closure_is_monotone((c, a, b) in arb_catalog_and_sets()) {
        // a ∩ b ⊆ b, a ⊆ a ∪ b: both must be preserved by closing.
        let meet = a.difference(&a.difference(&b));
        prop_assert!(meet.is_subset(&b));
        prop_assert!(c.close(&meet).is_subset(&c.close(&b)));
        let join = a.union(&b);
        prop_assert!(c.close(&a).is_subset(&c.close(&join)));
        // And the closure of a union is the union of closures.
        prop_assert_eq!(c.close(&join), c.close(&a).union(&c.close(&b)));
    }

    #[test]
    fn default_catalogue_closure_laws(m1 in proptest::collection::vec(any::<bool>(), 26), m2 in proptest::collection::vec(any::<bool>(), 26)) {
        let c = bitbucket();
        let (a, b) = (subset(&c, &m1), subset(&c, &m2));
        prop_assert_eq!(c.close(&c.close(&a)), c.close(&a));
        let meet = a.difference(&a.difference(&b));
        prop_assert!(c.close(&meet).is_subset(&c.close(&b)));
        prop_assert_eq!(c.satisfies(&a, &b), c.missing(&a, &b).is_empty());
        prop_assert!(c.satisfies(&a, &c.close(&a)));
    }

    #[test]
    fn normalize_ignores_order_and_duplicates(mask in proptest::collection::vec(any::<bool>(), 26), rot in 0usize..26) {
        let c = bitbucket();
        let mut names: Vec<String> = c.names(&subset(&c, &mask));
        let forward = c.normalize(names.iter().map(String::as_str)).unwrap();
        let len = names.len().max(1);
        names.rotate_left(rot % len);
        names.reverse();
        let doubled: Vec<String> = names.iter().chain(names.iter()).cloned().collect();
        prop_assert_eq!(c.normalize(doubled.iter().map(String::as_str)).unwrap(), forward);
    }
}

/// Printable ASCII, the characters a user could mistype.
const PRINTABLE: std::ops::RangeInclusive<u8> = 0x20..=0x7e;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// CRC-32 detects every burst error of at most 32 bits, so any single-byte change before
    /// the check digits is always caught, and a changed check digit changes the checked value.
    /// If parse ever accepted a substitution, the failure message shows whether an
    /// independent CRC agrees, i.e. whether it was a genuine CRC collision.
    #[test]
    fn every_single_character_substitution_is_rejected(seed in any::<u64>(), prefix in "[a-z][a-z0-9]{0,5}") {
        let prefix = Prefix::new(&prefix).unwrap();
        let pw = generate(&prefix, &mut SplitMix64::new(seed)).unwrap();
        let text = pw.expose();
        prop_assert!(parse(text, &prefix).is_ok());
        let mut bytes = text.as_bytes().to_vec();
        for i in 0..bytes.len() {
            let original = bytes[i];
            for c in PRINTABLE.filter(|c| *c != original) {
                bytes[i] = c;
                let mutated = std::str::from_utf8(&bytes).unwrap();
                if parse(mutated, &prefix).is_ok() {
                    let head = &mutated[..mutated.len() - 6];
                    let collision = check_digits(head) == mutated[mutated.len() - 6..];
                    prop_assert!(false, "accepted {mutated:?} (position {i}); independent CRC collision: {collision}");
                }
            }
            bytes[i] = original;
        }
    }

    #[test]
    fn every_adjacent_transposition_is_rejected(seed in any::<u64>()) {
        let prefix = Prefix::default();
        let pw = generate(&prefix, &mut SplitMix64::new(seed)).unwrap();
        let mut bytes = pw.expose().as_bytes().to_vec();
        for i in 0..bytes.len() - 1 {
            if bytes[i] == bytes[i + 1] {
                continue;
            }
            bytes.swap(i, i + 1);
            let swapped = std::str::from_utf8(&bytes).unwrap();
            prop_assert!(parse(swapped, &prefix).is_err(), "accepted {swapped:?}");
            bytes.swap(i, i + 1);
        }
    }

    #[test]
    fn generated_passwords_carry_the_independent_checksum(seed in any::<u64>(), prefix in "[a-z][a-z0-9]{0,15}") {
        let prefix = Prefix::new(&prefix).unwrap();
        let pw = generate(&prefix, &mut SplitMix64::new(seed)).unwrap();
        let text = pw.expose();
        prop_assert_eq!(text.len(), prefix.password_len());
        prop_assert_eq!(&text[text.len() - 6..], check_digits(&text[..text.len() - 6]));
        prop_assert!(looks_like_app_password(text));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn parse_never_panics(s in any::<String>(), near in "apw_[0-9A-Za-z_ü-]{40,60}") {
        let prefix = Prefix::default();
        for candidate in [s.as_str(), near.as_str()] {
            let result = parse(candidate, &prefix);
            if let Ok(p) = result {
                prop_assert_eq!(p.text(), candidate);
                prop_assert_eq!(p.id().len(), 12);
            }
            let _ = looks_like_app_password(candidate);
        }
    }

    #[test]
    fn scope_decode_never_panics(s in any::<String>(), tail in "[A-Za-z0-9_=+/.-]{0,70}") {
        let c = bitbucket();
        for candidate in [s.clone(), format!("v1.{tail}"), format!("v1.{s}")] {
            if let Ok(set) = c.decode(&candidate) {
                // Whatever decodes is canonical: it re-encodes to the same text.
                prop_assert_eq!(c.encode(&set), candidate);
            }
        }
    }

    #[test]
    fn phc_parse_never_panics(
        s in any::<String>(),
        alg in "argon2(id|i|d|x)?",
        v in "(v=1[69]\\$)?|v=[0-9]{0,12}\\$",
        params in "[mtp]=[0-9]{0,11}(,[mtp]=[0-9]{0,11}){0,3}(,(keyid|data)=[A-Za-z0-9+/=]{0,20})?",
        salt in "[A-Za-z0-9+/=]{0,100}",
        hash in "[A-Za-z0-9+/=$]{0,100}",
    ) {
        let _ = PhcHash::parse(&s);
        let structured = format!("${alg}${v}{params}${salt}${hash}");
        if let Ok(parsed) = PhcHash::parse(&structured) {
            // Anything accepted is within bounds and survives a write/read cycle.
            prop_assert!(parsed.params().validate().is_ok());
            prop_assert_eq!(PhcHash::parse(&parsed.to_phc()).unwrap(), parsed);
        }
    }

    #[test]
    fn parse_basic_never_panics(s in any::<String>(), raw in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = parse_basic(Some(&s));
        let header = format!("Basic {}", Base64::encode_string(&raw));
        match parse_basic(Some(&header)) {
            Ok(creds) => {
                prop_assert!(!creds.username.contains(':'));
                let joined = format!("{}:{}", creds.username, creds.password.as_str());
                prop_assert_eq!(joined.as_bytes(), raw.as_slice());
            }
            Err(e) => prop_assert!(matches!(e, BasicAuthError::BadUtf8 | BasicAuthError::NoColon | BasicAuthError::NotBasic)),
        }
    }

    #[test]
    fn basic_header_round_trips(user in "[^:\\x00-\\x1f]{0,40}", password in any::<String>()) {
        prop_assume!(password.len() < 600);
        let creds = parse_basic(Some(&basic_header(&user, &password))).unwrap();
        prop_assert_eq!(creds.username, user);
        prop_assert_eq!(creds.password.as_str(), password.as_str());
    }

    #[test]
    fn record_from_json_never_panics(s in any::<String>(), id in "[0-9A-Za-z]{12}") {
        let _ = Record::from_json(&s, &id);
        let _ = app_passwords::IndexEntry::from_json(&s);
    }
}
