//! Native verify throughput on 1 thread and on N threads sharing one `AppPasswords`.
//!
//!     cargo run --release --example parallel_verify [-- seconds]
//!
//! One service (over a `MemoryStore`, default app-password profile) is shared by every thread
//! through an `Arc`; each thread verifies its own password in a loop for the given time (default
//! 3 s). The ratio N-thread / 1-thread throughput shows whether verifies run in parallel: the
//! Argon2 working memory comes from a pool (no lock held during a hash) and the RNG lock is
//! never held across one, so on N free cores the ratio should approach N. On a busy shared
//! machine it is lower, so the example also prints how many cores the process kept busy
//! (its CPU time over the wall time, from /proc/self/stat on Linux): serialized verifies never
//! exceed 1, whatever else runs; parallel ones exceed it as soon as a second core is free.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use app_passwords::{AppPasswords, Config, Created, MemoryStore, NewAppPassword, VerifyRequest};

type Service = AppPasswords<MemoryStore>;

/// CPU time of this process so far in seconds (user + system), if /proc/self/stat says.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line: 12 and 13 after the ")".
    let ticks = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0) // USER_HZ is 100 on Linux
}

/// Verifies per second with `threads` threads, each on its own password, for `time`, and the
/// cores the process kept busy meanwhile.
fn throughput(
    service: &Arc<Service>,
    passwords: &Arc<Vec<Created>>,
    threads: usize,
    time: Duration,
) -> (f64, Option<f64>) {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let cpu_start = cpu_seconds();
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (service, passwords) = (Arc::clone(service), Arc::clone(passwords));
            let (stop, done) = (Arc::clone(&stop), Arc::clone(&done));
            std::thread::spawn(move || {
                let Some(created) = passwords.get(t) else { return };
                let request = VerifyRequest::password("alice", created.password.expose(), &["repository"]);
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
    let wall = start.elapsed().as_secs_f64();
    let busy = cpu_start.zip(cpu_seconds()).map(|(a, b)| (b - a) / wall);
    (count / wall, busy)
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
    let (one, one_busy) = throughput(&service, &passwords, 1, time);
    let (many, many_busy) = throughput(&service, &passwords, cores, time);
    let params = service.config().hashing;
    println!(
        "profile m={} KiB, t={}, p={}; {} s per run; {cores} cores available",
        params.memory_kib,
        params.iterations,
        params.parallelism,
        time.as_secs()
    );
    let busy = |b: Option<f64>| b.map_or_else(|| "cores busy unknown".to_owned(), |b| format!("{b:.2} cores busy"));
    println!("1 thread:   {one:.0} verifies/s ({})", busy(one_busy));
    println!("{cores} threads:  {many:.0} verifies/s ({})", busy(many_busy));
    println!("ratio:      {:.2}x with {cores} threads (ideal {cores}x)", many / one);
    Ok(())
}
