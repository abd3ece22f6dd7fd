//! Who is calling (server only): credential hashing, session tokens and lifetimes, and the
//! throttling of sign-in attempts. The server functions in `api::session` use these.

pub mod password;
pub mod session;
pub mod throttle;
