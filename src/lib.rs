#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod basic_auth;
pub mod cache;
mod canary;
pub mod caveat;
pub mod clock;
pub mod config;
mod create;
pub mod enable;
pub mod error;
mod follow_up;
pub mod hash;
pub mod io;
pub mod json;
pub mod leak;
pub mod list;
pub mod marker;
pub mod mint;
pub mod password;
pub mod record;
pub mod revoke;
pub mod rotate;
pub mod scope;
pub mod service;
pub mod store;
mod touch;
pub mod verify;

pub use basic_auth::{BasicAuthError, BasicCredentials, basic_header, parse_basic};
pub use cache::CacheConfig;
pub use canary::CanaryUse;
pub use caveat::{CaveatSpec, Caveats, RequestContext};
#[cfg(not(target_arch = "wasm32"))]
pub use clock::SystemClock;
pub use clock::{Clock, Millis};
pub use config::Config;
pub use error::{Error, Result};
pub use follow_up::FollowUp;
pub use hash::{HashParams, Hasher, PhcHash, hash_password, verify_password_hash};
pub use leak::LeakReport;
pub use mint::{FromHash, Minted, check_minted_hash, mint};
pub use password::{
    Malformed, OsRandom, ParsedPassword, Password, PooledOsRandom, Prefix, RandomSource, generate, is_id,
    looks_like_app_password, parse,
};
pub use record::{IndexEntry, Record};
pub use scope::{Catalog, Scope, ScopeDef, ScopeSet};
pub use service::{AppPasswords, Created, Listed, NewAppPassword};
pub use store::{ListPage, MemoryStore, Store};
pub use verify::{Credentials, Granted, Purpose, Reason, Refusal, RefusalCode, VerifyRequest, VerifyResult};
