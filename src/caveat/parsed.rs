//! The per-instance memo of parsed `caveats` members, by password id: apart because it is
//! a cache (its bound, its lock), not part of what a caveat is.

use std::collections::HashMap;
use std::sync::Mutex;

use super::Caveats;
use crate::error::Result;

/// Most bytes of member text [`ParsedCaveats`] holds before it starts again (each entry also
/// holds the parse, a few times the text): bounds memory whatever the number of passwords.
const MAX_PARSED_BYTES: usize = 256 * 1024;

/// The caveats of the records an instance has read, by password id, each with the member text it
/// was parsed from. A verify that is not a cache hit reads the record again, and the caveats with
/// it: taken from here when the text is the same, byte for byte, so 32 ranges and 16 paths are
/// parsed once per password and instance instead of on every verify (ten times the rest of the
/// record's parse). The text comparison makes a hit exactly the parse it stands for.
#[derive(Default)]
pub(crate) struct ParsedCaveats(Mutex<ParsedEntries>);

#[derive(Default)]
struct ParsedEntries {
    /// Where each id's entry is in `parsed`. An index rather than the entry itself: a map from
    /// `String` to `u64` is the instantiation the service's other maps already link, and each
    /// further key/value type was a kilobyte of hash-table code in the wasm.
    by_id: HashMap<String, u64>,
    /// The member text and its parse.
    parsed: Vec<(String, Caveats)>,
    bytes: usize,
}

impl ParsedEntries {
    fn entry(&mut self, id: &str) -> Option<&mut (String, Caveats)> {
        let at = *self.by_id.get(id)?;
        self.parsed.get_mut(usize::try_from(at).ok()?)
    }
}

impl ParsedCaveats {
    /// The caveats of record `id` whose `caveats` member is `text`.
    ///
    /// # Errors
    /// [`Error::StoreCorrupt`], as [`Caveats::from_record`].
    pub(crate) fn get(&self, id: &str, text: &str) -> Result<Caveats> {
        let lock = || self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((seen, caveats)) = lock().entry(id) {
            if seen == text {
                return Ok(caveats.clone());
            }
        }
        let caveats = Caveats::from_record(text)?;
        let mut entries = lock();
        if entries.bytes + text.len() > MAX_PARSED_BYTES {
            entries.by_id.clear();
            entries.parsed.clear();
            entries.bytes = 0;
        }
        let fresh = (text.to_owned(), caveats.clone());
        let replaced = match entries.entry(id) {
            Some(slot) => core::mem::replace(slot, fresh).0.len(),
            None => {
                let at = entries.parsed.len() as u64;
                entries.by_id.insert(id.to_owned(), at);
                entries.parsed.push(fresh);
                0
            }
        };
        entries.bytes = (entries.bytes + text.len()).saturating_sub(replaced);
        Ok(caveats)
    }
}
