//! `Record::from_json` (under a fixed id) and `IndexEntry::from_json` on arbitrary text:
//! never panic, and what they accept survives `to_json` then `from_json` unchanged, with
//! `to_json` a fixed point.
#![no_main]

use app_passwords::{IndexEntry, Record};
use libfuzzer_sys::fuzz_target;

/// The id the seed records are stored under (tests/vectors/records.json's first record).
const ID: &str = "NTcnXC2NduDP";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };

    if let Ok(record) = Record::from_json(text, ID) {
        assert_eq!(record.id, ID);
        let json = match record.to_json() {
            Ok(j) => j,
            Err(e) => panic!("to_json: {e}"),
        };
        match Record::from_json(&json, ID) {
            Ok(back) => {
                assert_eq!(back, record, "record changed through {json:?}");
                assert_eq!(back.to_json().ok().as_deref(), Some(json.as_str()));
            }
            Err(e) => panic!("own JSON {json:?} refused: {e}"),
        }
        // Any other id is refused.
        assert!(Record::from_json(text, "AAAAAAAAAAAA").is_err());
    }

    if let Ok(entry) = IndexEntry::from_json(text) {
        let json = entry.to_json();
        match IndexEntry::from_json(&json) {
            Ok(back) => {
                assert_eq!(back, entry);
                assert_eq!(back.to_json(), json);
            }
            Err(e) => panic!("own JSON {json:?} refused: {e}"),
        }
    }
});
