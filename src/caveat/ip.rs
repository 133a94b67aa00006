//! IP range caveats (`allowIps`, `denyIps`): a CIDR range's strict parse, the client address's
//! parse and the match of one in the other, all in the IPv6 space. Apart from the other
//! caveats because the address arithmetic (IPv4-mapped addresses, masks) concerns only these.

use core::net::{Ipv4Addr, Ipv6Addr};

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
fn mapped(v4: Ipv4Addr) -> u128 {
    (0xffff_u128 << 32) | u128::from(u32::from(v4))
}

/// The netmask of a prefix length (0 to 128).
fn mask(bits: u8) -> u128 {
    if bits == 0 { 0 } else { u128::MAX << (128 - u32::from(bits.min(128))) }
}

/// A client address: IPv4, or IPv6 (IPv4-mapped included), no prefix, no zone, no brackets.
#[must_use]
pub fn parse_client_ip(text: &str) -> Option<u128> {
    if let Ok(v4) = text.parse::<Ipv4Addr>() {
        return Some(mapped(v4));
    }
    text.parse::<Ipv6Addr>().ok().map(u128::from)
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
        let (network, width) = if let Ok(v4) = address.parse::<Ipv4Addr>() {
            (mapped(v4), 32)
        } else if let Ok(v6) = address.parse::<Ipv6Addr>() {
            (u128::from(v6), 128)
        } else {
            return Err(Error::InvalidCaveat("an IP range is not an IPv4 or IPv6 address with an optional /length"));
        };
        let length = match length {
            None => width,
            Some(digits) => prefix_length(digits, width)?,
        };
        let bits = length + (128 - width);
        if network & !mask(bits) != 0 {
            return Err(Error::InvalidCaveat(
                "an IP range has bits set after its prefix length (give the network address)",
            ));
        }
        let text = if width == 32 { text.to_owned() } else { text.to_ascii_lowercase() };
        Ok(Self { text, network, mask: mask(bits) })
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
    let bad = Error::InvalidCaveat("an IP range's prefix length is not a number from 0 to 32 (IPv4) or 128 (IPv6)");
    let well_formed = !digits.is_empty()
        && digits.len() <= 3
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    if !well_formed {
        return Err(bad);
    }
    // At most 3 digits (checked above): summed without `str::parse`'s generic parser.
    let n = digits.bytes().fold(0u16, |n, digit| n * 10 + u16::from(digit - b'0'));
    match u8::try_from(n) {
        Ok(n) if n <= width => Ok(n),
        _ => Err(bad),
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

    #[test]
    fn masks() {
        assert_eq!(mask(0), 0);
        assert_eq!(mask(128), u128::MAX);
        assert_eq!(mask(96), !0xffff_ffff_u128);
    }
}
