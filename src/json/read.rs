//! The JSON reader: [`parse`] turns text into a [`Value`], or `None` for anything that is not
//! one document within our limits.
//!
//! Apart from the value model (`json.rs`) and the writer because it is the one part facing
//! untrusted input: every record, index entry and catalogue is read through it, so its
//! limits (depth, repeated keys, integers only) are kept in one small file to read.

use super::{Number, Object, Value};

/// Deepest nesting accepted (our documents use 3).
pub const MAX_DEPTH: usize = 16;

/// Parses one JSON document (surrounding whitespace allowed, nothing else after it).
pub fn parse(text: &str) -> Option<Value> {
    parse_keeping(text, None).map(|(value, _)| value)
}

/// [`parse`], except that the value of the top-level object's member `kept` (when named) is not
/// built: its text is returned instead, delimited but not checked (the caller parses it, or
/// compares it with text that parsed before). A second such member makes the document invalid.
pub(super) fn parse_keeping<'t>(text: &'t str, kept: Option<&str>) -> Option<(Value, Option<&'t str>)> {
    let mut reader = Reader { text, at: 0, kept, span: None };
    let value = reader.value(0)?;
    reader.skip_whitespace();
    let span = match reader.span {
        Some((start, end)) => Some(text.get(start..end)?),
        None => None,
    };
    (reader.at == text.len()).then_some((value, span))
}

struct Reader<'a, 'k> {
    text: &'a str,
    at: usize,
    /// The top-level member whose value is only delimited (see [`parse_keeping`]).
    kept: Option<&'k str>,
    /// Where that value is, once seen.
    span: Option<(usize, usize)>,
}

impl Reader<'_, '_> {
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

    /// Moves past `word` when the text goes on with it.
    fn literal(&mut self, word: &str) -> Option<()> {
        let found = self.text.get(self.at..)?.starts_with(word);
        self.at += if found { word.len() } else { 0 };
        found.then_some(())
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.skip_whitespace();
        match self.peek()? {
            b'n' => self.literal("null").map(|()| Value::Null),
            b't' => self.literal("true").map(|()| Value::Bool(true)),
            b'f' => self.literal("false").map(|()| Value::Bool(false)),
            b'"' => self.string().map(Value::String),
            b'[' => self.array(depth),
            b'{' => self.object(depth),
            b'-' | b'0'..=b'9' => self.number().map(Value::Number),
            _ => None,
        }
    }

    /// The items of an array or the members of an object, `item` reading each: the brackets,
    /// commas and whitespace around them are read here, once for both.
    fn items(&mut self, close: u8, item: &mut dyn FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.at += 1; // '[' or '{'
        self.skip_whitespace();
        if self.peek()? == close {
            self.at += 1;
            return Some(());
        }
        loop {
            self.skip_whitespace();
            item(self)?;
            self.skip_whitespace();
            match self.next()? {
                b',' => {}
                byte if byte == close => return Some(()),
                _ => return None,
            }
        }
    }

    fn array(&mut self, depth: usize) -> Option<Value> {
        let mut items = Vec::new();
        self.items(b']', &mut |reader| {
            items.push(reader.value(depth + 1)?);
            Some(())
        })?;
        Some(Value::Array(items))
    }

    fn object(&mut self, depth: usize) -> Option<Value> {
        let mut members: Vec<(String, Value)> = Vec::new();
        self.items(b'}', &mut |reader| {
            if reader.peek()? != b'"' {
                return None;
            }
            let key = reader.string()?;
            if members.iter().any(|(k, _)| *k == key) {
                return None;
            }
            reader.skip_whitespace();
            if reader.next()? != b':' {
                return None;
            }
            if depth == 0 && reader.kept == Some(key.as_str()) {
                if reader.span.is_some() {
                    return None; // the kept member twice
                }
                reader.skip_whitespace();
                let start = reader.at;
                reader.skip(depth + 1)?;
                reader.span = Some((start, reader.at));
            } else {
                let value = reader.value(depth + 1)?;
                members.push((key, value));
            }
            Some(())
        })?;
        Some(Value::Object(Object(members)))
    }

    /// Moves past one value without building it. An array or object is only delimited: its
    /// brackets counted outside strings, which ends it where [`Reader::value`] would whenever
    /// that accepts it; the rest of its grammar is left to whoever reads the text.
    fn skip(&mut self, depth: usize) -> Option<()> {
        if !matches!(self.peek()?, b'[' | b'{') {
            return self.value(depth).map(drop);
        }
        // One pass over the bytes (no per-byte bounds check): this is the hot path it exists for.
        let rest = self.text.as_bytes().get(self.at..)?;
        let (mut open, mut in_string, mut escaped) = (0usize, false, false);
        for (i, &byte) in rest.iter().enumerate() {
            if in_string {
                if escaped {
                    escaped = false;
                } else if byte == b'\\' {
                    escaped = true;
                } else if byte == b'"' {
                    in_string = false;
                }
                continue;
            }
            match byte {
                b'"' => in_string = true,
                b'[' | b'{' => open += 1,
                b']' | b'}' => {
                    open = open.checked_sub(1)?;
                    if open == 0 {
                        self.at += i + 1;
                        return Some(());
                    }
                }
                _ => {}
            }
        }
        None
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
