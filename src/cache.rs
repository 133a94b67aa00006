//! An opt-in cache of verified credentials, inside one process or isolate.
//!
//! A script that calls an API many times a minute would otherwise pay an Argon2 hash on
//! every request. With the cache, a successful verify is remembered for `ttl_ms` under a keyed
//! hash (BLAKE2b-MAC with a random per-instance key) of the username and password, so the
//! cache holds no password and no hash that could be attacked offline. What is cached is the
//! *credential* (owner, id, label, scopes, expiry, caveats); purpose, caveat and scope checks
//! still run on every request.
//!
//! Staleness bound: `revoke` through the same instance evicts at once; a revoke made
//! elsewhere (another isolate, another server) is seen here at the latest `ttl_ms` later, on
//! top of the store's own propagation delay.

use std::collections::HashMap;
use std::sync::Mutex;

use blake2::Blake2bMac;
use blake2::digest::consts::U32;
use blake2::digest::{KeyInit, Mac};
use zeroize::Zeroize;

use crate::caveat::Caveats;
use crate::clock::Millis;
use crate::scope::ScopeSet;

/// Cache settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheConfig {
    /// How long a verified credential is trusted without a store read and a hash.
    pub ttl_ms: Millis,
    /// Most credentials held; the oldest is dropped to make room.
    pub max_entries: usize,
}

/// What a successful verify established about a password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// Password id.
    pub id: String,
    /// Owner.
    pub user: String,
    /// Label.
    pub label: String,
    /// Granted scopes (closed at creation).
    pub scopes: ScopeSet,
    /// Expiry.
    pub expires_at: Option<Millis>,
    /// Caveats, checked on every request (shared: a cache hit clones a pointer).
    pub caveats: Caveats,
}

struct Entry {
    credential: Credential,
    cached_at: Millis,
}

/// The cache itself.
pub struct VerifiedCache {
    config: CacheConfig,
    /// The MAC with its key block already absorbed: each tag starts from a copy, so it pays for
    /// the BLAKE2b compression of its own bytes only, not of the key again (half the cost of a
    /// tag). As secret as the key; zeroized on drop, like each copy (blake2's `zeroize`).
    /// (`None` cannot happen: a 32-byte key is a valid BLAKE2b key; then nothing is cached.)
    keyed: Option<Blake2bMac<U32>>,
    entries: Mutex<HashMap<[u8; 32], Entry, BuildTagHasher>>,
}

/// Hashes a cache tag by its first eight bytes. A tag is a keyed MAC, uniformly distributed,
/// and nobody without the key can choose tags that collide: no need for SipHash, whose 32-byte
/// hash was a twentieth of a cache hit.
#[derive(Default, Clone, Copy)]
struct TagHasher(u64);

impl core::hash::Hasher for TagHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // The array's length comes first (fewer than 8 bytes on wasm32): only the tag counts.
        if let Some(head) = bytes.first_chunk::<8>() {
            self.0 = u64::from_le_bytes(*head);
        }
    }
}

type BuildTagHasher = core::hash::BuildHasherDefault<TagHasher>;

/// The byte every tag's input starts with, after the key (see [`VerifiedCache::new`]).
const TAG_VERSION: u8 = 1;

impl core::fmt::Debug for VerifiedCache {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("VerifiedCache").field("config", &self.config).finish_non_exhaustive()
    }
}

impl VerifiedCache {
    /// A cache with a random MAC key.
    pub fn new(config: CacheConfig, key: [u8; 32]) -> Self {
        let mut key = key;
        let mut keyed = Blake2bMac::<U32>::new_from_slice(&key).ok();
        key.zeroize();
        // BLAKE2b compresses a block only once more input follows it: one byte after the
        // key's block gets that block compressed here, once, instead of in every tag.
        if let Some(mac) = &mut keyed {
            mac.update(&[TAG_VERSION]);
        }
        Self { config, keyed, entries: Mutex::new(HashMap::default()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Entry, BuildTagHasher>> {
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The lookup key of a username and password: a MAC, so neither can be recovered.
    pub fn tag(&self, username: &str, password: &str) -> Option<[u8; 32]> {
        let mut mac = self.keyed.clone()?;
        // Length-prefix the username so ("ab", "c...") and ("a", "bc...") differ.
        let len = u32::try_from(username.len()).ok()?;
        mac.update(&len.to_le_bytes());
        mac.update(username.as_bytes());
        mac.update(password.as_bytes());
        Some(mac.finalize().into_bytes().into())
    }

    /// The credential cached under `tag`, if still fresh at `now`.
    pub fn get(&self, tag: &[u8; 32], now: Millis) -> Option<Credential> {
        let mut entries = self.lock();
        let entry = entries.get(tag)?;
        if now >= entry.cached_at && now - entry.cached_at < self.config.ttl_ms {
            return Some(entry.credential.clone());
        }
        entries.remove(tag);
        None
    }

    /// Remembers a verified credential, dropping the oldest entry when full.
    pub fn insert(&self, tag: [u8; 32], credential: Credential, now: Millis) {
        if self.config.max_entries == 0 || self.config.ttl_ms == 0 {
            return;
        }
        let mut entries = self.lock();
        if entries.len() >= self.config.max_entries && !entries.contains_key(&tag) {
            let oldest = entries.iter().min_by_key(|(_, e)| e.cached_at).map(|(k, _)| *k);
            if let Some(oldest) = oldest {
                entries.remove(&oldest);
            }
        }
        entries.insert(tag, Entry { credential, cached_at: now });
    }

    /// Drops every entry of password `id` (called by `revoke`).
    pub fn evict_id(&self, id: &str) {
        self.lock().retain(|_, e| e.credential.id != id);
    }

    /// Number of entries (for tests and metrics).
    #[must_use]
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether the cache is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }
}
