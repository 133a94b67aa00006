//! Disable and enable: `set_enabled` writes or deletes the `{id}/disabled` marker
//! (marker.rs). A disabled password refuses (401 `invalid_credentials`, reason `disabled`)
//! until it is enabled again; `list` shows `enabled`.

use crate::clock::Clock;
use crate::error::Result;
use crate::io::{self, Call, Machine, Reply, Step, ok};
use crate::marker::{self, could_exist, marker_key, record_keys};
use crate::password::RandomSource;
use crate::record::index_key;
use crate::revoke::{owned, revoked};
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
        self.drive(SetEnabled::new(user, id, enabled)).await
    }
}

/// [`AppPasswords::set_enabled`] as a [`Machine`]: one bulk read, then the marker's write or
/// delete when `user` owns the password.
pub struct SetEnabled {
    user: String,
    id: String,
    enabled: bool,
    read: bool,
}

impl SetEnabled {
    /// Disables (`enabled: false`) or enables `user`'s password `id`.
    #[must_use]
    pub fn new(user: &str, id: &str, enabled: bool) -> Self {
        Self { user: user.to_owned(), id: id.to_owned(), enabled, read: false }
    }
}

impl<S, C: Clock, R: RandomSource> Machine<S, C, R> for SetEnabled {
    /// `false` when that user has no such password.
    type Output = bool;

    fn step(&mut self, service: &AppPasswords<S, C, R>, reply: Option<Result<Reply>>) -> Result<Step<bool>> {
        let (user, id) = (self.user.as_str(), self.id.as_str());
        if self.read {
            // The marker's write or delete is done.
            ok!(io::done(reply));
            if !self.enabled {
                if let Some(cache) = &service.cache {
                    cache.evict_id(id);
                }
            }
            return Ok(Step::Done(true));
        }
        if !could_exist(user, id) {
            return Ok(Step::Done(false));
        }
        if reply.is_none() {
            let mut keys = record_keys(id, 3);
            keys.push(index_key(user, id));
            return Ok(Step::Call(Call::Read(keys)));
        }
        let mut values = ok!(io::values(reply, 3));
        let (stored, tombstone, entry) = (values.take(), values.take(), values.take());
        if ok!(revoked(tombstone)) || ok!(owned(stored.as_deref(), entry.is_some(), user, id)).is_none() {
            return Ok(Step::Done(false));
        }
        self.read = true;
        let key = marker_key(user, id, marker::DISABLED);
        Ok(Step::Call(if self.enabled {
            Call::Delete(key)
        } else {
            Call::Put(key, marker::disabled_json(service.now()))
        }))
    }
}
