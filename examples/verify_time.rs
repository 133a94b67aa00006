//! Native time of one verify, at the default app-password profile and at "owasp".
//!
//!     cargo run --release --example verify_time
//!
//! Medians over repeated verifies of one password through `AppPasswords` over a `MemoryStore`
//! (so: parse, store read, record decode, Argon2id, checks). The `lastUsedAt` write is throttled
//! and happens once. Machines here are noisy: compare the two figures, not absolute times.

use std::time::Instant;

use app_passwords::{AppPasswords, Config, HashParams, MemoryStore, NewAppPassword, VerifyRequest};

fn median_ms(params: HashParams, runs: usize) -> Result<f64, app_passwords::Error> {
    let mut config = Config::new()?;
    config.hashing = params;
    let service = AppPasswords::new(MemoryStore::new(), config)?;
    let created = pollster::block_on(service.create(NewAppPassword {
        user: "alice",
        label: "timing",
        scopes: &["repository"],
        expires_at: None,
    }))?;
    let request = VerifyRequest::password("alice", created.password.expose(), &["repository"]);
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let result = pollster::block_on(service.verify(request))?;
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        assert!(result.is_ok());
    }
    times.sort_by(f64::total_cmp);
    Ok(times.get(runs / 2).copied().unwrap_or(f64::NAN))
}

fn main() -> Result<(), app_passwords::Error> {
    let default = median_ms(HashParams::APP_PASSWORD, 400)?;
    let owasp = median_ms(HashParams::OWASP, 40)?;
    let p = HashParams::APP_PASSWORD;
    println!(
        "native verify, median: default (m={},t={},p={}) {default:.3} ms; owasp (m=19456,t=2,p=1) {owasp:.2} ms; ratio {:.3}",
        p.memory_kib,
        p.iterations,
        p.parallelism,
        default / owasp
    );
    Ok(())
}
