//! `Catalog::bitbucket().decode` on arbitrary text: what it accepts is canonical
//! (`encode(decode(s)) == s`), inside the catalogue, and survives the text form. The raw
//! bytes, read as a bitset over the catalogue, also survive encode then decode.
#![no_main]

use std::sync::OnceLock;

use app_passwords::{Catalog, ScopeSet};
use libfuzzer_sys::fuzz_target;

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| match Catalog::bitbucket() {
        Ok(c) => c,
        Err(e) => panic!("embedded catalogue: {e}"),
    })
}

fuzz_target!(|data: &[u8]| {
    let cat = catalog();
    let n = cat.scopes().len();

    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(set) = cat.decode(text)
    {
        assert_eq!(cat.encode(&set), text, "accepted a non-canonical encoding");
        assert!(set.positions().all(|p| p < n));
        let via_text = cat.parse_text(&cat.to_text(&set));
        assert_eq!(via_text.ok(), Some(set));
        let closed = cat.close(&set);
        assert!(set.is_subset(&closed));
        assert_eq!(cat.close(&closed), closed, "closure not idempotent");
    }

    // Encoder side: any set of catalogue positions round-trips.
    let mut set = ScopeSet::EMPTY;
    for (i, byte) in data.iter().enumerate().take(64) {
        for bit in 0..8 {
            let pos = i * 8 + bit;
            if byte & (1 << bit) != 0 && pos < n {
                set.insert(pos);
            }
        }
    }
    let encoded = cat.encode(&set);
    match cat.decode(&encoded) {
        Ok(back) => assert_eq!(back, set),
        Err(e) => panic!("decode(encode(set)) = {encoded:?} failed: {e}"),
    }
});
