//! `PhcHash::parse` on arbitrary text: never panics, refuses parameters beyond the bounds
//! (so no huge allocation can follow), round-trips through `to_phc`, and a parsed hash with
//! small parameters (m <= 256 KiB, t <= 2) verifies without panicking, with the same answer
//! from a fresh `Hasher` and from one whose scratch memory is reused.
//! Run with -rss_limit_mb=2048 -max_len=1024 (scripts/fuzz.sh does).
#![no_main]

use std::sync::OnceLock;

use app_passwords::hash::{MAX_ITERATIONS, MAX_MEMORY_KIB, MAX_PARALLELISM, MAX_PHC_LEN};
use app_passwords::{Hasher, PhcHash, verify_password_hash};
use libfuzzer_sys::fuzz_target;

fn shared() -> &'static Hasher {
    static HASHER: OnceLock<Hasher> = OnceLock::new();
    HASHER.get_or_init(Hasher::default)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(phc) = PhcHash::parse(text) else {
        return;
    };

    assert!(text.len() <= MAX_PHC_LEN);
    let params = phc.params();
    assert!(params.validate().is_ok());
    assert!(params.memory_kib <= MAX_MEMORY_KIB, "m above the bound was accepted");
    assert!(params.iterations <= MAX_ITERATIONS && params.parallelism <= MAX_PARALLELISM);

    let canonical = phc.to_phc();
    // to_phc adds "v=16" when the input had no version: skip strings pushed past the limit.
    if canonical.len() <= MAX_PHC_LEN {
        match PhcHash::parse(&canonical) {
            Ok(back) => {
                assert_eq!(back, phc, "to_phc changed the hash: {canonical}");
                assert_eq!(back.to_phc(), canonical);
            }
            Err(e) => panic!("to_phc output {canonical:?} refused: {e}"),
        }
    }

    if params.memory_kib <= 256 && params.iterations <= 2 {
        let fresh = Hasher::default().verify(b"password", &phc);
        let reused = shared().verify(b"password", &phc);
        assert_eq!(fresh, reused, "reused scratch memory changed the result");
        let via_str = verify_password_hash("password", text);
        assert_eq!(via_str.ok(), Some(fresh));
    }
});
