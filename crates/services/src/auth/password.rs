//! Passwords and PINs, hashed with argon2id at OWASP's recommended parameters
//! (19 MiB memory, 2 iterations, 1 lane). Hashing runs on the blocking pool, never on the
//! async runtime's threads.

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Algorithm, Argon2, Params, Version,
};

/// A secret as typed by a person. Not `Debug`-printable and not serialisable.
pub struct Secret(String);

impl Secret {
    pub fn new(text: impl Into<String>) -> Self {
        Secret(text.into())
    }

    fn expose(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("a password needs at least {0} characters")]
    TooShort(usize),
    #[error("a password can have at most {0} characters")]
    TooLong(usize),
    #[error("a PIN is 4 to 8 digits")]
    BadPin,
    #[error("hashing failed")]
    Hashing,
}

pub const MIN_PASSWORD_LEN: usize = 10;
pub const MAX_PASSWORD_LEN: usize = 128;

fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("OWASP argon2id parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn check_password_rules(password: &Secret) -> Result<(), PasswordError> {
    let length = password.expose().chars().count();
    if length < MIN_PASSWORD_LEN {
        return Err(PasswordError::TooShort(MIN_PASSWORD_LEN));
    }
    if length > MAX_PASSWORD_LEN {
        return Err(PasswordError::TooLong(MAX_PASSWORD_LEN));
    }
    Ok(())
}

pub fn check_pin_rules(pin: &Secret) -> Result<(), PasswordError> {
    let pin = pin.expose();
    if (4..=8).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(PasswordError::BadPin)
    }
}

/// Hashes a secret into a PHC string, off the async runtime.
pub async fn hash(secret: Secret) -> Result<String, PasswordError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        hasher()
            .hash_password(secret.expose().as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|_| PasswordError::Hashing)
    })
    .await
    .map_err(|_| PasswordError::Hashing)?
}

/// Verifies a secret against a stored PHC string, off the async runtime. Returns false for
/// a malformed stored hash rather than failing.
pub async fn verify(secret: Secret, stored: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored)
            .map(|parsed| {
                hasher()
                    .verify_password(secret.expose().as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hashed_password_verifies_and_a_wrong_one_does_not() {
        let stored = hash(Secret::new("correct horse battery")).await.unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify(Secret::new("correct horse battery"), stored.clone()).await);
        assert!(!verify(Secret::new("correct horse battery!"), stored).await);
    }

    #[tokio::test]
    async fn a_malformed_stored_hash_never_verifies() {
        assert!(!verify(Secret::new("anything"), "not a hash".to_string()).await);
    }

    #[test]
    fn pins_are_four_to_eight_digits() {
        assert!(check_pin_rules(&Secret::new("1234")).is_ok());
        assert!(check_pin_rules(&Secret::new("12345678")).is_ok());
        assert!(check_pin_rules(&Secret::new("123")).is_err());
        assert!(check_pin_rules(&Secret::new("123456789")).is_err());
        assert!(check_pin_rules(&Secret::new("12a4")).is_err());
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(matches!(
            check_password_rules(&Secret::new("short")),
            Err(PasswordError::TooShort(10))
        ));
        assert!(check_password_rules(&Secret::new("long enough now")).is_ok());
    }
}
