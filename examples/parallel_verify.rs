//! Native verify throughput on 1 thread and on N threads sharing one `AppPasswords`.
//!
//!     cargo run --release --example parallel_verify [-- seconds]
//!
//! One service (over a `MemoryStore`, default app-password profile) is shared by every thread
//! through an `Arc`; each thread verifies its own password in a loop for the given time (default
//! 3 s). The ratio N-thread / 1-thread throughput shows whether verifies run in parallel: the
//! Argon2 working memory comes from a pool (no lock held during a hash) and the RNG lock is
//! never held across one, so on N free cores the ratio should approach N. On a busy shared
//! machine it is lower: compare runs, not absolute numbers.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use app_passwords::{AppPasswords, Config, Created, MemoryStore, NewAppPassword, Purpose, VerifyRequest};

type Service = AppPasswords<MemoryStore>;

/// Verifies per second with `threads` threads, each on its own password, for `time`.
fn throughput(service: &Arc<Service>, passwords: &Arc<Vec<Created>>, threads: usize, time: Duration) -> f64 {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (service, passwords) = (Arc::clone(service), Arc::clone(passwords));
            let (stop, done) = (Arc::clone(&stop), Arc::clone(&done));
            std::thread::spawn(move || {
                let Some(created) = passwords.get(t) else { return };
                let request = VerifyRequest {
                    username: "alice",
                    password: created.password.expose(),
                    require: &["repository"],
                    purpose: Purpose::Api,
                };
                while !stop.load(Ordering::Relaxed) {
                    let ok = pollster::block_on(service.verify(request)).is_ok_and(|r| r.is_ok());
                    assert!(ok, "verify failed");
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    std::thread::sleep(time);
    stop.store(true, Ordering::Relaxed);
    for handle in handles {
        let _ = handle.join();
    }
    #[allow(clippy::cast_precision_loss)]
    let count = done.load(Ordering::Relaxed) as f64;
    count / start.elapsed().as_secs_f64()
}

fn main() -> Result<(), app_passwords::Error> {
    let seconds: u64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(3);
    let time = Duration::from_secs(seconds.max(1));
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    let service = Arc::new(AppPasswords::new(MemoryStore::new(), Config::new()?)?);
    let mut passwords = Vec::new();
    for _ in 0..cores.max(2) {
        passwords.push(pollster::block_on(service.create(NewAppPassword {
            user: "alice",
            label: "bench",
            scopes: &["repository"],
            expires_at: None,
        }))?);
    }
    let passwords = Arc::new(passwords);
    // Warm up: each password's first verify writes lastUsedAt; the pool fills.
    let _ = throughput(&service, &passwords, cores, Duration::from_millis(300));
    let one = throughput(&service, &passwords, 1, time);
    let many = throughput(&service, &passwords, cores, time);
    let params = service.config().hashing;
    println!(
        "profile m={} KiB, t={}, p={}; {} s per run; {cores} cores available",
        params.memory_kib, params.iterations, params.parallelism, time.as_secs()
    );
    println!("1 thread:   {one:.0} verifies/s");
    println!("{cores} threads:  {many:.0} verifies/s");
    println!("ratio:      {:.2}x with {cores} threads (ideal {cores}x)", many / one);
    Ok(())
}
