//! Passwords and PINs, hashed with argon2id at OWASP's recommended parameters
//! (19 MiB memory, 2 iterations, 1 lane). Hashing runs on the blocking pool, never on the
//! async runtime's threads, and at most [`HASHING_SLOTS`] at once: each hash holds 19 MiB
//! while it runs, so a burst of sign-ins would otherwise grow the server's memory without
//! bound. An attempt that cannot get a slot within [`HASHING_WAIT`] is answered "busy"
//! (503) at once rather than queued.
//!
//! The hashes run on [`HASHING_SLOTS`] threads of their own, not on tokio's blocking pool:
//! the allocator keeps a freed 19 MiB block in the arena of the thread that used it, so
//! hashes spread over the blocking pool's many threads left the server hundreds of MiB larger
//! after a burst even with only four running at a time (measured with `bench sign-ins`; the
//! server also fixes the allocator's threshold for returning large blocks, `server::memory`).
//! A few long-lived threads reuse their own blocks. (A handful of threads fed by a channel:
//! no thread-pool crate is needed for that.)

use std::time::Duration;

use tokio::sync::Semaphore;

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
    #[error("too many sign-ins at once")]
    Busy,
}

/// Hashes running at once: 4 × 19 MiB of working memory at most.
pub const HASHING_SLOTS: usize = 4;
/// How long an attempt waits for a slot before it is answered "busy".
pub const HASHING_WAIT: Duration = Duration::from_secs(2);
static HASHING: Semaphore = Semaphore::const_new(HASHING_SLOTS);

type Job = Box<dyn FnOnce() + Send>;

/// The hashing threads' queue: started on first use, one thread per slot.
fn hashing_threads() -> &'static std::sync::Mutex<std::sync::mpsc::Sender<Job>> {
    static QUEUE: std::sync::OnceLock<std::sync::Mutex<std::sync::mpsc::Sender<Job>>> =
        std::sync::OnceLock::new();
    QUEUE.get_or_init(|| {
        let (sender, receiver) = std::sync::mpsc::channel::<Job>();
        let receiver = std::sync::Arc::new(std::sync::Mutex::new(receiver));
        for n in 0..HASHING_SLOTS {
            let receiver = receiver.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || loop {
                    let job = match receiver.lock() {
                        Ok(queue) => queue.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                })
                .expect("a hashing thread starts");
        }
        std::sync::Mutex::new(sender)
    })
}

/// Runs `work` on a hashing thread once one of `slots` is free.
async fn in_slot<T: Send + 'static>(
    slots: &Semaphore,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, PasswordError> {
    let _slot = tokio::time::timeout(HASHING_WAIT, slots.acquire())
        .await
        .map_err(|_| PasswordError::Busy)?
        .map_err(|_| PasswordError::Busy)?;
    let (answer, answered) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = answer.send(work());
    });
    hashing_threads()
        .lock()
        .map_err(|_| PasswordError::Hashing)?
        .send(job)
        .map_err(|_| PasswordError::Hashing)?;
    answered.await.map_err(|_| PasswordError::Hashing)
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
    in_slot(&HASHING, move || {
        let salt = SaltString::generate(&mut OsRng);
        hasher()
            .hash_password(secret.expose().as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|_| PasswordError::Hashing)
    })
    .await?
}

/// Verifies a secret against a stored PHC string, off the async runtime. A malformed stored
/// hash never verifies; only a full machine ([`PasswordError::Busy`]) is an error.
pub async fn verify(secret: Secret, stored: String) -> Result<bool, PasswordError> {
    verify_in(&HASHING, secret, stored).await
}

async fn verify_in(
    slots: &Semaphore,
    secret: Secret,
    stored: String,
) -> Result<bool, PasswordError> {
    in_slot(slots, move || {
        PasswordHash::new(&stored)
            .map(|parsed| {
                hasher()
                    .verify_password(secret.expose().as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hashed_password_verifies_and_a_wrong_one_does_not() {
        let stored = hash(Secret::new("correct horse battery")).await.unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify(Secret::new("correct horse battery"), stored.clone())
            .await
            .unwrap());
        assert!(!verify(Secret::new("correct horse battery!"), stored)
            .await
            .unwrap());
    }

    #[tokio::test]
    async fn a_malformed_stored_hash_never_verifies() {
        assert!(!verify(Secret::new("anything"), "not a hash".to_string())
            .await
            .unwrap());
    }

    #[tokio::test]
    async fn a_full_machine_answers_busy_instead_of_queueing() {
        let stored = hash(Secret::new("correct horse battery")).await.unwrap();
        // Every slot taken (as by a burst of sign-ins still hashing). A machine of its own,
        // so that the other tests' hashes are not turned away meanwhile.
        let slots = Semaphore::new(HASHING_SLOTS);
        let all = slots.acquire_many(HASHING_SLOTS as u32).await.unwrap();
        let started = std::time::Instant::now();
        let refused = verify_in(&slots, Secret::new("correct horse battery"), stored.clone()).await;
        assert!(matches!(refused, Err(PasswordError::Busy)), "{refused:?}");
        assert!(started.elapsed() >= HASHING_WAIT);
        drop(all);
        assert!(
            verify_in(&slots, Secret::new("correct horse battery"), stored)
                .await
                .unwrap()
        );
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
