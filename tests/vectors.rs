#![cfg(not(target_arch = "wasm32"))]
// Test helpers outside #[test] functions are test code too (see .clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! Reads tests/vectors/*.json and checks that the crate reproduces every vector.
//!
//! The files are written by tests/vectors/generate.py from sources independent of this crate
//! (Python zlib.crc32, a Python SplitMix64, the catalogue file, libargon2 through argon2-cffi,
//! RFC 9106, the Argon2 reference implementation); each says so in its "source" field. The
//! JavaScript suites read the same files.

mod common;

use std::sync::Arc;

use app_passwords::record::{index_key, record_key, tombstone_key, user_prefix};
use app_passwords::{
    AppPasswords, Catalog, Caveats, Hasher, IndexEntry, MemoryStore, PhcHash, Prefix, Purpose, Record, Store,
    VerifyRequest, VerifyResult, generate, looks_like_app_password, parse, verify_password_hash,
};
use common::{SplitMix64, block_on, check_digits, crc32, hex, light_config, load_vectors, params, s, strs};
use serde_json::Value;

fn seed(v: &Value) -> u64 {
    u64::from_str_radix(s(v).trim_start_matches("0x"), 16).unwrap()
}

#[test]
fn password_vectors_are_reproduced() {
    let doc = load_vectors("passwords.json");
    assert_eq!(s(&doc["alphabet"]), common::ALPHABET);
    assert_eq!(
        SplitMix64::new(0).next_u64(),
        u64::from_str_radix(s(&doc["random_source"]["first_output_seed_0"]).trim_start_matches("0x"), 16).unwrap()
    );
    let valid = doc["valid"].as_array().unwrap();
    assert!(valid.len() >= 5);
    for v in valid {
        let prefix = Prefix::new(s(&v["prefix"])).unwrap();
        let text = s(&v["password"]);
        let generated = generate(&prefix, &mut SplitMix64::new(seed(&v["seed_hex"]))).unwrap();
        assert_eq!(generated.expose(), text, "seed {}", v["seed_hex"]);
        assert_eq!(generated.id(), s(&v["id"]));
        let parsed = parse(text, &prefix).unwrap();
        assert_eq!(parsed.id(), s(&v["id"]));
        assert!(looks_like_app_password(text));
        let head_len = text.len() - 6;
        assert_eq!(&text[prefix.as_str().len() + 13..head_len], s(&v["secret"]));
        assert_eq!(&text[head_len..], s(&v["check"]));
        // The vector's CRC (from zlib) agrees with ours and with the check digits.
        let crc = v["crc32"].as_u64().unwrap();
        assert_eq!(u64::from(crc32(&text.as_bytes()[..head_len])), crc);
        assert_eq!(format!("{crc:08x}"), s(&v["crc32_hex"]));
        assert_eq!(common::base62_value(s(&v["check"])), crc);
        assert_eq!(check_digits(&text[..head_len]), s(&v["check"]));
    }
}

#[test]
fn malformed_password_vectors_are_rejected_for_the_stated_reason() {
    let doc = load_vectors("passwords.json");
    let malformed = doc["malformed"].as_array().unwrap();
    let mut reasons = std::collections::BTreeSet::new();
    for v in malformed {
        let text = s(&v["password"]);
        let prefix = Prefix::new(s(&v["prefix"])).unwrap();
        let err = parse(text, &prefix).unwrap_err();
        assert_eq!(err.reason(), s(&v["reason"]), "{}: {text:?}", v["why"]);
        assert_eq!(looks_like_app_password(text), v["looks_like"].as_bool().unwrap(), "{}", v["why"]);
        reasons.insert(err.reason());
    }
    assert_eq!(
        reasons.into_iter().collect::<Vec<_>>(),
        ["bad_alphabet", "bad_checksum", "wrong_length", "wrong_prefix"]
    );
}

#[test]
fn scope_vectors_are_reproduced() {
    let doc = load_vectors("scopes.json");
    let catalog = Catalog::bitbucket().unwrap();
    assert_eq!(catalog.scopes().len() as u64, doc["catalog_size"].as_u64().unwrap());
    for v in doc["sets"].as_array().unwrap() {
        let names = strs(&v["names"]);
        let chosen = catalog.parse_names(names.iter().copied()).unwrap();
        let closed = catalog.close(&chosen);
        assert_eq!(catalog.to_text(&closed), s(&v["closure"]), "{names:?}");
        assert_eq!(catalog.normalize(names.iter().copied()).unwrap().join(" "), s(&v["closure"]));
        let positions: Vec<u64> = v["positions"].as_array().unwrap().iter().map(|p| p.as_u64().unwrap()).collect();
        assert_eq!(closed.positions().map(|p| p as u64).collect::<Vec<_>>(), positions);
        assert_eq!(catalog.encode(&closed), s(&v["encoded"]), "{names:?}");
        assert_eq!(catalog.decode(s(&v["encoded"])).unwrap(), closed);
        assert_eq!(catalog.encode(&chosen), s(&v["encoded_unclosed"]));
        assert_eq!(catalog.parse_text(s(&v["closure"])).unwrap(), closed);
        assert_eq!(chosen.is_subset(&catalog.grantable()), v["grantable"].as_bool().unwrap(), "{names:?}");
    }
    assert_eq!(catalog.encode(&app_passwords::ScopeSet::EMPTY), s(&doc["empty_set"]["encoded"]));
}

#[test]
fn invalid_scope_encodings_are_rejected() {
    let doc = load_vectors("scopes.json");
    let catalog = Catalog::bitbucket().unwrap();
    for v in doc["invalid_encodings"].as_array().unwrap() {
        let err = catalog.decode(s(&v["encoded"])).unwrap_err();
        assert_eq!(err.code(), s(&v["error"]), "{}: {:?}", v["why"], v["encoded"]);
    }
    for v in doc["unknown_names"].as_array().unwrap() {
        let err = catalog.parse_names(strs(&v["names"])).unwrap_err();
        assert_eq!(err.code(), s(&v["error"]));
    }
}

fn password_bytes(v: &Value) -> Vec<u8> {
    match v.get("password_hex") {
        Some(h) => hex(s(h)),
        None => s(&v["password"]).as_bytes().to_vec(),
    }
}

#[test]
fn phc_vectors_verify_as_expected() {
    let doc = load_vectors("phc.json");
    let vectors = doc["vectors"].as_array().unwrap();
    assert!(vectors.iter().any(|v| s(&v["source"]).contains("RFC 9106 section 5.3")));
    for v in vectors {
        let phc_text = s(&v["phc"]);
        let phc = PhcHash::parse(phc_text).unwrap_or_else(|e| panic!("{phc_text}: {e}"));
        let pepper = v.get("pepper_hex").map(|p| hex(s(p)));
        let hasher = Hasher::new(pepper.as_deref()).unwrap();
        let expect = v["expect"].as_bool().unwrap();
        assert_eq!(hasher.verify(&password_bytes(v), &phc), expect, "{}: {phc_text}", v["source"]);
        if let (None, Some(pw)) = (&pepper, v.get("password")) {
            assert_eq!(verify_password_hash(s(pw), phc_text), Ok(expect), "{}", v["source"]);
        }
    }
}

#[test]
fn invalid_phc_vectors_are_rejected() {
    let doc = load_vectors("phc.json");
    for v in doc["invalid"].as_array().unwrap() {
        let phc = s(&v["phc"]);
        assert_eq!(PhcHash::parse(phc).unwrap_err().code(), s(&v["error"]), "{}", v["why"]);
        assert_eq!(verify_password_hash("password", phc).unwrap_err().code(), "invalid_hash");
    }
}

fn record_from_expect(e: &Value) -> Record {
    Record {
        v: u32::try_from(e["v"].as_u64().unwrap()).unwrap(),
        id: s(&e["id"]).into(),
        user: s(&e["user"]).into(),
        label: s(&e["label"]).into(),
        scopes: s(&e["scopes"]).into(),
        hash: s(&e["hash"]).into(),
        created_at: e["createdAt"].as_u64().unwrap(),
        expires_at: e["expiresAt"].as_u64(),
        caveats: Caveats::default(),
        replaces: e["replaces"].as_str().map(str::to_owned),
        canary: e["canary"].as_bool().unwrap_or(false),
    }
}

#[test]
fn record_vectors_parse_and_serialize() {
    let doc = load_vectors("records.json");
    for v in doc["valid"].as_array().unwrap() {
        let json = s(&v["json"]);
        let record = Record::from_json(json, s(&v["id"])).unwrap_or_else(|e| panic!("{}: {e}", v["why"]));
        assert_eq!(record, record_from_expect(&v["expect"]), "{}", v["why"]);
        if v["canonical"].as_bool().unwrap() {
            assert_eq!(record.to_json().unwrap(), json, "{}", v["why"]);
        }
    }
    for v in doc["invalid"].as_array().unwrap() {
        let err = Record::from_json(s(&v["json"]), s(&v["id"])).unwrap_err();
        assert_eq!(err.code(), s(&v["error"]), "{}", v["why"]);
    }
}

#[test]
fn index_entry_and_key_vectors() {
    let doc = load_vectors("records.json");
    for v in doc["index_entries"]["valid"].as_array().unwrap() {
        let entry = IndexEntry::from_json(s(&v["json"])).unwrap();
        assert_eq!(entry.last_used_at, v["lastUsedAt"].as_u64());
        assert_eq!(IndexEntry::from_json(&entry.to_json()).unwrap(), entry);
    }
    for v in doc["index_entries"]["invalid"].as_array().unwrap() {
        assert_eq!(IndexEntry::from_json(s(&v["json"])).unwrap_err().code(), s(&v["error"]), "{}", v["json"]);
    }
    for k in doc["keys"].as_array().unwrap() {
        let id = s(&k["id"]);
        match s(&k["kind"]) {
            "record" => assert_eq!(record_key(id), s(&k["key"])),
            "tombstone" => assert_eq!(tombstone_key(id), s(&k["key"])),
            "index" => {
                assert_eq!(index_key(s(&k["user"]), id), s(&k["key"]));
                assert_eq!(user_prefix(s(&k["user"])), s(&k["user_prefix"]));
            }
            other => panic!("unknown key kind {other}"),
        }
    }
}

type VectorSvc = AppPasswords<common::Shared, common::TestClock, SplitMix64>;

fn service_for(v: &Value, store: &Arc<MemoryStore>, now: &Arc<std::sync::atomic::AtomicU64>) -> VectorSvc {
    let mut config = light_config();
    config.hashing = params(&v["config"]["hashing"]);
    config.pepper = v["config"].get("pepper_hex").map(|p| hex(s(p)));
    AppPasswords::with_parts(common::Shared(Arc::clone(store)), config, common::clock(now), SplitMix64::new(3)).unwrap()
}

fn store_record(store: &MemoryStore, json: &str) -> Record {
    let value: Value = serde_json::from_str(json).unwrap();
    let (id, user) = (s(&value["id"]), s(&value["user"]));
    block_on(store.put(&record_key(id), json)).unwrap();
    block_on(store.put(&index_key(user, id), "{\"v\":1,\"lastUsedAt\":null}")).unwrap();
    Record::from_json(json, id).unwrap()
}

#[test]
fn verifiable_record_vectors_give_the_expected_answers() {
    let doc = load_vectors("records.json");
    for v in doc["verifiable"].as_array().unwrap() {
        let store = Arc::new(MemoryStore::new());
        let now = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let svc = service_for(v, &store, &now);
        let original = store_record(&store, s(&v["record"]));
        for check in v["checks"].as_array().unwrap() {
            now.store(check["now"].as_u64().unwrap(), std::sync::atomic::Ordering::SeqCst);
            let require = strs(&check["require"]);
            let purpose = match s(&check["purpose"]) {
                "api" => Purpose::Api,
                "login" => Purpose::Login,
                other => panic!("purpose {other}"),
            };
            let request = VerifyRequest {
                purpose,
                ..VerifyRequest::password(s(&check["username"]), s(&check["password"]), &require)
            };
            let result = block_on(svc.verify(request)).unwrap();
            let e = &check["expect"];
            let ctx = format!("{}: {check}", v["why"]);
            match (result, e["ok"].as_bool().unwrap()) {
                (VerifyResult::Granted(g), true) => {
                    assert_eq!(g.user, s(&e["user"]), "{ctx}");
                    assert_eq!(g.id, s(&e["id"]), "{ctx}");
                    assert_eq!(g.label, s(&e["label"]), "{ctx}");
                    assert_eq!(g.scopes, strs(&e["scopes"]), "{ctx}");
                }
                (VerifyResult::Refused(r), false) => {
                    assert_eq!(u64::from(r.status()), e["status"].as_u64().unwrap(), "{ctx}");
                    assert_eq!(r.code.as_str(), s(&e["code"]), "{ctx}");
                    assert_eq!(r.reason.as_str(), s(&e["reason"]), "{ctx}");
                    let missing = e.get("missing").map(strs).unwrap_or_default();
                    assert_eq!(r.missing, missing, "{ctx}");
                }
                (other, _) => panic!("{ctx}: got {other:?}"),
            }
        }
        let after =
            Record::from_json(&block_on(store.get(&record_key(&original.id))).unwrap().unwrap(), &original.id).unwrap();
        if v["upgrades"].as_bool().unwrap() {
            let p = params(&v["config"]["hashing"]);
            let prefix = format!("$argon2id$v=19$m={},t={},p={}$", p.memory_kib, p.iterations, p.parallelism);
            assert!(after.hash.starts_with(&prefix), "{}: {}", v["why"], after.hash);
            assert_eq!(Record { hash: original.hash.clone(), ..after }, original);
        } else {
            assert_eq!(after, original, "{}", v["why"]);
        }
    }
}

#[test]
fn records_corrupt_at_use_fail_closed() {
    let doc = load_vectors("records.json");
    for v in doc["corrupt_at_use"].as_array().unwrap() {
        let store = Arc::new(MemoryStore::new());
        let now = Arc::new(std::sync::atomic::AtomicU64::new(common::T0));
        let svc = service_for(v, &store, &now);
        block_on(store.put(&record_key(s(&v["id"])), s(&v["json"]))).unwrap();
        let result = block_on(svc.verify(common::api(s(&v["user"]), s(&v["password"]), &[])));
        match result {
            Err(e) => assert_eq!(e.code(), s(&v["error"]), "{}", v["why"]),
            Ok(r) => panic!("{}: {r:?}", v["why"]),
        }
    }
}

#[test]
fn every_vector_file_is_plain_self_describing_json() {
    let dir = common::vector_path("");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    assert_eq!(names, ["passwords.json", "phc.json", "records.json", "scopes.json"]);
    for name in names {
        let doc = load_vectors(&name);
        assert!(doc.is_object(), "{name}");
    }
    assert!(dir.join("generate.py").exists(), "the generator is kept next to its output");
}
