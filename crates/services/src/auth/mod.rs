//! Who is calling (server only): credential hashing, session tokens and lifetimes, and the
//! throttling of sign-in attempts. The session use cases (`crate::session`) use these; the web
//! layer builds its `Set-Cookie` header text with `session::cookie`.

pub mod password;
pub mod session;
pub mod throttle;
