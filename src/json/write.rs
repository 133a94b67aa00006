//! The JSON writer: string literals ([`quote`], [`push_quoted`]) and integers ([`push_u64`],
//! [`opt_number`]) appended to a `String`.
//!
//! Apart from the reader because writing is the other direction with other concerns: there is
//! no `Value` writer, each of our documents is built field by field from these pieces, and
//! without `core::fmt` (it would be the only user in the wasm: docs/BUILD-KNOBS.md).

/// A JSON string literal (quoted and escaped).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_quoted(&mut out, s);
    out
}

/// Appends `s` as a JSON string literal: `"` and `\` escaped, control characters as
/// `\n`-style or `\u00XX` escapes, everything else as is (UTF-8).
pub fn push_quoted(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        // The common case (ids, names, labels) in one copy.
        out.push_str(s);
        out.push('"');
        return;
    }
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let byte = u32::from(c) as usize;
                out.push_str("\\u00");
                out.push(char::from(HEX.get(byte >> 4).copied().unwrap_or(b'0')));
                out.push(char::from(HEX.get(byte & 15).copied().unwrap_or(b'0')));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends the decimal digits of `n` (no `core::fmt`: see the module comment).
pub fn push_u64(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        if let Some(slot) = digits.get_mut(start) {
            *slot = b'0' + u8::try_from(n % 10).unwrap_or(0);
        }
        n /= 10;
        if n == 0 || start == 0 {
            break;
        }
    }
    for &digit in digits.get(start..).unwrap_or_default() {
        out.push(char::from(digit));
    }
}

/// A JSON number or `null`.
pub fn opt_number(n: Option<u64>) -> String {
    let mut out = String::new();
    push_opt_u64(&mut out, n);
    out
}

/// Appends a JSON number or `null` (what [`opt_number`] returns, without a `String` of its own).
pub(crate) fn push_opt_u64(out: &mut String, n: Option<u64>) {
    match n {
        Some(n) => push_u64(out, n),
        None => out.push_str("null"),
    }
}
