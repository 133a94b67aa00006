//! Argon2id hashing to PHC strings, and verification of any Argon2 PHC string.
//!
//! App passwords carry at least 190 bits of CSPRNG output, so no guessing attack is possible
//! at any hash cost: the slow-hash budget that protects human passwords buys nothing here and
//! costs every API request CPU. [`HashParams::APP_PASSWORD`] is therefore light, and
//! [`HashParams::OWASP`] is the profile for human passwords. SECURITY.md has the reasoning,
//! docs/BENCHMARKS.md the numbers.
//!
//! The PHC reader is our own, small and bounded: a stored string with absurd parameters
//! (say `m=4294967295`) is refused with [`Error::InvalidHash`] instead of attempting a 4 TiB
//! allocation that would abort a WebAssembly instance. It lives in `hash/phc.rs` (the text
//! format); this file holds the cost profiles and the computation.

use core::fmt;
use std::sync::Mutex;

use argon2::{Argon2, AssociatedData, Block, KeyId, ParamsBuilder};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::password::RandomSource;

mod phc;

pub use phc::{MAX_PHC_LEN, PhcHash};

/// Largest memory cost accepted (KiB): 256 MiB, above RFC 9106's second recommendation.
pub const MAX_MEMORY_KIB: u32 = 256 * 1024;
/// Largest number of passes accepted.
pub const MAX_ITERATIONS: u32 = 64;
/// Largest degree of parallelism accepted (lanes are computed one after another here).
pub const MAX_PARALLELISM: u32 = 16;
/// Salt length of hashes we write.
pub const SALT_LEN: usize = 16;
/// Output length of hashes we write.
pub const OUTPUT_LEN: usize = 32;
/// Longest password accepted for hashing (bytes). Bounds the work a caller can ask for.
pub const MAX_PASSWORD_LEN: usize = 4096;

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HashParams {
    /// Memory cost in KiB (`m`).
    pub memory_kib: u32,
    /// Passes over memory (`t`).
    pub iterations: u32,
    /// Lanes (`p`).
    pub parallelism: u32,
}

impl HashParams {
    /// OWASP's Argon2id recommendation for human passwords: m=19456 KiB, t=2, p=1.
    pub const OWASP: Self = Self { memory_kib: 19456, iterations: 2, parallelism: 1 };

    /// The default for generated app passwords (190-bit secrets): m=256 KiB, t=1, p=1. Chosen
    /// from measurements (docs/BENCHMARKS.md): m=1024 KiB cost about 2 ms of CPU per verify in
    /// workerd, over the 2 ms target; 256 KiB costs about a quarter of that and still forces
    /// a memory-hard computation. See SECURITY.md for why any cost is enough at 190 bits.
    pub const APP_PASSWORD: Self = Self { memory_kib: 256, iterations: 1, parallelism: 1 };

    /// Checks the parameters against Argon2's rules and our bounds.
    ///
    /// # Errors
    /// [`Error::InvalidHashParams`] when out of range.
    pub fn validate(&self) -> Result<()> {
        if self.parallelism == 0 || self.parallelism > MAX_PARALLELISM {
            return Err(Error::InvalidHashParams("parallelism must be 1 to 16"));
        }
        if self.iterations == 0 || self.iterations > MAX_ITERATIONS {
            return Err(Error::InvalidHashParams("iterations must be 1 to 64"));
        }
        if self.memory_kib < 8 * self.parallelism || self.memory_kib > MAX_MEMORY_KIB {
            return Err(Error::InvalidHashParams("memoryKiB must be at least 8 x parallelism and at most 262144"));
        }
        Ok(())
    }
}

/// Most idle working-memory buffers a [`Hasher`] keeps for reuse.
const MAX_POOLED_BUFFERS: usize = 16;

/// Computes Argon2 hashes, reusing working memory between calls and holding the optional
/// pepper. Shared by every thread of a native server: each hash takes a buffer from a small
/// pool (the lock is held only to take it and to give it back, never during the hash), so N
/// threads hash on N cores. A single-threaded wasm instance uses one buffer over and over.
pub struct Hasher {
    pepper: Option<Zeroizing<Vec<u8>>>,
    memory: Mutex<Vec<Vec<Block>>>,
}

impl fmt::Debug for Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hasher").field("pepper", &self.pepper.as_ref().map(|_| "<redacted>")).finish_non_exhaustive()
    }
}

impl Default for Hasher {
    fn default() -> Self {
        Self { pepper: None, memory: Mutex::new(Vec::new()) }
    }
}

impl Hasher {
    /// A hasher with an optional pepper (Argon2's secret input, `K`).
    ///
    /// # Errors
    /// [`Error::InvalidHashParams`] for a pepper longer than 64 bytes.
    pub fn new(pepper: Option<&[u8]>) -> Result<Self> {
        if pepper.is_some_and(|p| p.len() > 64) {
            return Err(Error::InvalidHashParams("pepper must be at most 64 bytes"));
        }
        Ok(Self {
            // An empty pepper is no pepper (Argon2 treats them alike); say so in has_pepper().
            pepper: pepper.filter(|p| !p.is_empty()).map(|p| Zeroizing::new(p.to_vec())),
            memory: Mutex::new(Vec::new()),
        })
    }

    /// Whether a pepper is set.
    #[must_use]
    pub fn has_pepper(&self) -> bool {
        self.pepper.is_some()
    }

    /// Argon2 of `password` with the algorithm, version, parameters, keyid, data and salt of
    /// `spec` (its hash field is ignored), into `out`.
    fn compute(&self, password: &[u8], spec: &PhcHash, out: &mut [u8]) -> Result<()> {
        let PhcHash { algorithm, version, params, keyid, data, salt, .. } = spec;
        if password.len() > MAX_PASSWORD_LEN {
            return Err(Error::InvalidHashParams("password longer than 4096 bytes"));
        }
        params.validate()?;
        let mut builder = ParamsBuilder::new();
        builder.m_cost(params.memory_kib).t_cost(params.iterations).p_cost(params.parallelism).output_len(out.len());
        if !keyid.is_empty() {
            builder.keyid(KeyId::new(keyid).map_err(|_| Error::InvalidHash("bad keyid"))?);
        }
        if !data.is_empty() {
            builder.data(AssociatedData::new(data).map_err(|_| Error::InvalidHash("bad data"))?);
        }
        let argon_params = builder.build().map_err(|_| Error::InvalidHashParams("rejected by Argon2"))?;
        let blocks = argon_params.block_count();
        let argon = match self.pepper.as_deref() {
            Some(pepper) => Argon2::new_with_secret(pepper, *algorithm, *version, argon_params)
                .map_err(|_| Error::InvalidHashParams("bad pepper"))?,
            None => Argon2::new(*algorithm, *version, argon_params),
        };
        // Take a buffer (or start a new one); the lock is released before the hash runs.
        let mut memory = self.take_buffer();
        if memory.len() < blocks {
            let extra = blocks - memory.len();
            memory.try_reserve_exact(extra).map_err(|_| Error::InvalidHashParams("not enough memory"))?;
            memory.resize(blocks, Block::new());
        }
        let Some(scratch) = memory.get_mut(..blocks) else {
            return Err(Error::InvalidHashParams("memory")); // let-else: `ok_or` built an error on every hash
        };
        let result = argon
            .hash_password_into_with_memory(password, salt, out, scratch)
            .map_err(|_| Error::InvalidHashParams("rejected by Argon2"));
        self.give_back(memory);
        result
    }

    fn pool(&self) -> std::sync::MutexGuard<'_, Vec<Vec<Block>>> {
        // A poisoned lock only means another call panicked; the pool holds scratch space only.
        self.memory.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn take_buffer(&self) -> Vec<Block> {
        self.pool().pop().unwrap_or_default()
    }

    fn give_back(&self, buffer: Vec<Block>) {
        let mut pool = self.pool();
        if pool.len() < MAX_POOLED_BUFFERS {
            pool.push(buffer);
        }
    }

    /// Hashes `password` with Argon2id v=19 and a fresh 16-byte salt from `rng`.
    ///
    /// # Errors
    /// [`Error::InvalidHashParams`] for bad parameters; [`Error::RandomUnavailable`].
    pub fn hash(&self, password: &[u8], params: &HashParams, rng: &mut impl RandomSource) -> Result<String> {
        let salt = Self::salt(rng)?;
        self.hash_with_salt(password, params, &salt)
    }

    /// A fresh 16-byte salt from `rng` (draw it, release the RNG, then hash: a shared RNG is
    /// never held for the length of an Argon2 computation).
    ///
    /// # Errors
    /// [`Error::RandomUnavailable`].
    pub fn salt(rng: &mut impl RandomSource) -> Result<[u8; SALT_LEN]> {
        let mut salt = [0u8; SALT_LEN];
        rng.fill(&mut salt)?;
        Ok(salt)
    }

    /// Hashes `password` with Argon2id v=19 and the given salt.
    ///
    /// # Errors
    /// [`Error::InvalidHashParams`] for bad parameters.
    pub fn hash_with_salt(&self, password: &[u8], params: &HashParams, salt: &[u8]) -> Result<String> {
        let mut phc = PhcHash::argon2id(*params, salt, &[]);
        let mut out = Zeroizing::new([0u8; OUTPUT_LEN]);
        self.compute(password, &phc, out.as_mut_slice())?;
        phc.hash = out.to_vec();
        Ok(phc.to_phc())
    }

    /// Verifies `password` against a parsed hash, comparing outputs in constant time.
    /// Returns `false` on mismatch or if the hash cannot be recomputed.
    #[must_use]
    pub fn verify(&self, password: &[u8], phc: &PhcHash) -> bool {
        let mut out = Zeroizing::new(vec![0u8; phc.hash.len()]);
        let computed = self.compute(password, phc, out.as_mut_slice());
        computed.is_ok() && bool::from(out.as_slice().ct_eq(&phc.hash))
    }
}

/// Hashes a (human) password to an Argon2id PHC string with `params` (OWASP by default in
/// the JS API), with the OS random source for the salt and no pepper.
///
/// # Errors
/// [`Error::InvalidHashParams`]; [`Error::RandomUnavailable`].
pub fn hash_password(password: &str, params: &HashParams) -> Result<String> {
    Hasher::default().hash(password.as_bytes(), params, &mut crate::password::OsRandom)
}

/// Verifies a password against any Argon2 PHC string (no pepper): `Ok(true)` on a match,
/// `Ok(false)` otherwise.
///
/// # Errors
/// [`Error::InvalidHash`] when `phc` is not a readable Argon2 PHC string within our bounds:
/// a broken stored hash is the host's error, not a wrong password.
pub fn verify_password_hash(password: &str, phc: &str) -> Result<bool> {
    let parsed = PhcHash::parse(phc)?;
    Ok(Hasher::default().verify(password.as_bytes(), &parsed))
}
