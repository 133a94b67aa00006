//! `password::parse` with the default prefix and `looks_like_app_password` on arbitrary text,
//! checked against an independent re-implementation of docs/design.md#the-password (prefix, length,
//! alphabet, checksum, in that order).
#![no_main]

use app_passwords::password::{self, ALPHABET, BODY_LEN, CHECK_LEN, ID_LEN};
use app_passwords::{Malformed, Prefix, looks_like_app_password, parse};
use libfuzzer_sys::fuzz_target;

/// Bitwise CRC-32/IEEE (zlib), deliberately not the crate's table-driven one.
fn crc32_reference(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// The verdict of docs/design.md#the-password for `candidate` with prefix `prefix`.
fn reference(candidate: &str, prefix: &str) -> Result<(), Malformed> {
    let Some(body) = candidate.strip_prefix(prefix).and_then(|r| r.strip_prefix('_')) else {
        return Err(Malformed::WrongPrefix);
    };
    if body.len() != BODY_LEN {
        return Err(Malformed::WrongLength);
    }
    if !body.bytes().all(|b| ALPHABET.contains(&b)) {
        return Err(Malformed::BadAlphabet);
    }
    let (head, check) = candidate.split_at(candidate.len() - CHECK_LEN);
    let mut value = crc32_reference(head.as_bytes());
    let mut digits = [0u8; CHECK_LEN];
    for d in digits.iter_mut().rev() {
        *d = ALPHABET[(value % 62) as usize];
        value /= 62;
    }
    if digits != check.as_bytes() {
        return Err(Malformed::BadChecksum);
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let prefix = Prefix::default();
    let parsed = parse(text, &prefix);
    let looks = looks_like_app_password(text);

    assert_eq!(parsed.map(|_| ()), reference(text, password::DEFAULT_PREFIX));
    if let Ok(p) = parsed {
        assert!(looks, "parse accepted what looks_like_app_password rejects");
        assert_eq!(p.text(), text);
        assert_eq!(p.id().len(), ID_LEN);
        assert!(p.id().bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(text.len(), prefix.password_len());
        assert_eq!(&text[prefix.as_str().len() + 1..][..ID_LEN], p.id());
    }

    // Any valid prefix: looks_like_app_password is "parse with the prefix before the first _".
    let other = text
        .split_once('_')
        .and_then(|(p, _)| Prefix::new(p).ok())
        .map(|p| {
            let verdict = parse(text, &p);
            assert_eq!(verdict.map(|_| ()), reference(text, p.as_str()));
            if let Ok(parsed) = verdict {
                assert_eq!(parsed.id().len(), ID_LEN);
                assert!(parsed.id().bytes().all(|b| b.is_ascii_alphanumeric()));
            }
            verdict.is_ok()
        })
        .unwrap_or(false);
    assert_eq!(looks, other);
});
