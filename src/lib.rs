#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod basic_auth;
pub mod cache;
pub mod error;
pub mod hash;
mod json;
pub mod password;
pub mod record;
pub mod scope;
pub mod service;
pub mod store;

pub use basic_auth::{BasicAuthError, BasicCredentials, basic_header, parse_basic};
pub use cache::CacheConfig;
pub use error::{Error, Result};
pub use hash::{HashParams, Hasher, PhcHash, hash_password, verify_password_hash};
pub use password::{
    Malformed, OsRandom, ParsedPassword, Password, PooledOsRandom, Prefix, RandomSource, generate,
    looks_like_app_password, parse,
};
pub use record::{IndexEntry, Record};
pub use scope::{Catalog, Scope, ScopeDef, ScopeSet};
#[cfg(not(target_arch = "wasm32"))]
pub use service::SystemClock;
pub use service::{
    AppPasswords, Clock, Config, Created, FollowUp, Granted, Listed, Millis, NewAppPassword, Purpose, Reason, Refusal,
    RefusalCode, VerifyRequest, VerifyResult,
};
pub use store::{ListPage, MemoryStore, Store};
