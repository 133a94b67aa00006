#![cfg(not(target_arch = "wasm32"))]
// Test helpers outside #[test] functions are test code too (see .clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! The JSON reader and writer (`app_passwords::json`): what RFC 8259 allows, what it and our
//! limits refuse, and that the writer's output reads back.

use app_passwords::json::{Fields, MAX_DEPTH, Number, Object, Value, opt_number, parse, quote};

#[test]
fn reads_what_json_allows() {
    let Some(Value::Object(object)) = parse(" {\"a\" : [1, true, null, \"x\"], \"b\": {}} ") else { panic!() };
    let inner = vec![Value::Number(Number::U64(1)), Value::Bool(true), Value::Null, Value::String("x".into())];
    assert_eq!(object.get("a"), Some(&Value::Array(inner)));
    assert_eq!(object.get("b"), Some(&Value::Object(Object::default())));
    assert_eq!(object.keys().collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!(parse("18446744073709551615"), Some(Value::Number(Number::U64(u64::MAX))));
    for other in ["18446744073709551616", "-1", "-0", "1.5", "1e3", "0.0", "2E-2"] {
        assert_eq!(parse(other), Some(Value::Number(Number::Other)), "{other}");
    }
    assert_eq!(
        parse(r#""a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00""#),
        Some(Value::String("a\"\\/\u{8}\u{c}\n\r\té😀".into()))
    );
    assert_eq!(parse("[]"), Some(Value::Array(vec![])));
    assert_eq!(parse("{}"), Some(Value::Object(Object::default())));
}

#[test]
fn refuses_what_json_does_not_allow_and_our_limits() {
    for bad in [
        "",
        " ",
        "{",
        "[1,]",
        "{\"a\":1,}",
        "{a:1}",
        "01",
        "1.",
        ".5",
        "1e",
        "+1",
        "-",
        "tru",
        "nul",
        "\"a",
        "\"\\x\"",
        "\"\\u12\"",
        "\"\\ud800\"",
        "\"\\udc00\"",
        "\"\\ud800\\u0041\"",
        "\"a\u{1}\"",
        "1 2",
        "{\"a\":1,\"a\":2}",
        "[1] x",
        "'a'",
        "NaN",
        "{\"a\" 1}",
    ] {
        assert_eq!(parse(bad), None, "{bad:?}");
    }
    let deep_ok = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
    assert!(parse(&deep_ok).is_some());
    let too_deep = "[".repeat(MAX_DEPTH + 2) + &"]".repeat(MAX_DEPTH + 2);
    assert_eq!(parse(&too_deep), None);
    assert_eq!(parse(&"[".repeat(100_000)), None);
}

#[test]
fn a_kept_member_is_delimited_not_built() {
    const ALLOWED: &[&str] = &["a", "kept", "z"];
    let keep = |text| Fields::parse_keeping(text, ALLOWED, "kept");
    // The value's text, exactly as it stands, wherever it is and whatever its strings hold.
    for (text, kept) in [
        (r#"{"a":1,"kept":{"x":["]",  "}"]},"z":2}"#, r#"{"x":["]",  "}"]}"#),
        (r#"{"kept" :  [1,[2,{"\"]":"\\"}]] , "a":1}"#, r#"[1,[2,{"\"]":"\\"}]]"#),
        (r#"{"a":1,"kept":"te}xt"}"#, r#""te}xt""#),
        (r#"{"kept":null}"#, "null"),
    ] {
        let (fields, span) = keep(text).unwrap_or_else(|| panic!("{text}"));
        assert_eq!(span, Some(kept), "{text}");
        assert!(!fields.has("kept"), "{text}: left out of the fields");
        assert_eq!(fields.has("a"), text.contains(r#""a""#), "{text}");
    }
    let (fields, span) = keep(r#"{"a":1}"#).unwrap();
    assert_eq!((span, fields.u64("a")), (None, Some(1)));
    // Nested members of that name are built as usual; only the top level's is kept.
    let (fields, span) = keep(r#"{"a":{"kept":1}}"#).unwrap();
    assert_eq!(span, None);
    assert!(fields.has("a"));
    for bad in [
        r#"{"kept":{},"kept":{}}"#,
        r#"{"kept":{"a":1}"#,
        r#"{"kept":{"a":"}"}"#,
        r#"{"kept":]}"#,
        r#"{"kept":}"#,
        r#"{"kept":{}} x"#,
        r#"{"kept":{},"other":1}"#,
        r#"{"a":1,"a":2,"kept":{}}"#,
        r#"["kept"]"#,
    ] {
        assert!(keep(bad).is_none(), "{bad}");
    }
}

#[test]
fn writes_what_it_reads() {
    for s in ["", "plain", "quote \" and \\ slash", "ctl \u{0}\u{1f}\n\r\t\u{8}", "é 😀 \u{2028}"] {
        let text = quote(s);
        assert_eq!(parse(&text), Some(Value::String(s.into())), "{text}");
    }
    assert_eq!(quote("\u{1}"), "\"\\u0001\"");
    for n in [0, 7, 10, 1_700_000_000_000, u64::MAX] {
        let text = opt_number(Some(n));
        assert_eq!(text, n.to_string());
        assert_eq!(parse(&text), Some(Value::Number(Number::U64(n))));
    }
    assert_eq!(opt_number(None), "null");
}
