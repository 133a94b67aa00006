#![cfg(not(target_arch = "wasm32"))]
// Test helpers outside #[test] functions are test code too (see .clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! The password format (docs/design.md#the-password): generation, prefix rules, parsing order, checksum,
//! and the rejection sampling behind "uniform over the alphabet".

mod common;

use app_passwords::password::{self, BODY_LEN, fill_base62};
use app_passwords::{Error, Malformed, OsRandom, Prefix, generate, looks_like_app_password, parse};
use common::{ALPHABET, ConstRandom, FailingRandom, Replay, SplitMix64, check_digits, crc32};

fn apw() -> Prefix {
    Prefix::default()
}

#[test]
fn crc32_helper_matches_the_standard_check_value() {
    // The CRC-32/ISO-HDLC "check" value of the catalogue of parametrised CRCs, and zlib's
    // crc32(b"The quick brown fox jumps over the lazy dog").
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    assert_eq!(crc32(b"The quick brown fox jumps over the lazy dog"), 0x414F_A339);
    assert_eq!(crc32(b""), 0);
}

#[test]
fn splitmix64_helper_matches_its_published_first_output() {
    assert_eq!(SplitMix64::new(0).next_u64(), 0xE220_A839_7B1D_CDAF);
}

#[test]
fn generated_passwords_have_the_spec_shape() {
    let mut seen_ids = std::collections::HashSet::new();
    for _ in 0..200 {
        let pw = generate(&apw(), &mut OsRandom).unwrap();
        let text = pw.expose();
        assert_eq!(text.len(), 54, "default length is 54");
        assert!(text.starts_with("apw_"));
        let body = &text[4..];
        assert_eq!(body.len(), 50);
        assert!(body.bytes().all(|b| ALPHABET.as_bytes().contains(&b)), "{text}");
        assert_eq!(pw.id(), &text[4..16]);
        // The check digits are CRC-32 (computed here independently) of everything before.
        assert_eq!(&text[48..], check_digits(&text[..48]));
        assert!(parse(text, &apw()).is_ok());
        assert!(looks_like_app_password(text));
        assert!(seen_ids.insert(pw.id().to_owned()), "ids repeat");
    }
}

#[test]
fn an_independently_built_password_parses() {
    // Built by hand from the spec: prefix, 12-char id, 32-char secret, CRC-32 in base62.
    for prefix in ["apw", "z", "zz9", "abcdefghijklmnop"] {
        let head = format!("{prefix}_idIDid012345SECRETsecret0123456789abcdefABCD");
        assert_eq!(head.len(), prefix.len() + 1 + 44);
        let text = format!("{head}{}", check_digits(&head));
        let parsed = parse(&text, &Prefix::new(prefix).unwrap()).unwrap();
        assert_eq!(parsed.id(), "idIDid012345");
        assert_eq!(parsed.text(), text);
        assert!(looks_like_app_password(&text));
    }
}

#[test]
fn check_digits_are_padded_base62_of_the_crc() {
    // Find heads whose CRC is small enough to need left padding, to pin the padding rule.
    let mut found_padded = false;
    for n in 0..20_000u32 {
        let head = format!("apw_{n:0>12}SECRETSECRETSECRETSECRETSECRETSE");
        let crc = crc32(head.as_bytes());
        let check = check_digits(&head);
        assert_eq!(common::base62_value(&check), u64::from(crc));
        if check.starts_with('0') {
            found_padded = true;
            let text = format!("{head}{check}");
            assert!(parse(&text, &apw()).is_ok(), "{text}");
        }
    }
    // 62^6 / 2^32 ≈ 13: one CRC in 13 needs a leading 0.
    assert!(found_padded);
}

#[test]
fn seeded_generation_is_deterministic_and_seed_sensitive() {
    let a = generate(&apw(), &mut SplitMix64::new(5)).unwrap();
    let b = generate(&apw(), &mut SplitMix64::new(5)).unwrap();
    let c = generate(&apw(), &mut SplitMix64::new(6)).unwrap();
    assert_eq!(a.expose(), b.expose());
    assert_ne!(a.expose(), c.expose());
    assert_ne!(a.id(), c.id());
}

#[test]
fn rejection_sampling_skips_bytes_from_248() {
    // 248..=255 would bias byte % 62 towards 0..=7; they must be skipped, not folded.
    let mut bytes = vec![248, 249, 250, 251, 252, 253, 254, 255, 0, 9, 10, 35, 36, 61, 72, 247];
    bytes.resize(64, 255);
    let mut out = [0u8; 8];
    fill_base62(&mut Replay { bytes, pos: 0 }, &mut out).unwrap();
    assert_eq!(&out, b"09AZazAz");
}

#[test]
fn every_accepted_byte_value_maps_to_each_character_equally_often() {
    // Feed every byte 0..=255 in turn: the 248 accepted values must hit each of the 62
    // characters exactly 4 times per cycle (no modulo bias).
    let mut out = vec![0u8; 248 * 10];
    fill_base62(&mut Replay { bytes: (0..=255).collect(), pos: 0 }, &mut out).unwrap();
    for c in ALPHABET.bytes() {
        assert_eq!(out.iter().filter(|&&b| b == c).count(), 40, "char {}", char::from(c));
    }
}

#[test]
fn os_random_characters_look_uniform() {
    // A loose chi-square check over 62 categories (df = 61): mean 61, sd ~11. A modulo bias
    // of 256 % 62 would add ~ (8/256 of mass) and push it far above 200 at this sample size.
    let mut counts = [0u64; 62];
    let mut buf = vec![0u8; 62 * 2000];
    fill_base62(&mut OsRandom, &mut buf).unwrap();
    for b in &buf {
        counts[ALPHABET.bytes().position(|a| a == *b).unwrap()] += 1;
    }
    let expected = 2000.0f64;
    let chi2: f64 = counts.iter().map(|&c| (c as f64 - expected).powi(2) / expected).sum();
    assert!(chi2 < 140.0, "chi-square {chi2}");
}

#[test]
fn a_failing_random_source_is_an_error() {
    let err = generate(&apw(), &mut FailingRandom { ok_calls: 0, inner: SplitMix64::new(1) }).unwrap_err();
    assert_eq!(err, Error::RandomUnavailable);
    assert_eq!(err.code(), "random_unavailable");
}

#[test]
fn a_constant_random_source_gives_a_constant_but_valid_password() {
    let pw = generate(&apw(), &mut ConstRandom(3)).unwrap();
    assert_eq!(&pw.expose()[4..48], "3".repeat(44));
    assert!(parse(pw.expose(), &apw()).is_ok());
}

#[test]
fn prefix_rules() {
    for ok in ["a", "apw", "a1", "z9z9", "abcdefghijklmnop", "k8s"] {
        let p = Prefix::new(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        assert_eq!(p.as_str(), ok);
        assert_eq!(p.password_len(), ok.len() + 1 + 50);
    }
    for bad in ["", "A", "Apw", "1a", "apw_", "a-b", "ap w", "abcdefghijklmnopq", "é", "apé", "_"] {
        let err = Prefix::new(bad).unwrap_err();
        assert_eq!(err, Error::InvalidPrefix, "{bad:?}");
        assert_eq!(err.code(), "invalid_prefix");
    }
    assert_eq!(Prefix::default().as_str(), "apw");
    assert_eq!(BODY_LEN, 50);
}

#[test]
fn custom_prefix_passwords_parse_only_with_their_prefix() {
    let acme = Prefix::new("acme").unwrap();
    let pw = generate(&acme, &mut SplitMix64::new(11)).unwrap();
    assert_eq!(pw.expose().len(), 55);
    assert!(pw.expose().starts_with("acme_"));
    assert!(parse(pw.expose(), &acme).is_ok());
    assert_eq!(parse(pw.expose(), &apw()).unwrap_err(), Malformed::WrongPrefix);
    assert_eq!(parse(pw.expose(), &Prefix::new("acm").unwrap()).unwrap_err(), Malformed::WrongPrefix);
    assert!(looks_like_app_password(pw.expose()));
}

#[test]
fn parse_checks_prefix_then_length_then_alphabet_then_checksum() {
    let pw = generate(&apw(), &mut SplitMix64::new(12)).unwrap();
    let text = pw.expose();
    // Wrong prefix and wrong length: prefix first.
    assert_eq!(parse(&format!("xyz_{}", &text[5..]), &apw()).unwrap_err(), Malformed::WrongPrefix);
    // Wrong length and a bad character: length first.
    assert_eq!(parse(&format!("{}-", &text[..50]), &apw()).unwrap_err(), Malformed::WrongLength);
    // Bad character (which also breaks the checksum): alphabet first.
    let bad = format!("{}*{}", &text[..20], &text[21..]);
    assert_eq!(parse(&bad, &apw()).unwrap_err(), Malformed::BadAlphabet);
    // Only the checksum wrong.
    let last = if text.ends_with('0') { '1' } else { '0' };
    let bad = format!("{}{last}", &text[..53]);
    assert_eq!(parse(&bad, &apw()).unwrap_err(), Malformed::BadChecksum);
}

#[test]
fn parse_rejects_non_ascii_without_panicking() {
    let pw = generate(&apw(), &mut SplitMix64::new(13)).unwrap();
    let text = pw.expose();
    // Same byte length, a multi-byte character in the middle.
    let odd = format!("{}ü{}", &text[..20], &text[22..]);
    assert_eq!(odd.len(), 54);
    assert_eq!(parse(&odd, &apw()).unwrap_err(), Malformed::BadAlphabet);
    // A multi-byte character where the check digits start.
    let odd = format!("{}ü{}", &text[..47], &text[49..]);
    assert_eq!(parse(&odd, &apw()).unwrap_err(), Malformed::BadAlphabet);
    assert!(!looks_like_app_password(&odd));
    assert!(!looks_like_app_password("ü_ü"));
}

#[test]
fn looks_like_rejects_near_misses() {
    let head = "abcdefghijklmnopq_idIDid012345SECRETsecret0123456789abcdefABCD";
    let too_long_prefix = format!("{head}{}", check_digits(head));
    assert!(!looks_like_app_password(&too_long_prefix), "17-char prefix");
    let head = "Apw_idIDid012345SECRETsecret0123456789abcdefABCD";
    assert!(!looks_like_app_password(&format!("{head}{}", check_digits(head))), "upper-case prefix");
    for s in ["", "_", "apw_", "apw", "apw__", "password123", "ghp_16C7e42F292c6912E7710c838347Ae178B4a"] {
        assert!(!looks_like_app_password(s), "{s:?}");
    }
}

#[test]
fn debug_output_hides_the_secret() {
    let pw = generate(&apw(), &mut SplitMix64::new(14)).unwrap();
    let text = pw.expose().to_owned();
    let secret = &text[16..48];
    for shown in [format!("{pw:?}"), format!("{pw:#?}"), format!("{:?}", parse(&text, &apw()).unwrap())] {
        assert!(shown.contains(pw.id()), "{shown}");
        assert!(!shown.contains(secret), "{shown}");
        assert!(!shown.contains(&text), "{shown}");
    }
}

#[test]
fn malformed_reason_strings_are_stable() {
    assert_eq!(Malformed::WrongPrefix.reason(), "wrong_prefix");
    assert_eq!(Malformed::WrongLength.reason(), "wrong_length");
    assert_eq!(Malformed::BadAlphabet.reason(), "bad_alphabet");
    assert_eq!(Malformed::BadChecksum.reason(), "bad_checksum");
    assert_eq!(password::ID_LEN + password::SECRET_LEN + password::CHECK_LEN, 50);
}

#[test]
fn pooled_os_random_fills_any_length_without_repeating_itself() {
    use app_passwords::{PooledOsRandom, RandomSource};
    let mut rng = PooledOsRandom::new();
    let mut seen = std::collections::HashSet::new();
    // Lengths that straddle the 256-byte pool in every way.
    for len in [1usize, 31, 32, 255, 256, 257, 600, 32, 32, 32] {
        let mut buf = vec![0u8; len];
        rng.fill(&mut buf).unwrap();
        if len >= 32 {
            assert!(buf.iter().any(|&b| b != 0), "all zero at len {len}");
            assert!(seen.insert(buf[..32].to_vec()), "a 32-byte block came out twice");
        }
    }
    let a = generate(&apw(), &mut rng).unwrap();
    let b = generate(&apw(), &mut rng).unwrap();
    assert_ne!(a.expose(), b.expose());
    assert!(parse(a.expose(), &apw()).is_ok());
}
