//! Minting where the password is shown (a browser), storing on the server from its hash alone.
//!
//! [`mint`] makes what `create` makes before it writes anything: a password, and its Argon2id
//! PHC string at a hashing profile. The page keeps the password; the server receives the id
//! and the PHC string and stores them with [`AppPasswords::create_from_hash`], after checking
//! that the string is exactly what `create` would have written ([`check_minted_hash`]). The
//! password never reaches the server, so the server cannot check that the hash is of a
//! well-formed password, or of a random one: a client that lies can only make its own
//! account's password weaker or unusable (docs/design.md#minting-in-the-browser, SECURITY.md).

use crate::caveat::CaveatSpec;
use crate::create::{NewRecord, Source};
use crate::error::{Error, Result};
use crate::hash::{HashParams, Hasher, OUTPUT_LEN, PhcHash, SALT_LEN};
use crate::io::{Machine, Reply, Step, ok, output};
use crate::password::{self, Password, Prefix, RandomSource, is_id};
use crate::service::{AppPasswords, Clock, DUMMY_ID, Listed, NewAppPassword};
use crate::store::Store;

/// A password minted by [`mint`]: the password (shown once, never sent) and its PHC string.
#[derive(Clone, PartialEq, Eq)]
pub struct Minted {
    /// The password. Zeroized on drop, redacted in `Debug`.
    pub password: Password,
    /// Argon2id v=19 PHC string of the whole password: what the server stores.
    pub phc: String,
}

impl core::fmt::Debug for Minted {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Minted").field("id", &self.password.id()).field("phc", &"<redacted>").finish()
    }
}

/// A new password with `prefix` from `rng`, and its Argon2id PHC string at `params` (a
/// 16-byte salt from `rng`, 32 bytes of output, no pepper: the browser has none).
///
/// # Errors
/// [`Error::InvalidHashParams`]; [`Error::RandomUnavailable`].
pub fn mint(prefix: &Prefix, params: &HashParams, rng: &mut impl RandomSource) -> Result<Minted> {
    ok!(params.validate());
    let password = ok!(password::generate(prefix, rng));
    let salt = ok!(Hasher::salt(rng));
    let phc = ok!(Hasher::default().hash_with_salt(password.expose().as_bytes(), params, &salt));
    Ok(Minted { password, phc })
}

/// The most each cost parameter of a minted hash may be: the service's profile, or OWASP's
/// where that is higher. Above it, a client could make every verify of its id (right or wrong
/// secret) cost the server up to 256 MiB and 64 passes.
#[must_use]
pub fn ceiling(profile: &HashParams) -> HashParams {
    HashParams {
        memory_kib: profile.memory_kib.max(HashParams::OWASP.memory_kib),
        iterations: profile.iterations.max(HashParams::OWASP.iterations),
        parallelism: profile.parallelism.max(HashParams::OWASP.parallelism),
    }
}

/// Checks that `phc` is a hash `create` could have written under `profile`: a well-formed PHC
/// string (the bounded reader), Argon2id v=19 without keyid or data, each of m, t, p at or
/// above the profile and at most [`ceiling`], a salt of at least 16 bytes and an output of at
/// least 32.
///
/// # Errors
/// [`Error::InvalidHash`], saying which rule failed.
pub fn check_minted_hash(phc: &str, profile: &HashParams) -> Result<PhcHash> {
    let parsed = ok!(PhcHash::parse(phc));
    if !parsed.is_plain_argon2id_v19() {
        return Err(Error::InvalidHash("must be argon2id, v=19, without keyid or data"));
    }
    let params = parsed.params();
    let most = ceiling(profile);
    let within = |value: u32, floor: u32, top: u32| (floor..=top).contains(&value);
    if !within(params.memory_kib, profile.memory_kib, most.memory_kib)
        || !within(params.iterations, profile.iterations, most.iterations)
        || !within(params.parallelism, profile.parallelism, most.parallelism)
    {
        return Err(Error::InvalidHash("m, t and p must be from the service's profile to its ceiling"));
    }
    if parsed.salt_len() < SALT_LEN {
        return Err(Error::InvalidHash("salt must be at least 16 bytes"));
    }
    if parsed.output_len() < OUTPUT_LEN {
        return Err(Error::InvalidHash("hash output must be at least 32 bytes"));
    }
    Ok(parsed)
}

/// What `create_from_hash` is given besides the fields `create` takes.
#[derive(Debug, Clone, Copy)]
pub struct FromHash<'a> {
    /// The id of the minted password (12 base62 characters).
    pub id: &'a str,
    /// Its PHC string.
    pub phc: &'a str,
}

impl<S: Store, C: Clock, R: RandomSource> AppPasswords<S, C, R> {
    /// Stores a password minted elsewhere (see [`mint`]) from its id and PHC string, with the
    /// same checks of user, label, scopes, expiry and per-user cap as `create`, the same two
    /// writes, and at most the same store calls (one `list`, one `get_many`, two `put`).
    /// Nothing is read or written before the hash and the arguments pass their checks.
    ///
    /// # Errors
    /// [`Error::InvalidHash`] for an id of the wrong shape, an id in use (or revoked), or a hash
    /// `create` would not have written ([`check_minted_hash`]); [`Error::InvalidArgument`] when
    /// the service has a pepper (the minting side cannot hash with it); and every error of
    /// `create`.
    pub async fn create_from_hash(&self, new: NewAppPassword<'_>, minted: FromHash<'_>) -> Result<Listed> {
        self.drive(CreateFromHash::new(new, &CaveatSpec::default(), minted)).await
    }

    /// [`AppPasswords::create_from_hash`] with caveats, checked and stored as
    /// `create_with_caveats` does (with `maxUses`, one `increment` more: five calls at most).
    ///
    /// # Errors
    /// As [`AppPasswords::create_from_hash`] and `create_with_caveats`.
    pub async fn create_from_hash_with_caveats(
        &self,
        new: NewAppPassword<'_>,
        caveats: &CaveatSpec<'_>,
        minted: FromHash<'_>,
    ) -> Result<Listed> {
        self.drive(CreateFromHash::new(new, caveats, minted)).await
    }
}

/// The checks of a minted password before anything else: a service without a pepper, an id
/// of the right shape, a hash `create` could have written. Returns the PHC string as parsed
/// and written back: one canonical form in the store.
pub(crate) fn check_minted<S, C: Clock, R: RandomSource>(
    service: &AppPasswords<S, C, R>,
    id: &str,
    phc: &str,
) -> Result<String> {
    if service.hasher.has_pepper() {
        return Err(Error::InvalidArgument("createFromHash needs a service without a pepper"));
    }
    if !is_id(id) || id == DUMMY_ID {
        return Err(Error::InvalidHash("id must be 12 base62 characters"));
    }
    Ok(ok!(check_minted_hash(phc, &service.config.hashing)).to_phc())
}

/// [`AppPasswords::create_from_hash`] and [`AppPasswords::create_from_hash_with_caveats`] as a
/// [`Machine`]: `create`'s checks and writes, with the minted id read once instead of drawn.
pub struct CreateFromHash(NewRecord);

impl CreateFromHash {
    /// `create_from_hash_with_caveats` (`create_from_hash`: no caveats).
    #[must_use]
    pub fn new(new: NewAppPassword<'_>, caveats: &CaveatSpec<'_>, minted: FromHash<'_>) -> Self {
        let source = Source::Minted { id: minted.id.to_owned(), phc: minted.phc.to_owned() };
        Self(NewRecord::new(new, caveats, source))
    }
}

impl<S, C: Clock, R: RandomSource> Machine<S, C, R> for CreateFromHash {
    /// The stored password as `list` shows it.
    type Output = Listed;

    fn step(&mut self, service: &AppPasswords<S, C, R>, reply: Option<Result<Reply>>) -> Result<Step<Listed>> {
        let (record, granted, _) = output!(self.0.step(service, reply));
        // Just written: never used, enabled, replacing nothing.
        Ok(Step::Done(Listed::of(record, service.config.catalog.names(&granted), None, true)))
    }
}
