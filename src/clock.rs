//! Time: [`Millis`] (epoch milliseconds, used wherever a time is), the [`Clock`] a service
//! reads, and the platform's [`SystemClock`]. Apart from the service so that the cache and
//! the service both use it without importing each other.

/// Epoch milliseconds.
pub type Millis = u64;

/// A source of the current time.
pub trait Clock {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> Millis;
}

/// The system clock (not available in `wasm32-unknown-unknown`, where the bindings supply
/// `Date.now()`).
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

#[cfg(not(target_arch = "wasm32"))]
impl Clock for SystemClock {
    fn now_ms(&self) -> Millis {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }
}

impl<F: Fn() -> Millis> Clock for F {
    fn now_ms(&self) -> Millis {
        self()
    }
}

/// The default clock of the platform.
#[cfg(not(target_arch = "wasm32"))]
pub type DefaultClock = SystemClock;
/// In wasm the bindings always supply a clock.
#[cfg(target_arch = "wasm32")]
pub type DefaultClock = fn() -> Millis;
