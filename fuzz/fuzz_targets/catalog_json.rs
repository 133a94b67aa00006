//! `Catalog::from_json` on arbitrary text: never panics, and a catalogue it accepts keeps its
//! invariants (bounded size, closures contain themselves and are closed, grantable scopes
//! imply only grantable ones, encode/decode round-trips).
#![no_main]

use app_passwords::Catalog;
use app_passwords::scope::MAX_SCOPES;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(cat) = Catalog::from_json(text) else {
        return;
    };

    let scopes = cat.scopes();
    assert!(!scopes.is_empty() && scopes.len() <= MAX_SCOPES);
    let grantable = cat.grantable();
    for (i, scope) in scopes.iter().enumerate() {
        assert_eq!(cat.position(&scope.name), Some(i), "duplicate or lost name");
        assert!(scope.closure.contains(i));
        assert_eq!(cat.close(&scope.closure), scope.closure, "closure of {} not closed", scope.name);
        for implied in &scope.implies {
            let pos = cat.position(implied);
            assert!(pos.is_some_and(|p| scope.closure.contains(p)));
        }
        if scope.grantable {
            assert!(scope.closure.is_subset(&grantable));
        }
    }
    let everything = cat.close(&grantable);
    let encoded = cat.encode(&everything);
    assert_eq!(cat.decode(&encoded).ok(), Some(everything));
    let names = cat.names(&everything);
    assert_eq!(cat.parse_names(names.iter().map(String::as_str)).ok(), Some(everything));
});
