//! Scopes: the catalogue (data), scope sets as bitsets, closure under implication, the
//! canonical text form and the compact, versioned storage encoding.
//!
//! A set is a bitset over catalogue positions, so positions are append-only: a new scope goes
//! at the end and a retired one keeps its place. Granting closes the set under implication
//! and the closed set is what is stored, so a later catalogue edit never widens or narrows an
//! existing password (docs/design.md#scopes-are-fixed-at-creation).
//!
//! This file holds the model (sets, scopes, the catalogue, closure, the text form); reading a
//! catalogue file is in `scope/catalog_json.rs`, the storage encoding in `scope/encoding.rs`.

use crate::error::{Error, Result};

mod catalog_json;
mod encoding;

pub use catalog_json::{DEFAULT_CATALOG_JSON, ScopeDef};
pub use encoding::ENCODING_V1;

/// Most scopes a catalogue may hold (the bitset's width).
pub const MAX_SCOPES: usize = 256;
const WORDS: usize = MAX_SCOPES / 64;

/// A set of scopes: bit `i` is catalogue position `i`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ScopeSet([u64; WORDS]);

impl ScopeSet {
    /// The empty set.
    pub const EMPTY: Self = Self([0; WORDS]);

    /// Adds position `pos` (ignored when out of range).
    pub fn insert(&mut self, pos: usize) {
        if let Some(word) = self.0.get_mut(pos / 64) {
            *word |= 1u64 << (pos % 64);
        }
    }

    /// Whether position `pos` is in the set.
    #[must_use]
    pub fn contains(&self, pos: usize) -> bool {
        self.0.get(pos / 64).is_some_and(|word| word & (1u64 << (pos % 64)) != 0)
    }

    /// Union.
    #[must_use]
    pub fn union(&self, other: &Self) -> Self {
        let mut out = *self;
        for (a, b) in out.0.iter_mut().zip(other.0.iter()) {
            *a |= *b;
        }
        out
    }

    /// Elements of `self` that are not in `other`.
    #[must_use]
    pub fn difference(&self, other: &Self) -> Self {
        let mut out = *self;
        for (a, b) in out.0.iter_mut().zip(other.0.iter()) {
            *a &= !*b;
        }
        out
    }

    /// Whether every element of `self` is in `other`.
    #[must_use]
    pub fn is_subset(&self, other: &Self) -> bool {
        self.difference(other).is_empty()
    }

    /// Whether the set is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }

    /// Number of elements.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Positions in ascending order.
    pub fn positions(&self) -> impl Iterator<Item = usize> + '_ {
        // Bit by bit over the set words only: a cache hit lists its scopes' names, and testing
        // all 256 positions was a tenth of its time.
        self.0.iter().enumerate().flat_map(|(index, &word)| {
            let mut rest = word;
            core::iter::from_fn(move || {
                if rest == 0 {
                    return None;
                }
                let bit = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                Some(index * 64 + bit)
            })
        })
    }
}

/// One scope of a catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// The scope's name, e.g. `repository:write`.
    pub name: String,
    /// The group it is shown under (e.g. `Repositories`).
    pub group: String,
    /// The access level label (e.g. `Write`).
    pub level: String,
    /// Direct implications (names).
    pub implies: Vec<String>,
    /// Whether an app password may hold it.
    pub grantable: bool,
    /// Everything it implies, transitively, itself included.
    pub closure: ScopeSet,
}

/// An ordered scope catalogue with precomputed closures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    scopes: Vec<Scope>,
    grantable: ScopeSet,
    all: ScopeSet,
}

impl Catalog {
    /// Builds a catalogue from definitions in position order.
    ///
    /// # Errors
    /// As [`Catalog::from_json`].
    pub fn new(entries: Vec<ScopeDef>) -> Result<Self> {
        let mut catalog = Self::for_len(entries.len())?;
        for def in entries {
            catalog.push(def)?;
        }
        catalog.closed()
    }

    /// An empty catalogue with room for `len` scopes, or the error for a length out of range.
    /// [`Catalog::new`] is this, [`Catalog::push`] for each definition, then [`Catalog::closed`]:
    /// three steps so that [`Catalog::from_json`] pushes each definition as it reads it, without
    /// a list of them in between.
    pub(super) fn for_len(len: usize) -> Result<Self> {
        if len == 0 {
            return Err(Error::InvalidCatalog("no scopes".into()));
        }
        if len > MAX_SCOPES {
            const _: () = assert!(MAX_SCOPES == 256, "the message below names the limit");
            return Err(Error::InvalidCatalog("more than 256 scopes".into()));
        }
        // Built in place (closures empty at first), so that the checks are the catalogue's
        // own lookups (`position`, `close`) rather than copies of them.
        Ok(Self { scopes: Vec::with_capacity(len), grantable: ScopeSet::EMPTY, all: ScopeSet::EMPTY })
    }

    /// Adds the next definition (its closure not computed yet).
    pub(super) fn push(&mut self, def: ScopeDef) -> Result<()> {
        let name = def.name.as_str();
        if name.is_empty() || name.chars().any(char::is_whitespace) {
            return Err(Error::InvalidCatalog(["bad scope name \"", name, "\""].concat()));
        }
        if self.position(name).is_some() {
            return Err(Error::InvalidCatalog(["duplicate scope \"", name, "\""].concat()));
        }
        let i = self.scopes.len();
        self.all.insert(i);
        if def.grantable {
            self.grantable.insert(i);
        }
        let ScopeDef { name, group, level, implies, grantable } = def;
        self.scopes.push(Scope { name, group, level, implies, grantable, closure: ScopeSet::EMPTY });
        Ok(())
    }

    /// The closures of the pushed definitions, and the checks that need them all.
    pub(super) fn closed(self) -> Result<Self> {
        let mut catalog = self;
        // Direct implication sets, then a fixed point: at most n rounds, cycles are harmless.
        for i in 0..catalog.scopes.len() {
            let mut set = ScopeSet::EMPTY;
            set.insert(i);
            for implied in catalog.scopes.get(i).map_or(&[][..], |s| &s.implies) {
                let pos = catalog.position(implied).ok_or_else(|| {
                    let name = catalog.scopes.get(i).map_or("", |s| &s.name);
                    Error::InvalidCatalog(["\"", name, "\" implies unknown scope \"", implied, "\""].concat())
                })?;
                set.insert(pos);
            }
            if let Some(scope) = catalog.scopes.get_mut(i) {
                scope.closure = set;
            }
        }
        loop {
            let mut changed = false;
            for i in 0..catalog.scopes.len() {
                let current = catalog.scopes.get(i).map_or(ScopeSet::EMPTY, |s| s.closure);
                let widened = catalog.close(&current);
                if widened != current {
                    if let Some(scope) = catalog.scopes.get_mut(i) {
                        scope.closure = widened;
                    }
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        for scope in &catalog.scopes {
            if scope.grantable && !scope.closure.is_subset(&catalog.grantable) {
                return Err(Error::InvalidCatalog(
                    ["grantable scope \"", &scope.name, "\" implies a non-grantable scope"].concat(),
                ));
            }
        }
        Ok(catalog)
    }

    /// The scopes in position order.
    #[must_use]
    pub fn scopes(&self) -> &[Scope] {
        &self.scopes
    }

    /// The position of a scope name.
    #[must_use]
    pub fn position(&self, name: &str) -> Option<usize> {
        self.scopes.iter().position(|s| s.name == name)
    }

    /// The set of scopes an app password may hold.
    #[must_use]
    pub fn grantable(&self) -> ScopeSet {
        self.grantable
    }

    /// Parses names (any order, duplicates allowed) into a set, without closing it.
    ///
    /// # Errors
    /// [`Error::UnknownScope`] for a name not in the catalogue; [`Error::TooManyScopes`] past
    /// `2 * MAX_SCOPES` names.
    pub fn parse_names<'a>(&self, names: impl IntoIterator<Item = &'a str>) -> Result<ScopeSet> {
        let mut set = ScopeSet::EMPTY;
        for (count, name) in names.into_iter().enumerate() {
            if count >= 2 * MAX_SCOPES {
                return Err(Error::TooManyScopes);
            }
            let pos = self.position(name).ok_or_else(|| Error::UnknownScope(truncate(name)))?;
            set.insert(pos);
        }
        Ok(set)
    }

    /// Parses the canonical text form (space-separated names; any whitespace accepted).
    ///
    /// # Errors
    /// As [`Catalog::parse_names`].
    pub fn parse_text(&self, text: &str) -> Result<ScopeSet> {
        self.parse_names(text.split_whitespace())
    }

    /// The closure of `set` under implication.
    #[must_use]
    pub fn close(&self, set: &ScopeSet) -> ScopeSet {
        // Over the catalogue rather than the set's positions: a smaller loop, and never on a
        // cache hit (a stored set is closed already).
        let mut closed = *set;
        for (pos, scope) in self.scopes.iter().enumerate() {
            if set.contains(pos) {
                closed = closed.union(&scope.closure);
            }
        }
        closed
    }

    /// Names in catalogue order.
    #[must_use]
    pub fn names(&self, set: &ScopeSet) -> Vec<String> {
        set.positions().filter_map(|pos| self.scopes.get(pos)).map(|s| s.name.clone()).collect()
    }

    /// The canonical text form: names in catalogue order, space-separated.
    #[must_use]
    pub fn to_text(&self, set: &ScopeSet) -> String {
        self.names(set).join(" ")
    }

    /// Names to the closed, canonical name list (`normalize`).
    ///
    /// # Errors
    /// [`Error::UnknownScope`].
    pub fn normalize<'a>(&self, names: impl IntoIterator<Item = &'a str>) -> Result<Vec<String>> {
        Ok(self.names(&self.close(&self.parse_names(names)?)))
    }

    /// Whether `granted` (closed first) covers every scope of `required`.
    #[must_use]
    pub fn satisfies(&self, granted: &ScopeSet, required: &ScopeSet) -> bool {
        required.is_subset(&self.close(granted))
    }

    /// The required scopes that `granted` (closed first) does not cover.
    #[must_use]
    pub fn missing(&self, granted: &ScopeSet, required: &ScopeSet) -> ScopeSet {
        required.difference(&self.close(granted))
    }
}

/// Scope names echoed into errors are cut short: a hostile caller controls them.
fn truncate(name: &str) -> String {
    name.chars().take(64).collect()
}
