//! The host's key-value store, as the core sees it, and an in-memory store.
//!
//! The core does no I/O except through [`Store`]. The JavaScript bindings implement it over
//! any object with `get`/`put`/`delete`/`list` returning Promises (Workers KV, Deno KV, Redis,
//! a `Map`), and optional `getMany`/`increment`. Consistency is the store's: on an eventually
//! consistent store (Workers KV) a revocation can take up to its propagation delay (about 60
//! seconds) to be seen elsewhere.
//!
//! Every multi-key read of the core goes through [`Store::get_many`] with at most
//! [`MAX_GET_MANY`] keys: a verify reads its record and tombstone in one call, a list reads
//! 100 keys a call. A store without a bulk read keeps the default method (one `get` after
//! another); one with it (Workers KV bulk get, Redis `MGET`, Deno KV `getMany`) answers the
//! whole batch as one operation, which is what Workers KV's 1,000 operations per invocation
//! count.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};

/// One page of keys from [`Store::list`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPage {
    /// Keys that start with the prefix, in ascending order within the page.
    pub keys: Vec<String>,
    /// Where the next page starts; `None` when this was the last page.
    pub cursor: Option<String>,
}

/// An asynchronous key-value store.
///
/// Implementations report their failures as [`Error::StoreUnavailable`] (or
/// [`Error::StoreTimeout`]); the core never turns a failure into a success.
#[allow(async_fn_in_trait)] // single-threaded wasm hosts hand out futures that are not Send
pub trait Store {
    /// The value at `key`, if any.
    ///
    /// # Errors
    /// When the store fails.
    async fn get(&self, key: &str) -> Result<Option<String>>;
    /// Sets `key` to `value`.
    ///
    /// # Errors
    /// When the store fails.
    async fn put(&self, key: &str, value: &str) -> Result<()>;
    /// Removes `key` (no error when absent).
    ///
    /// # Errors
    /// When the store fails.
    async fn delete(&self, key: &str) -> Result<()>;
    /// Keys starting with `prefix`, one page at a time.
    ///
    /// # Errors
    /// When the store fails.
    async fn list(&self, prefix: &str, cursor: Option<&str>) -> Result<ListPage>;

    /// The values at `keys` (at most [`MAX_GET_MANY`]), in the same order, `None` where
    /// absent. The default reads them one `get` after another; stores with a bulk read
    /// override it so a batch costs one operation.
    ///
    /// # Errors
    /// When the store fails (any key failing fails the batch).
    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<String>>> {
        let mut values = Vec::with_capacity(keys.len());
        for key in keys {
            values.push(self.get(key).await?);
        }
        Ok(values)
    }

    /// Atomically adds `delta` to the integer at `key` (absent counts as 0) and returns the
    /// new value. The default answers [`Error::StoreLacksAtomic`]: a store without an atomic
    /// add must say so, never emulate it with a read and a write that could race.
    ///
    /// # Errors
    /// [`Error::StoreLacksAtomic`] when unsupported; [`Error::StoreCorrupt`] when the value is
    /// not an integer; store failures.
    async fn increment(&self, key: &str, delta: i64) -> Result<i64> {
        let _ = (key, delta);
        Err(Error::StoreLacksAtomic)
    }
}

/// Most keys the core passes to one [`Store::get_many`] call (Workers KV's bulk get limit).
pub const MAX_GET_MANY: usize = 100;

/// Forwards every method to the store behind a reference or an `Arc`, so that a service can
/// borrow its store or share it between threads.
macro_rules! forward_store {
    ($($wrapper:ty),*) => {$(
        impl<S: Store + ?Sized> Store for $wrapper {
            async fn get(&self, key: &str) -> Result<Option<String>> {
                (**self).get(key).await
            }
            async fn put(&self, key: &str, value: &str) -> Result<()> {
                (**self).put(key, value).await
            }
            async fn delete(&self, key: &str) -> Result<()> {
                (**self).delete(key).await
            }
            async fn list(&self, prefix: &str, cursor: Option<&str>) -> Result<ListPage> {
                (**self).list(prefix, cursor).await
            }
            async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<String>>> {
                (**self).get_many(keys).await
            }
            async fn increment(&self, key: &str, delta: i64) -> Result<i64> {
                (**self).increment(key, delta).await
            }
        }
    )*};
}

forward_store!(&S, Arc<S>);

/// A store in memory (a sorted map): for tests, demos and single-process servers. Strongly
/// consistent; bulk reads and atomic increments under one lock. Its `Debug` shows the number
/// of keys, never the values (records hold password hashes).
pub struct MemoryStore {
    map: Mutex<BTreeMap<String, String>>,
    page_size: usize,
}

impl core::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("keys", &self.len())
            .field("page_size", &self.page_size)
            .finish_non_exhaustive()
    }
}

impl Default for MemoryStore {
    /// The same as [`MemoryStore::new`] (1000 keys a page; a derived default would list
    /// nothing).
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    /// An empty store listing up to 1000 keys a page.
    #[must_use]
    pub fn new() -> Self {
        Self::with_page_size(1000)
    }

    /// An empty store with a given list page size (at least 1), to exercise cursors.
    #[must_use]
    pub fn with_page_size(page_size: usize) -> Self {
        Self { map: Mutex::new(BTreeMap::new()), page_size: page_size.max(1) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, String>> {
        // A poisoned map is still a consistent map: every operation is one insert or remove.
        self.map.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Number of keys held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether the store is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// A copy of every key and value (for tests and debugging).
    #[must_use]
    pub fn snapshot(&self) -> Vec<(String, String)> {
        self.lock().iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }
}

impl Store for MemoryStore {
    async fn get(&self, key: &str) -> Result<Option<String>> {
        Ok(self.lock().get(key).cloned())
    }

    async fn put(&self, key: &str, value: &str) -> Result<()> {
        self.lock().insert(key.to_owned(), value.to_owned());
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<()> {
        self.lock().remove(key);
        Ok(())
    }

    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<String>>> {
        let map = self.lock();
        Ok(keys.iter().map(|key| map.get(*key).cloned()).collect())
    }

    async fn increment(&self, key: &str, delta: i64) -> Result<i64> {
        let mut map = self.lock();
        let current = match map.get(key) {
            Some(text) => text
                .parse::<i64>()
                .map_err(|_| Error::StoreCorrupt("increment of a value that is not an integer".into()))?,
            None => 0,
        };
        let next = current.checked_add(delta).ok_or_else(|| Error::StoreCorrupt("increment overflows".into()))?;
        map.insert(key.to_owned(), next.to_string());
        Ok(next)
    }

    async fn list(&self, prefix: &str, cursor: Option<&str>) -> Result<ListPage> {
        let map = self.lock();
        let start = cursor.unwrap_or(prefix);
        if !start.starts_with(prefix) {
            return Err(Error::StoreUnavailable("cursor does not belong to this prefix".into()));
        }
        let mut keys: Vec<String> = map
            .range(start.to_owned()..)
            .map(|(k, _)| k)
            .filter(|k| cursor.is_none_or(|c| k.as_str() != c))
            .take_while(|k| k.starts_with(prefix))
            .take(self.page_size + 1)
            .cloned()
            .collect();
        let cursor = if keys.len() > self.page_size {
            keys.truncate(self.page_size);
            keys.last().cloned()
        } else {
            None
        };
        Ok(ListPage { keys, cursor })
    }
}
