//! Who is calling (server only): credential hashing now; sessions and the PIN quick switch
//! build on it.

pub mod password;
