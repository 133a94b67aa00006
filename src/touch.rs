//! The `lastUsedAt` throttle: at most one write per password per
//! [`Config::touch_interval_ms`](crate::Config::touch_interval_ms) and instance, remembered in
//! a bounded map of the last write per id.

use crate::clock::Millis;
use crate::service::AppPasswords;

/// Most entries of the last-touch map before it is cleared (bounds memory).
const MAX_TOUCHED: usize = 10_000;

impl<S, C, R> AppPasswords<S, C, R> {
    /// Whether `lastUsedAt` of `id` is due at `now` (without marking it written).
    pub(crate) fn touch_due(&self, id: &str, now: Millis) -> bool {
        let touched = self.touched.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        touched.get(id).is_none_or(|last| now.saturating_sub(*last) >= self.config.touch_interval_ms)
    }

    pub(crate) fn should_touch(&self, id: &str, now: Millis) -> bool {
        let mut touched = self.touched.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if touched.get(id).is_some_and(|last| now.saturating_sub(*last) < self.config.touch_interval_ms) {
            return false;
        }
        if touched.len() >= MAX_TOUCHED {
            touched.clear();
        }
        touched.insert(id.to_owned(), now);
        true
    }

    pub(crate) fn forget_touch(&self, id: &str) {
        let mut touched = self.touched.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        touched.remove(id);
    }
}
