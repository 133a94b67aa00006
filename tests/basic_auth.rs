#![cfg(not(target_arch = "wasm32"))]
// Test helpers outside #[test] functions are test code too (see .clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! HTTP Basic (RFC 7617) parsing: bounded, case-insensitive scheme, first colon splits.

use app_passwords::basic_auth::MAX_HEADER_LEN;
use app_passwords::{BasicAuthError, basic_header, parse_basic};
use base64ct::{Base64, Encoding};

fn basic(raw: &[u8]) -> String {
    format!("Basic {}", Base64::encode_string(raw))
}

#[test]
fn rfc7617_example_encodes_and_parses() {
    // RFC 7617 section 2: user "Aladdin", password "open sesame".
    let header = basic_header("Aladdin", "open sesame");
    assert_eq!(header, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    let creds = parse_basic(Some(&header)).unwrap();
    assert_eq!(creds.username, "Aladdin");
    assert_eq!(creds.password.as_str(), "open sesame");
}

#[test]
fn round_trip_with_an_app_password_and_unicode_user() {
    // The shape of an app password, with its checksum broken on purpose (last character
    // changed): Basic parsing does not look at it, and no secret scanner should report it.
    let pw = "apw_pJTzviWewdzbiYwmH794OVA6o5EqiyFVsiJiDvRmc2sC1ualmX";
    for user in ["alice", "jürgen", "bob@example.com", "a b"] {
        let creds = parse_basic(Some(&basic_header(user, pw))).unwrap();
        assert_eq!(creds.username, user);
        assert_eq!(creds.password.as_str(), pw);
    }
}

#[test]
fn scheme_is_case_insensitive_and_token_whitespace_tolerated() {
    let token = Base64::encode_string(b"alice:secret");
    for header in [
        format!("Basic {token}"),
        format!("basic {token}"),
        format!("BASIC {token}"),
        format!("bAsIc {token}"),
        format!("  Basic   {token}  "),
    ] {
        let creds = parse_basic(Some(&header)).unwrap_or_else(|e| panic!("{header:?}: {e:?}"));
        assert_eq!(creds.username, "alice");
        assert_eq!(creds.password.as_str(), "secret");
    }
}

#[test]
fn missing_or_empty_header() {
    for header in [None, Some(""), Some("   "), Some("\t")] {
        assert_eq!(parse_basic(header).unwrap_err(), BasicAuthError::Missing, "{header:?}");
    }
}

#[test]
fn over_long_header_is_refused_unread() {
    let long = format!("Basic {}", "A".repeat(MAX_HEADER_LEN));
    assert_eq!(parse_basic(Some(&long)).unwrap_err(), BasicAuthError::TooLong);
    // Even when it is not Basic at all: the length check comes first.
    let long = format!("Bearer {}", "A".repeat(5000));
    assert_eq!(parse_basic(Some(&long)).unwrap_err(), BasicAuthError::TooLong);
    // At the limit it is read: a valid header padded with spaces inside the token stays valid.
    let user = "u".repeat(300);
    let pw = "p".repeat(400);
    let header = basic_header(&user, &pw);
    assert!(header.len() <= MAX_HEADER_LEN);
    let creds = parse_basic(Some(&header)).unwrap();
    assert_eq!(creds.username, user);
}

#[test]
fn other_schemes_are_not_basic() {
    let token = Base64::encode_string(b"alice:secret");
    for header in [
        format!("Bearer {token}"),
        format!("Digest {token}"),
        format!("Basic{token}"),
        format!("Basic-{token}"),
        "Basic".to_owned(),
        token.clone(),
    ] {
        assert_eq!(parse_basic(Some(&header)).unwrap_err(), BasicAuthError::NotBasic, "{header:?}");
    }
}

#[test]
fn bad_base64() {
    // Padding exactly as RFC 4648 writes it: missing, extra, misplaced or non-canonical bits refused.
    for header in [
        "Basic !!!!",
        "Basic YWxpY2U6c2VjcmV0!",
        "Basic YW*p",
        "Basic a",
        "Basic YTpiYw",
        "Basic YTpiYw=",
        "Basic YTpiYw===",
        "Basic YTpiYWM==",
        "Basic YTpiY===",
        "Basic YT=iYw==",
        "Basic YTpiYx==",
        "Basic ====",
    ] {
        assert_eq!(parse_basic(Some(header)).unwrap_err(), BasicAuthError::BadBase64, "{header:?}");
    }
}

#[test]
fn every_padding_length_round_trips() {
    for password in ["", "b", "bc", "bcd", "bcde"] {
        let header = basic_header("a", password);
        assert_eq!(header.len() % 4, 2, "{header}");
        assert_eq!(parse_basic(Some(&header)).unwrap().password.as_str(), password);
    }
}

#[test]
fn bad_utf8() {
    assert_eq!(parse_basic(Some(&basic(b"alice:\xff\xfe"))).unwrap_err(), BasicAuthError::BadUtf8);
    assert_eq!(parse_basic(Some(&basic(b"\xc3:pw"))).unwrap_err(), BasicAuthError::BadUtf8);
}

#[test]
fn missing_colon() {
    assert_eq!(parse_basic(Some(&basic(b"alice"))).unwrap_err(), BasicAuthError::NoColon);
    assert_eq!(parse_basic(Some(&basic(b"alice;secret"))).unwrap_err(), BasicAuthError::NoColon);
    // "Basic " with an empty token trims to "Basic": refused (as NotBasic).
    assert!(parse_basic(Some(&basic(b""))).is_err());
}

#[test]
fn user_id_ends_at_the_first_colon() {
    let creds = parse_basic(Some(&basic(b"alice:pa:ss:word:"))).unwrap();
    assert_eq!(creds.username, "alice");
    assert_eq!(creds.password.as_str(), "pa:ss:word:");
    let creds = parse_basic(Some(&basic(b"alice:"))).unwrap();
    assert_eq!(creds.password.as_str(), "");
    let creds = parse_basic(Some(&basic(b":secret"))).unwrap();
    assert_eq!(creds.username, "");
    assert_eq!(creds.password.as_str(), "secret");
}

#[test]
fn credentials_debug_hides_the_password() {
    let pw = "apw_pJTzviWewdzbiYwmH794OVA6o5EqiyFVsiJiDvRmc2sC1ualmX"; // checksum fails on purpose
    let creds = parse_basic(Some(&basic_header("alice", pw))).unwrap();
    let shown = format!("{creds:?} {creds:#?}");
    assert!(shown.contains("alice"));
    assert!(!shown.contains(pw), "{shown}");
    assert!(!shown.contains("pJTzviWewdzb"), "{shown}");
}

#[test]
fn reason_strings_are_stable() {
    use BasicAuthError::*;
    let expected = [
        (Missing, "missing_credentials"),
        (TooLong, "header_too_long"),
        (NotBasic, "not_basic_auth"),
        (BadBase64, "bad_base64"),
        (BadUtf8, "bad_utf8"),
        (NoColon, "missing_colon"),
    ];
    for (e, reason) in expected {
        assert_eq!(e.reason(), reason);
    }
}
