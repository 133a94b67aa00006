//! `parse_basic` on arbitrary header values: never panics, stays within its bound, and what it
//! accepts re-encodes (`basic_header`) to the same credentials. The other way round too: the
//! input split at its first newline as (user, password) survives `basic_header` then
//! `parse_basic` whenever the user has no colon and the header fits the bound.
#![no_main]

use app_passwords::basic_auth::MAX_HEADER_LEN;
use app_passwords::{BasicAuthError, basic_header, parse_basic};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };

    match parse_basic(Some(text)) {
        Ok(creds) => {
            assert!(text.trim().len() <= MAX_HEADER_LEN);
            assert!(!creds.username.contains(':'), "the user-id ends at the first colon");
            let header = basic_header(&creds.username, &creds.password);
            // Canonical base64 of the same bytes is never longer than what was accepted.
            assert!(header.len() <= text.trim().len(), "{header:?} longer than {text:?}");
            let again = match parse_basic(Some(&header)) {
                Ok(c) => c,
                Err(e) => panic!("re-encoded header {header:?} refused: {e:?}"),
            };
            assert_eq!(again.username, creds.username);
            assert_eq!(*again.password, *creds.password);
        }
        Err(BasicAuthError::Missing) => assert!(text.trim().is_empty()),
        Err(BasicAuthError::TooLong) => assert!(text.trim().len() > MAX_HEADER_LEN),
        Err(_) => {}
    }

    if let Some((user, pass)) = text.split_once('\n') {
        let header = basic_header(user, pass);
        if !user.contains(':') && header.len() <= MAX_HEADER_LEN {
            match parse_basic(Some(&header)) {
                Ok(c) => {
                    assert_eq!(c.username, user);
                    assert_eq!(c.password.as_str(), pass);
                }
                Err(e) => panic!("basic_header({user:?}, ..) = {header:?} refused: {e:?}"),
            }
        }
    }
});
