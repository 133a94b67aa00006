//! Strict reading and writing of our small JSON documents (records, index entries, the scope
//! catalogue).
//!
//! Why our own reader: the documents are a dozen fixed fields, and both serde_json (derive code,
//! float formatting) and miniserde (a `BTreeMap` per object, float printing, recursion-free
//! machinery) weighed more in the WebAssembly module than everything they parsed
//! (docs/BUILD-KNOBS.md). This reader is RFC 8259 JSON with three deliberate limits: nesting
//! is at most [`MAX_DEPTH`] deep (recursion is bounded, so no document can overflow the stack),
//! a key may not repeat in an object (a repeated key is a forged or corrupted value, not a
//! choice to make silently), and numbers are kept only as non-negative integers (every other
//! number parses but reads as no integer).

/// Deepest nesting accepted (our documents use 3).
pub const MAX_DEPTH: usize = 16;

/// A parsed JSON value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number.
    Number(Number),
    /// A string, unescaped.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object, keys in document order (no key twice).
    Object(Object),
}

/// A JSON number as far as we need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Number {
    /// A non-negative integer that fits in 64 bits.
    U64(u64),
    /// Any other number (negative, fraction, exponent, too large).
    Other,
}

/// The members of a JSON object, in document order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Object(Vec<(String, Value)>);

impl Object {
    /// The value of a key.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// Takes a key's value out.
    pub fn remove(&mut self, name: &str) -> Option<Value> {
        let at = self.0.iter().position(|(k, _)| k == name)?;
        Some(self.0.swap_remove(at).1)
    }

    /// The keys, in document order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_str())
    }
}

/// Parses one JSON document (surrounding whitespace allowed, nothing else after it).
pub fn parse(text: &str) -> Option<Value> {
    let mut reader = Reader { text, at: 0 };
    let value = reader.value(0)?;
    reader.skip_whitespace();
    (reader.at == text.len()).then_some(value)
}

struct Reader<'a> {
    text: &'a str,
    at: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.at += 1;
        Some(byte)
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn literal(&mut self, word: &str, value: Value) -> Option<Value> {
        let rest = self.text.get(self.at..)?;
        rest.starts_with(word).then(|| {
            self.at += word.len();
            value
        })
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.skip_whitespace();
        match self.peek()? {
            b'n' => self.literal("null", Value::Null),
            b't' => self.literal("true", Value::Bool(true)),
            b'f' => self.literal("false", Value::Bool(false)),
            b'"' => self.string().map(Value::String),
            b'[' => self.array(depth),
            b'{' => self.object(depth),
            b'-' | b'0'..=b'9' => self.number().map(Value::Number),
            _ => None,
        }
    }

    fn array(&mut self, depth: usize) -> Option<Value> {
        self.at += 1; // '['
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.peek()? == b']' {
            self.at += 1;
            return Some(Value::Array(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            self.skip_whitespace();
            match self.next()? {
                b',' => {}
                b']' => return Some(Value::Array(items)),
                _ => return None,
            }
        }
    }

    fn object(&mut self, depth: usize) -> Option<Value> {
        self.at += 1; // '{'
        let mut members: Vec<(String, Value)> = Vec::new();
        self.skip_whitespace();
        if self.peek()? == b'}' {
            self.at += 1;
            return Some(Value::Object(Object(members)));
        }
        loop {
            self.skip_whitespace();
            if self.peek()? != b'"' {
                return None;
            }
            let key = self.string()?;
            if members.iter().any(|(k, _)| *k == key) {
                return None;
            }
            self.skip_whitespace();
            if self.next()? != b':' {
                return None;
            }
            let value = self.value(depth + 1)?;
            members.push((key, value));
            self.skip_whitespace();
            match self.next()? {
                b',' => {}
                b'}' => return Some(Value::Object(Object(members))),
                _ => return None,
            }
        }
    }

    /// RFC 8259 number grammar; the value kept only when it is a non-negative integer.
    fn number(&mut self) -> Option<Number> {
        let negative = self.peek() == Some(b'-');
        if negative {
            self.at += 1;
        }
        let mut integer: Option<u64> = Some(0);
        match self.next()? {
            b'0' => {}
            first @ b'1'..=b'9' => {
                integer = Some(u64::from(first - b'0'));
                while let Some(digit @ b'0'..=b'9') = self.peek() {
                    self.at += 1;
                    integer = integer.and_then(|n| n.checked_mul(10)?.checked_add(u64::from(digit - b'0')));
                }
            }
            _ => return None,
        }
        let mut whole = !negative;
        if self.peek() == Some(b'.') {
            self.at += 1;
            self.digits()?;
            whole = false;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            self.digits()?;
            whole = false;
        }
        Some(match integer {
            Some(n) if whole => Number::U64(n),
            _ => Number::Other,
        })
    }

    /// One or more digits.
    fn digits(&mut self) -> Option<()> {
        let start = self.at;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.at += 1;
        }
        (self.at > start).then_some(())
    }

    fn string(&mut self) -> Option<String> {
        self.at += 1; // '"'
        let mut out = String::new();
        loop {
            // Copy the run up to the next quote, backslash or control character: those are
            // ASCII, so the slice ends on a character boundary.
            let start = self.at;
            while matches!(self.peek(), Some(byte) if byte != b'"' && byte != b'\\' && byte >= 0x20) {
                self.at += 1;
            }
            out.push_str(self.text.get(start..self.at)?);
            match self.next()? {
                b'"' => return Some(out),
                b'\\' => out.push(self.escape()?),
                _ => return None, // a raw control character
            }
        }
    }

    fn escape(&mut self) -> Option<char> {
        Some(match self.next()? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let first = self.hex4()?;
                if (0xD800..0xDC00).contains(&first) {
                    // A high surrogate must be followed by an escaped low one.
                    if self.next()? != b'\\' || self.next()? != b'u' {
                        return None;
                    }
                    let second = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&second) {
                        return None;
                    }
                    char::from_u32(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))?
                } else {
                    char::from_u32(first)? // a lone low surrogate is refused here
                }
            }
            _ => return None,
        })
    }

    fn hex4(&mut self) -> Option<u32> {
        let mut n = 0;
        for _ in 0..4 {
            n = n * 16 + char::from(self.next()?).to_digit(16)?;
        }
        Some(n)
    }
}

/// A parsed JSON object whose fields are read with type checks; `None` means "not valid".
pub struct Fields(Object);

impl Fields {
    /// Parses `text` as a JSON object whose keys are all in `allowed`.
    pub fn parse(text: &str, allowed: &[&str]) -> Option<Self> {
        match parse(text)? {
            Value::Object(object) if object.keys().all(|k| allowed.contains(&k)) => Some(Self(object)),
            _ => None,
        }
    }

    /// Wraps an already parsed object (no key check).
    pub fn from_value(value: Value) -> Option<Self> {
        match value {
            Value::Object(object) => Some(Self(object)),
            _ => None,
        }
    }

    /// Whether every key is in `allowed`.
    pub fn keys_within(&self, allowed: &[&str]) -> bool {
        self.0.keys().all(|k| allowed.contains(&k))
    }

    /// Whether the field is present (even as `null`).
    pub fn has(&self, name: &str) -> bool {
        self.0.get(name).is_some()
    }

    /// A required string.
    pub fn string(&self, name: &str) -> Option<String> {
        match self.0.get(name)? {
            Value::String(s) => Some(s.clone()),
            _ => None,
        }
    }

    /// A required non-negative integer.
    pub fn u64(&self, name: &str) -> Option<u64> {
        match self.0.get(name)? {
            Value::Number(Number::U64(n)) => Some(*n),
            _ => None,
        }
    }

    /// A non-negative integer or `null` (absent counts as `null` only when `optional`).
    pub fn opt_u64(&self, name: &str) -> Option<Option<u64>> {
        match self.0.get(name)? {
            Value::Null => Some(None),
            Value::Number(Number::U64(n)) => Some(Some(*n)),
            _ => None,
        }
    }

    /// An optional string (absent or `null` is `""`).
    pub fn string_or_empty(&self, name: &str) -> Option<String> {
        match self.0.get(name) {
            None | Some(Value::Null) => Some(String::new()),
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => None,
        }
    }

    /// An optional boolean with a default.
    pub fn bool_or(&self, name: &str, default: bool) -> Option<bool> {
        match self.0.get(name) {
            None | Some(Value::Null) => Some(default),
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => None,
        }
    }

    /// An optional array of strings (absent or `null` is empty).
    pub fn strings_or_empty(&self, name: &str) -> Option<Vec<String>> {
        match self.0.get(name) {
            None | Some(Value::Null) => Some(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| match v {
                    Value::String(s) => Some(s.clone()),
                    _ => None,
                })
                .collect(),
            Some(_) => None,
        }
    }

    /// Takes out a field's raw value.
    pub fn take(&mut self, name: &str) -> Option<Value> {
        self.0.remove(name)
    }
}

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
    match n {
        Some(n) => push_u64(&mut out, n),
        None => out.push_str("null"),
    }
    out
}
