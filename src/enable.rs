//! Disable and enable: `set_enabled` writes or deletes the `{id}/disabled` marker
//! (marker.rs). A disabled password refuses (401 `invalid_credentials`, reason `disabled`)
//! until it is enabled again; `list` shows `enabled`.

use crate::clock::Clock;
use crate::error::Result;
use crate::marker::{self, marker_key};
use crate::password::{RandomSource, is_id};
use crate::record::{self, Record, index_key, record_key, tombstone_key};
use crate::revoke::revoked;
use crate::service::AppPasswords;
use crate::store::Store;

impl<S: Store, C: Clock, R: RandomSource> AppPasswords<S, C, R> {
    /// Disables (`enabled: false`) or enables `user`'s password `id`. Returns `false` when
    /// that user has no such password (unknown, another user's, revoked). Two store calls: one
    /// bulk read (record, tombstone, index entry) and one blind write or delete of the marker.
    /// Disabling drops the password from this instance's cache at once; another instance with
    /// a cache sees it within its `ttl_ms`, as for a revoke.
    ///
    /// As `revoke` does, a record that reads as missing while `user`'s index entry exists is
    /// taken as a stale read of a password that user owns.
    ///
    /// # Errors
    /// Store errors (then nothing changed, or the marker write may have been applied: call it
    /// again).
    pub async fn set_enabled(&self, user: &str, id: &str, enabled: bool) -> Result<bool> {
        if record::validate_user(user).is_err() || !is_id(id) {
            return Ok(false);
        }
        let values = self.get_exact(&[&record_key(id), &tombstone_key(id), &index_key(user, id)]).await?;
        let mut values = values.into_iter();
        let (stored, tombstone, entry) = (values.next().flatten(), values.next().flatten(), values.next().flatten());
        if revoked(tombstone)? {
            return Ok(false);
        }
        let owned = match stored {
            Some(json) => Record::from_json(&json, id)?.user == user,
            None => entry.is_some(),
        };
        if !owned {
            return Ok(false);
        }
        let key = marker_key(user, id, marker::DISABLED);
        if enabled {
            self.store.delete(&key).await?;
        } else {
            self.store.put(&key, &marker::disabled_json(self.now())).await?;
            if let Some(cache) = &self.cache {
                cache.evict_id(id);
            }
        }
        Ok(true)
    }
}
