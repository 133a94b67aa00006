//! The one error type of the crate.
//!
//! Each variant has a stable [`Error::code`] string: the JavaScript bindings put it on
//! `AppPasswordError.code`, and hosts branch on it. A wrong password is *not* an error:
//! [`crate::VerifyResult`] reports it. Errors are for bad arguments and for a host store that
//! failed, and they never carry a secret.

use core::fmt;

/// What went wrong, with a stable code. Messages never contain a password or a hash.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The label is empty, too long, or contains control characters.
    InvalidLabel(&'static str),
    /// The username is empty, too long, or contains a colon or control characters.
    InvalidUser(&'static str),
    /// A scope name is not in the catalogue.
    UnknownScope(String),
    /// A scope exists but may never be granted to an app password (docs/design.md#grantable-and-not-grantable).
    ScopeNotGrantable(String),
    /// A password must hold at least one scope (docs/design.md#scopes-are-fixed-at-creation).
    NoScopes,
    /// Too many scopes were named in one call.
    TooManyScopes,
    /// The password prefix is not `[a-z][a-z0-9]{0,15}`.
    InvalidPrefix,
    /// `expiresAt` is not in the future, or not a valid time.
    InvalidExpiry,
    /// Argon2 parameters out of the accepted range.
    InvalidHashParams(&'static str),
    /// A scope catalogue that cannot be used (duplicate names, unknown implication, ...).
    InvalidCatalog(String),
    /// A compact scope encoding that does not decode strictly.
    InvalidScopeEncoding(&'static str),
    /// A PHC string that cannot be read.
    InvalidHash(&'static str),
    /// The operating system's random source failed.
    RandomUnavailable,
    /// The host store threw or rejected an operation.
    StoreUnavailable(String),
    /// The host store returned something that is not a valid record.
    StoreCorrupt(String),
    /// The host store did not answer in time.
    StoreTimeout,
    /// Could not find a free id after several tries (a broken random source or store).
    IdCollision,
    /// The user already holds `maxPerUser` passwords: revoke one first.
    TooManyPasswords,
    /// The store has no atomic `increment`, and the operation needs one.
    StoreLacksAtomic,
    /// A setting or argument outside its documented range.
    InvalidArgument(&'static str),
    /// A caveat given to `create` that cannot be used (docs/design.md#caveats).
    InvalidCaveat(&'static str),
    /// The password already has a replacement (docs/design.md#rotation): rotate the replacement.
    AlreadyRotated,
}

impl Error {
    /// Every code [`Error::code`] can return, in declaration order. The npm package's
    /// TypeScript union (`pkg-template/index.d.ts`) is checked equal to it by
    /// `tests/error_codes.rs`.
    pub const ALL_CODES: [&'static str; 22] = [
        "invalid_label",
        "invalid_user",
        "unknown_scope",
        "scope_not_grantable",
        "no_scopes",
        "too_many_scopes",
        "invalid_prefix",
        "invalid_expiry",
        "invalid_hash_params",
        "invalid_catalog",
        "invalid_scope_encoding",
        "invalid_hash",
        "random_unavailable",
        "store_unavailable",
        "store_corrupt",
        "store_timeout",
        "id_collision",
        "too_many_passwords",
        "store_lacks_atomic",
        "invalid_argument",
        "invalid_caveat",
        "already_rotated",
    ];

    /// The stable, machine-readable code of this error.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::InvalidLabel(_) => "invalid_label",
            Self::InvalidUser(_) => "invalid_user",
            Self::UnknownScope(_) => "unknown_scope",
            Self::ScopeNotGrantable(_) => "scope_not_grantable",
            Self::NoScopes => "no_scopes",
            Self::TooManyScopes => "too_many_scopes",
            Self::InvalidPrefix => "invalid_prefix",
            Self::InvalidExpiry => "invalid_expiry",
            Self::InvalidHashParams(_) => "invalid_hash_params",
            Self::InvalidCatalog(_) => "invalid_catalog",
            Self::InvalidScopeEncoding(_) => "invalid_scope_encoding",
            Self::InvalidHash(_) => "invalid_hash",
            Self::RandomUnavailable => "random_unavailable",
            Self::StoreUnavailable(_) => "store_unavailable",
            Self::StoreCorrupt(_) => "store_corrupt",
            Self::StoreTimeout => "store_timeout",
            Self::IdCollision => "id_collision",
            Self::TooManyPasswords => "too_many_passwords",
            Self::StoreLacksAtomic => "store_lacks_atomic",
            Self::InvalidArgument(_) => "invalid_argument",
            Self::InvalidCaveat(_) => "invalid_caveat",
            Self::AlreadyRotated => "already_rotated",
        }
    }
}

impl Error {
    /// The message in up to three pieces: text, the variant's detail, text. Joined by
    /// [`Error::message`] and `Display` without `core::fmt`, which the wasm build leaves out
    /// (docs/BUILD-KNOBS.md).
    fn pieces(&self) -> [&str; 3] {
        match self {
            Self::InvalidLabel(why) => ["invalid label: ", why, ""],
            Self::InvalidUser(why) => ["invalid username: ", why, ""],
            Self::UnknownScope(name) => ["unknown scope \"", name, "\""],
            Self::ScopeNotGrantable(name) => ["scope \"", name, "\" can never be granted to an app password"],
            Self::NoScopes => ["an app password needs at least one scope", "", ""],
            Self::TooManyScopes => ["too many scopes", "", ""],
            Self::InvalidPrefix => ["prefix must match [a-z][a-z0-9]{0,15}", "", ""],
            Self::InvalidExpiry => ["expiresAt must be a time in the future", "", ""],
            Self::InvalidHashParams(why) => ["invalid Argon2 parameters: ", why, ""],
            Self::InvalidCatalog(why) => ["invalid scope catalogue: ", why, ""],
            Self::InvalidScopeEncoding(why) => ["invalid scope encoding: ", why, ""],
            Self::InvalidHash(why) => ["invalid PHC hash string: ", why, ""],
            Self::RandomUnavailable => ["the system random source failed", "", ""],
            Self::StoreUnavailable(why) => ["the key-value store failed: ", why, ""],
            Self::StoreCorrupt(why) => ["the key-value store returned bad data: ", why, ""],
            Self::StoreTimeout => ["the key-value store did not answer in time", "", ""],
            Self::IdCollision => ["could not allocate a unique id", "", ""],
            Self::TooManyPasswords => ["this user already has the most app passwords allowed (maxPerUser)", "", ""],
            Self::StoreLacksAtomic => ["the key-value store has no atomic increment", "", ""],
            Self::InvalidArgument(why) => ["invalid argument: ", why, ""],
            Self::InvalidCaveat(why) => ["invalid caveat: ", why, ""],
            Self::AlreadyRotated => {
                ["this app password already has a replacement: rotate the replacement, or revoke it", "", ""]
            }
        }
    }

    /// The human-readable message (what `Display` writes). Never holds a secret.
    #[must_use]
    pub fn message(&self) -> String {
        self.pieces().concat()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.pieces().iter().try_for_each(|piece| f.write_str(piece))
    }
}

impl std::error::Error for Error {}

/// The crate's result type.
pub type Result<T, E = Error> = core::result::Result<T, E>;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::Error;

    /// One value of every variant: a new variant fails to compile here until it is added.
    fn every_variant() -> Vec<Error> {
        let all = vec![
            Error::InvalidLabel(""),
            Error::InvalidUser(""),
            Error::UnknownScope(String::new()),
            Error::ScopeNotGrantable(String::new()),
            Error::NoScopes,
            Error::TooManyScopes,
            Error::InvalidPrefix,
            Error::InvalidExpiry,
            Error::InvalidHashParams(""),
            Error::InvalidCatalog(String::new()),
            Error::InvalidScopeEncoding(""),
            Error::InvalidHash(""),
            Error::RandomUnavailable,
            Error::StoreUnavailable(String::new()),
            Error::StoreCorrupt(String::new()),
            Error::StoreTimeout,
            Error::IdCollision,
            Error::TooManyPasswords,
            Error::StoreLacksAtomic,
            Error::InvalidArgument(""),
            Error::InvalidCaveat(""),
            Error::AlreadyRotated,
        ];
        for e in &all {
            // Exhaustive: adding a variant breaks this match, and so points here.
            match e {
                Error::InvalidLabel(_)
                | Error::InvalidUser(_)
                | Error::UnknownScope(_)
                | Error::ScopeNotGrantable(_)
                | Error::NoScopes
                | Error::TooManyScopes
                | Error::InvalidPrefix
                | Error::InvalidExpiry
                | Error::InvalidHashParams(_)
                | Error::InvalidCatalog(_)
                | Error::InvalidScopeEncoding(_)
                | Error::InvalidHash(_)
                | Error::RandomUnavailable
                | Error::StoreUnavailable(_)
                | Error::StoreCorrupt(_)
                | Error::StoreTimeout
                | Error::IdCollision
                | Error::TooManyPasswords
                | Error::StoreLacksAtomic
                | Error::InvalidArgument(_)
                | Error::InvalidCaveat(_)
                | Error::AlreadyRotated => {}
            }
        }
        all
    }

    #[test]
    fn all_codes_lists_every_variant_once() {
        let codes: Vec<&str> = every_variant().iter().map(Error::code).collect();
        assert_eq!(codes, Error::ALL_CODES);
        let mut unique = codes.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), codes.len(), "codes are unique");
    }
}
