#![cfg(not(target_arch = "wasm32"))]
// Test helpers outside #[test] functions are test code too (see .clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! Argon2 through our PHC reader and [`Hasher`].
//!
//! Known answers: RFC 9106 ("Argon2 Memory-Hard Function for Password Hashing and
//! Proof-of-Work Applications"), section 5 "Test Vectors": 5.1 Argon2d, 5.2 Argon2i,
//! 5.3 Argon2id. All three use password = 32 bytes of 0x01, salt = 16 bytes of 0x02,
//! secret K = 8 bytes of 0x03, associated data X = 12 bytes of 0x04, m = 32 KiB, t = 3,
//! p = 4, tag length 32, version 0x13. The secret K is our pepper and X is the PHC `data=`
//! parameter. The tags below are copied from the RFC (and were re-checked with libargon2
//! through argon2-cffi when tests/vectors/phc.json was generated).

mod common;

use app_passwords::hash::{MAX_PASSWORD_LEN, OUTPUT_LEN, SALT_LEN};
use app_passwords::{Error, HashParams, Hasher, PhcHash, hash_password, verify_password_hash};
use base64ct::{Base64Unpadded, Encoding};
use common::{LIGHT, SplitMix64, hex};

const RFC_PASSWORD: [u8; 32] = [0x01; 32];
const RFC_SALT: [u8; 16] = [0x02; 16];
const RFC_SECRET: [u8; 8] = [0x03; 8];
const RFC_AD: [u8; 12] = [0x04; 12];

/// RFC 9106 section 5.1, Argon2d tag.
const RFC_5_1_ARGON2D: &str = "512b391b6f1162975371d30919734294f868e3be3984f3c1a13a4db9fabe4acb";
/// RFC 9106 section 5.2, Argon2i tag.
const RFC_5_2_ARGON2I: &str = "c814d9d1dc7f37aa13f0d77f2494bda1c8de6b016dd388d29952a4c4672b6ce8";
/// RFC 9106 section 5.3, Argon2id tag.
const RFC_5_3_ARGON2ID: &str = "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659";

fn b64(bytes: &[u8]) -> String {
    Base64Unpadded::encode_string(bytes)
}

fn rfc_phc(alg: &str, tag: &[u8]) -> String {
    format!("${alg}$v=19$m=32,t=3,p=4,data={}${}${}", b64(&RFC_AD), b64(&RFC_SALT), b64(tag))
}

fn flip_last_bit(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    *out.last_mut().unwrap() ^= 1;
    out
}

fn check_rfc_vector(alg: &str, tag_hex: &str) {
    let tag = hex(tag_hex);
    assert_eq!(tag.len(), 32);
    let phc = PhcHash::parse(&rfc_phc(alg, &tag)).unwrap();
    let peppered = Hasher::new(Some(&RFC_SECRET)).unwrap();
    assert!(peppered.verify(&RFC_PASSWORD, &phc), "{alg}: RFC 9106 tag must verify");

    // One bit of the password, the tag, the pepper, or the associated data: refused.
    assert!(!peppered.verify(&flip_last_bit(&RFC_PASSWORD), &phc), "{alg}: password bit");
    let bad_tag = PhcHash::parse(&rfc_phc(alg, &flip_last_bit(&tag))).unwrap();
    assert!(!peppered.verify(&RFC_PASSWORD, &bad_tag), "{alg}: tag bit");
    let other_pepper = Hasher::new(Some(&flip_last_bit(&RFC_SECRET))).unwrap();
    assert!(!other_pepper.verify(&RFC_PASSWORD, &phc), "{alg}: pepper bit");
    assert!(!Hasher::new(None).unwrap().verify(&RFC_PASSWORD, &phc), "{alg}: no pepper");
    let other_ad =
        format!("${alg}$v=19$m=32,t=3,p=4,data={}${}${}", b64(&flip_last_bit(&RFC_AD)), b64(&RFC_SALT), b64(&tag));
    assert!(!peppered.verify(&RFC_PASSWORD, &PhcHash::parse(&other_ad).unwrap()), "{alg}: data bit");
    let no_ad = format!("${alg}$v=19$m=32,t=3,p=4${}${}", b64(&RFC_SALT), b64(&tag));
    assert!(!peppered.verify(&RFC_PASSWORD, &PhcHash::parse(&no_ad).unwrap()), "{alg}: data dropped");
    let v16 = rfc_phc(alg, &tag).replace("v=19", "v=16");
    assert!(!peppered.verify(&RFC_PASSWORD, &PhcHash::parse(&v16).unwrap()), "{alg}: version");
}

#[test]
fn rfc9106_section_5_3_argon2id() {
    check_rfc_vector("argon2id", RFC_5_3_ARGON2ID);
}

#[test]
fn rfc9106_section_5_2_argon2i() {
    check_rfc_vector("argon2i", RFC_5_2_ARGON2I);
}

#[test]
fn rfc9106_section_5_1_argon2d() {
    check_rfc_vector("argon2d", RFC_5_1_ARGON2D);
}

#[test]
fn rfc_tags_are_not_interchangeable_between_variants() {
    let peppered = Hasher::new(Some(&RFC_SECRET)).unwrap();
    let id_tag_as_i = PhcHash::parse(&rfc_phc("argon2i", &hex(RFC_5_3_ARGON2ID))).unwrap();
    assert!(!peppered.verify(&RFC_PASSWORD, &id_tag_as_i));
    let d_tag_as_id = PhcHash::parse(&rfc_phc("argon2id", &hex(RFC_5_1_ARGON2D))).unwrap();
    assert!(!peppered.verify(&RFC_PASSWORD, &d_tag_as_id));
}

#[test]
fn reference_readme_example_argon2i() {
    // phc-winner-argon2 README:
    //   echo -n "password" | ./argon2 somesalt -t 2 -m 16 -p 4 -l 24
    //   Encoded: $argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG
    let phc = "$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG";
    assert!(verify_password_hash("password", phc).unwrap());
    assert!(!verify_password_hash("passwore", phc).unwrap());
    // The README also prints the raw tag.
    let parsed = PhcHash::parse(phc).unwrap();
    let expected_tag = hex("45d7ac72e76f242b20b77b9bf9bf9d5915894e669a24e6c6");
    let rebuilt = format!("$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ${}", b64(&expected_tag));
    assert_eq!(PhcHash::parse(&rebuilt).unwrap(), parsed);
}

#[test]
fn hash_then_verify_round_trip() {
    let hasher = Hasher::default();
    let mut rng = SplitMix64::new(1);
    let phc = hasher.hash(b"apw_some-password", &LIGHT, &mut rng).unwrap();
    assert!(phc.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{phc}");
    let fields: Vec<&str> = phc.split('$').collect();
    assert_eq!(fields.len(), 6);
    assert_eq!(Base64Unpadded::decode_vec(fields[4]).unwrap().len(), SALT_LEN);
    assert_eq!(Base64Unpadded::decode_vec(fields[5]).unwrap().len(), OUTPUT_LEN);
    let parsed = PhcHash::parse(&phc).unwrap();
    assert!(hasher.verify(b"apw_some-password", &parsed));
    assert!(!hasher.verify(b"apw_some-passworD", &parsed));
    assert!(!hasher.verify(b"", &parsed));
    assert_eq!(parsed.to_phc(), phc);
    // A fresh salt each time.
    let again = hasher.hash(b"apw_some-password", &LIGHT, &mut rng).unwrap();
    assert_ne!(again, phc);
}

#[test]
fn pepper_is_an_input() {
    let mut rng = SplitMix64::new(2);
    let p = Hasher::new(Some(b"pepper-P")).unwrap();
    let q = Hasher::new(Some(b"pepper-Q")).unwrap();
    let none = Hasher::new(None).unwrap();
    assert!(p.has_pepper() && !none.has_pepper());
    let phc = PhcHash::parse(&p.hash(b"pw", &LIGHT, &mut rng).unwrap()).unwrap();
    assert!(p.verify(b"pw", &phc));
    assert!(!q.verify(b"pw", &phc));
    assert!(!none.verify(b"pw", &phc));
    let plain = PhcHash::parse(&none.hash(b"pw", &LIGHT, &mut rng).unwrap()).unwrap();
    assert!(!p.verify(b"pw", &plain));
    assert!(none.verify(b"pw", &plain));
}

#[test]
fn pepper_length_is_bounded() {
    assert!(Hasher::new(Some(&[7u8; 64])).is_ok());
    assert!(Hasher::new(Some(&[])).is_ok());
    let err = Hasher::new(Some(&[7u8; 65])).unwrap_err();
    assert_eq!(err.code(), "invalid_hash_params");
}

#[test]
fn parameter_bounds() {
    let ok = [
        HashParams { memory_kib: 8, iterations: 1, parallelism: 1 },
        HashParams { memory_kib: 128, iterations: 64, parallelism: 16 },
        HashParams { memory_kib: 262_144, iterations: 1, parallelism: 1 },
        HashParams::OWASP,
        HashParams::APP_PASSWORD,
        LIGHT,
    ];
    for p in ok {
        assert!(p.validate().is_ok(), "{p:?}");
    }
    let bad = [
        HashParams { memory_kib: 64, iterations: 1, parallelism: 0 },
        HashParams { memory_kib: 512, iterations: 1, parallelism: 17 },
        HashParams { memory_kib: 64, iterations: 0, parallelism: 1 },
        HashParams { memory_kib: 64, iterations: 65, parallelism: 1 },
        HashParams { memory_kib: 7, iterations: 1, parallelism: 1 },
        HashParams { memory_kib: 31, iterations: 1, parallelism: 4 },
        HashParams { memory_kib: 262_145, iterations: 1, parallelism: 1 },
        HashParams { memory_kib: u32::MAX, iterations: 1, parallelism: 1 },
    ];
    for p in bad {
        assert_eq!(p.validate().unwrap_err().code(), "invalid_hash_params", "{p:?}");
        assert!(Hasher::default().hash(b"pw", &p, &mut SplitMix64::new(3)).is_err(), "{p:?}");
    }
}

#[test]
fn owasp_profile_and_hash_password() {
    assert_eq!(HashParams::OWASP, HashParams { memory_kib: 19456, iterations: 2, parallelism: 1 });
    let phc = hash_password("correct horse battery staple", &HashParams::OWASP).unwrap();
    assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
    assert!(verify_password_hash("correct horse battery staple", &phc).unwrap());
    assert!(!verify_password_hash("correct horse battery stapl", &phc).unwrap());
}

#[test]
fn verify_password_hash_separates_wrong_password_from_broken_hash() {
    let phc = hash_password("pw", &LIGHT).unwrap();
    assert_eq!(verify_password_hash("nope", &phc), Ok(false));
    for broken in ["", "$argon2id$", "$bcrypt$x", "plain text", "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ"] {
        assert_eq!(verify_password_hash("pw", broken).unwrap_err().code(), "invalid_hash", "{broken:?}");
    }
}

#[test]
fn phc_reader_rejects_bad_strings() {
    let good = hash_password("pw", &LIGHT).unwrap();
    let fields: Vec<&str> = good.split('$').collect();
    let (salt, tag) = (fields[4], fields[5]);
    let bad = [
        format!("$argon2id$v=19$m=64,t=1,p=1,p=1${salt}${tag}"),
        format!("$argon2id$v=19$m=64,t=1,p=1,keyid=AAAA,keyid=AAAA${salt}${tag}"),
        format!("$argon2id$v=19$m=64,t=1${salt}${tag}"),
        format!("$argon2id$v=19$t=1,p=1${salt}${tag}"),
        format!("$argon2id$v=19$m=64,t=1,p=1,q=1${salt}${tag}"),
        format!("$argon2id$v=19$m=64,t=1,p${salt}${tag}"),
        format!("$argon2id$v=19$m=+64,t=1,p=1${salt}${tag}"),
        format!("$argon2id$v=19$m=64,t=1,p=99999999999${salt}${tag}"),
        format!("$argon2id$v=19$m=64,t=1,p=1$${tag}"),
        format!("$argon2id$v=19$m=64,t=1,p=1${salt}$"),
        format!("$argon2id$v=19$m=64,t=1,p=1${salt}${tag}$"),
        format!("$argon2id$v=0x13$m=64,t=1,p=1${salt}${tag}"),
        format!("$argon2id$v=19$v=19$m=64,t=1,p=1${salt}${tag}"),
        format!("$argon2ID$v=19$m=64,t=1,p=1${salt}${tag}"),
        format!("$argon2id$v=19$m=64,t=1,p=1,data=!!${salt}${tag}"),
        format!("$argon2id$v=19$m=64,t=1,p=1,keyid={}${salt}${tag}", "A".repeat(20)),
        format!("$argon2id$v=19$m=64,t=1,p=1,data={}${salt}${tag}", "A".repeat(60)),
        format!("$argon2id$v=19$m=64,t=1,p=1${}${tag}", "A".repeat(90)),
        format!("$argon2id$v=19$m=64,t=1,p=1${salt}${}", "A".repeat(90)),
        format!(" {good}"),
    ];
    for s in &bad {
        let err = PhcHash::parse(s).unwrap_err();
        assert!(matches!(err, Error::InvalidHash(_)), "{s}: {err:?}");
        assert_eq!(err.code(), "invalid_hash");
    }
    assert!(PhcHash::parse(&good).is_ok());
}

#[test]
fn to_phc_keeps_keyid_and_data() {
    let original = rfc_phc("argon2id", &hex(RFC_5_3_ARGON2ID));
    let parsed = PhcHash::parse(&original).unwrap();
    let written = parsed.to_phc();
    assert!(written.contains(&format!("data={}", b64(&RFC_AD))), "{written}");
    let reread = PhcHash::parse(&written).unwrap();
    assert_eq!(reread, parsed);
    assert!(Hasher::new(Some(&RFC_SECRET)).unwrap().verify(&RFC_PASSWORD, &reread));

    let with_keyid = original.replace(",data=", ",keyid=AQIDBA,data=");
    let parsed = PhcHash::parse(&with_keyid).unwrap();
    assert_eq!(PhcHash::parse(&parsed.to_phc()).unwrap(), parsed);
}

#[test]
fn is_current_only_for_our_exact_profile() {
    let phc = PhcHash::parse(&hash_password("pw", &LIGHT).unwrap()).unwrap();
    assert_eq!(phc.params(), LIGHT);
    assert!(phc.is_current(&LIGHT));
    assert!(!phc.is_current(&HashParams { memory_kib: 128, ..LIGHT }));
    assert!(!phc.is_current(&HashParams { iterations: 2, ..LIGHT }));
    assert!(!phc.is_current(&HashParams::APP_PASSWORD));
    let text = phc.to_phc();
    for other in [text.replace("$argon2id$", "$argon2i$"), text.replace("v=19", "v=16"), text.replace("$v=19", "")] {
        assert!(!PhcHash::parse(&other).unwrap().is_current(&LIGHT), "{other}");
    }
    let with_data = text.replace("p=1$", "p=1,data=AAAA$");
    assert!(!PhcHash::parse(&with_data).unwrap().is_current(&LIGHT));
}

#[test]
fn over_long_passwords_are_refused() {
    let hasher = Hasher::default();
    let long = vec![b'a'; MAX_PASSWORD_LEN + 1];
    assert_eq!(hasher.hash(&long, &LIGHT, &mut SplitMix64::new(4)).unwrap_err().code(), "invalid_hash_params");
    let at_limit = vec![b'a'; MAX_PASSWORD_LEN];
    let phc = PhcHash::parse(&hasher.hash(&at_limit, &LIGHT, &mut SplitMix64::new(4)).unwrap()).unwrap();
    assert!(hasher.verify(&at_limit, &phc));
    assert!(!hasher.verify(&long, &phc));
}

#[test]
fn debug_output_hides_hash_salt_and_pepper() {
    let pepper = b"PEPPER-sekrit-42";
    let hasher = Hasher::new(Some(pepper)).unwrap();
    let phc_text = hasher.hash(b"pw", &LIGHT, &mut SplitMix64::new(5)).unwrap();
    let phc = PhcHash::parse(&phc_text).unwrap();
    let fields: Vec<&str> = phc_text.split('$').collect();
    let shown = format!("{hasher:?} {hasher:#?} {phc:?} {phc:#?}");
    assert!(!shown.contains("PEPPER"), "{shown}");
    assert!(!shown.contains(&format!("{:?}", pepper.to_vec())), "{shown}");
    assert!(!shown.contains(fields[4]) && !shown.contains(fields[5]), "{shown}");
}

#[test]
fn hasher_reuses_memory_across_profiles() {
    // Larger then smaller then larger again: the scratch buffer is resized, results stay right.
    let hasher = Hasher::default();
    let mut rng = SplitMix64::new(6);
    let profiles = [
        HashParams { memory_kib: 256, iterations: 1, parallelism: 2 },
        LIGHT,
        HashParams { memory_kib: 1024, iterations: 2, parallelism: 4 },
    ];
    let hashes: Vec<PhcHash> =
        profiles.iter().map(|p| PhcHash::parse(&hasher.hash(b"pw", p, &mut rng).unwrap()).unwrap()).collect();
    for (p, h) in profiles.iter().zip(&hashes) {
        assert_eq!(h.params(), *p);
        assert!(hasher.verify(b"pw", h));
        assert!(Hasher::default().verify(b"pw", h), "a fresh hasher agrees");
    }
}
