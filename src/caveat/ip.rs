//! IP range caveats (`allowIps`, `denyIps`): a CIDR range's strict parse, the client address's
//! parse and the match of one in the other, all in the IPv6 space. Apart from the other
//! caveats because the address arithmetic (IPv4-mapped addresses, masks) concerns only these.
//!
//! The address grammar is read here rather than by `core::net`'s parsers: those were 1.5 KB of
//! wasm for the two uses below. Same grammar, checked against `core::net` by the tests below.

use super::MAX_IP_RANGES;
use crate::error::{Error, Result};

/// One CIDR range: a network in the IPv6 address space (IPv4 as IPv4-mapped), its netmask
/// (kept, not recomputed per request: a 128-bit shift is a library call in wasm) and the text it
/// was given as (IPv6 in lower case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpRange {
    text: String,
    network: u128,
    mask: u128,
}

/// An IPv4 address as IPv4-mapped IPv6 (`::ffff:a.b.c.d`).
fn mapped(v4: u32) -> u128 {
    (0xffff_u128 << 32) | u128::from(v4)
}

/// A dotted-quad IPv4 address (`core::net`'s grammar: four decimal bytes, no leading zero).
fn parse_v4(text: &str) -> Option<u32> {
    let mut address = 0u32;
    let mut count = 0;
    for part in text.split('.') {
        let well_formed = !part.is_empty()
            && part.len() <= 3
            && part.bytes().all(|b| b.is_ascii_digit())
            && (part == "0" || !part.starts_with('0'));
        count += 1;
        if !well_formed || count > 4 {
            return None;
        }
        let byte = part.bytes().fold(0u32, |n, digit| n * 10 + u32::from(digit - b'0'));
        if byte > 255 {
            return None;
        }
        address = address << 8 | byte;
    }
    (count == 4).then_some(address)
}

/// The `:`-separated groups of one side of an IPv6 address's `::` (or of all of it): 1 to 4
/// hex digits each, the last one possibly an IPv4 address (two groups). Their value and count.
fn groups(text: &str) -> Option<(u128, u32)> {
    let (mut value, mut count, mut ended) = (0u128, 0u32, false);
    if text.is_empty() {
        return Some((value, count));
    }
    for part in text.split(':') {
        if ended || count > 8 {
            return None;
        }
        if part.contains('.') {
            value = value << 32 | u128::from(parse_v4(part)?);
            (count, ended) = (count + 2, true);
            continue;
        }
        if part.is_empty() || part.len() > 4 {
            return None;
        }
        let group = part.bytes().try_fold(0u32, |n, b| Some(n * 16 + char::from(b).to_digit(16)?))?;
        value = value << 16 | u128::from(group);
        count += 1;
    }
    (count <= 8).then_some((value, count))
}

/// An IPv6 address (`core::net`'s grammar: eight groups, or fewer around one `::`, an IPv4
/// address as the last two; no zone, no brackets).
fn parse_v6(text: &str) -> Option<u128> {
    let Some(at) = text.as_bytes().windows(2).position(|pair| pair == b"::") else {
        let (value, count) = groups(text)?;
        return (count == 8).then_some(value);
    };
    let (head, tail) = (text.get(..at)?, text.get(at + 2..)?);
    let ((high, high_count), (low, low_count)) = (groups(head)?, groups(tail)?);
    // `::` stands for one group or more; an IPv4 part ends the address.
    if high_count + low_count > 7 || head.contains('.') {
        return None;
    }
    Some(if high_count == 0 { low } else { high << (16 * (8 - high_count)) | low })
}

/// The netmask of a prefix length (0 to 128).
fn mask(bits: u8) -> u128 {
    if bits == 0 { 0 } else { u128::MAX << (128 - u32::from(bits.min(128))) }
}

/// A client address: IPv4, or IPv6 (IPv4-mapped included), no prefix, no zone, no brackets.
#[must_use]
pub fn parse_client_ip(text: &str) -> Option<u128> {
    parse_v4(text).map(mapped).or_else(|| parse_v6(text))
}

impl IpRange {
    /// Parses `a.b.c.d[/n]` or an IPv6 address with an optional `/n`, strictly: decimal prefix
    /// length without leading zeros, no bit set after it.
    ///
    /// # Errors
    /// [`Error::InvalidCaveat`].
    pub fn parse(text: &str) -> Result<Self> {
        let (address, length) = match text.split_once('/') {
            Some((address, length)) => (address, Some(length)),
            None => (text, None),
        };
        let (network, width) = if let Some(v4) = parse_v4(address) {
            (mapped(v4), 32)
        } else if let Some(v6) = parse_v6(address) {
            (v6, 128)
        } else {
            return Err(Error::InvalidCaveat("an IP range is not an IPv4 or IPv6 address with an optional /length"));
        };
        let length = match length {
            None => width,
            Some(digits) => prefix_length(digits, width)?,
        };
        let mask = mask(length + (128 - width));
        if network & !mask != 0 {
            return Err(Error::InvalidCaveat(
                "an IP range has bits set after its prefix length (give the network address)",
            ));
        }
        // Lower case is IPv6's only change: an IPv4 range has no letter.
        Ok(Self { text: text.to_ascii_lowercase(), network, mask })
    }

    /// Whether the address (from [`parse_client_ip`]) is in this range.
    #[must_use]
    pub fn contains(&self, address: u128) -> bool {
        address & self.mask == self.network
    }

    /// The range as given (IPv6 in lower case).
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

fn prefix_length(digits: &str, width: u8) -> Result<u8> {
    let well_formed = !digits.is_empty()
        && digits.len() <= 3
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    // At most 3 digits (checked first): summed without `str::parse`'s generic parser.
    let n = well_formed.then(|| digits.bytes().fold(0u16, |n, digit| n * 10 + u16::from(digit - b'0')));
    // A match, not `ok_or`: that would build the error, and drop it, on every call.
    match n.and_then(|n| u8::try_from(n).ok()).filter(|n| *n <= width) {
        Some(n) => Ok(n),
        None => {
            Err(Error::InvalidCaveat("an IP range's prefix length is not a number from 0 to 32 (IPv4) or 128 (IPv6)"))
        }
    }
}

pub(super) fn ranges(texts: Option<&[&str]>) -> Result<Vec<IpRange>> {
    let Some(texts) = texts else { return Ok(Vec::new()) };
    if texts.is_empty() || texts.len() > MAX_IP_RANGES {
        return Err(Error::InvalidCaveat("allowIps and denyIps take 1 to 32 ranges each"));
    }
    let mut out: Vec<IpRange> = Vec::with_capacity(texts.len());
    for text in texts {
        let range = IpRange::parse(text)?;
        if !out.iter().any(|r| r.network == range.network && r.mask == range.mask) {
            out.push(range);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Every string over a small alphabet up to a length, and some longer ones, read as
    /// `core::net` reads them.
    #[test]
    fn the_grammar_is_core_nets() {
        use core::net::{Ipv4Addr, Ipv6Addr};
        let check = |text: &str| {
            assert_eq!(parse_v4(text), text.parse::<Ipv4Addr>().ok().map(u32::from), "{text:?}");
            assert_eq!(parse_v6(text), text.parse::<Ipv6Addr>().ok().map(u128::from), "{text:?}");
        };
        let alphabet = ['0', '1', 'f', 'F', 'g', ':', '.'];
        let mut texts = vec![String::new()];
        for _ in 0..6 {
            texts = texts.iter().flat_map(|t| alphabet.iter().map(move |c| format!("{t}{c}"))).collect();
            texts.iter().for_each(|t| check(t));
        }
        let groups =
            ["", "0", "1", "ffff", "FFFF", "00000", "12345", "1.2.3.4", "255.255.255.255", "256.0.0.1", "01.2.3.4"];
        for a in groups {
            for b in groups {
                for c in groups {
                    for sep in [":", "::"] {
                        check(&[a, sep, b, ":", c].concat());
                        check(&[a, ":", b, sep, c].concat());
                        check(&["1:2:3:4:5:6", sep, a, ":", b, ":", c].concat());
                        check(&[a, ":1:2:3:4:5", sep, b, ":", c].concat());
                        check(&[a, ".", b, ".", c, sep, "1"].concat());
                    }
                    check(&[a, ".", b, ".", c, ".1"].concat());
                    check(&["::ffff:", a, ".", b, ".", c].concat());
                }
            }
        }
        for text in [
            "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7::",
            "::2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7:8::",
            "1:2:3:4:5:6:1.2.3.4",
            "::1.2.3.4",
            "1::1.2.3.4:5",
            "1.2.3.4::",
            ":::",
            "1:::2",
            "::ffff:10.0.0.1",
            "fe80::1%eth0",
            "[::1]",
        ] {
            check(text);
        }
    }

    #[test]
    fn masks() {
        assert_eq!(mask(0), 0);
        assert_eq!(mask(128), u128::MAX);
        assert_eq!(mask(96), !0xffff_ffff_u128);
    }
}
