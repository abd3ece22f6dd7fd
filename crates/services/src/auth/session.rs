//! Session tokens and lifetimes. The cookie carries a random token; the database stores only
//! its SHA-256, so reading the sessions table does not let anyone sign in.

use chrono::{DateTime, Duration, Utc};

pub const COOKIE_NAME: &str = "goodwill_session";
/// The cookie's name when served over https: the `__Host-` prefix makes browsers refuse it
/// unless it is `Secure`, has `Path=/` and no `Domain`, so a neighbouring subdomain cannot
/// plant or overwrite it.
pub const SECURE_COOKIE_NAME: &str = "__Host-goodwill_session";

/// The session cookie's name over https (`secure`) or plain http (development).
pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        SECURE_COOKIE_NAME
    } else {
        COOKIE_NAME
    }
}

/// How long sessions and tablet turns last.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionLimits {
    /// A personal session ends after this long without a request.
    pub idle: Duration,
    /// …and after this long in any case.
    pub absolute: Duration,
    /// A shared tablet stays set up this long.
    pub tablet_absolute: Duration,
    /// On a tablet, the acting person's turn ends after this long without a deliberate
    /// action (polling and live updates do not count) and the tablet returns to the picker.
    pub tablet_turn_idle: Duration,
    /// …and after this long in any case.
    pub tablet_turn_max: Duration,
}

impl Default for SessionLimits {
    fn default() -> Self {
        Self {
            idle: Duration::hours(2),
            absolute: Duration::hours(12),
            tablet_absolute: Duration::days(14),
            tablet_turn_idle: Duration::seconds(120),
            tablet_turn_max: Duration::minutes(30),
        }
    }
}

/// Is a session still valid at `now`?
pub fn is_live(
    limits: &SessionLimits,
    tablet: bool,
    last_seen: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    revoked: bool,
    now: DateTime<Utc>,
) -> bool {
    // A tablet sits idle between customers for hours: only its absolute limit applies.
    !revoked && now < expires_at && (tablet || now < last_seen + limits.idle)
}

/// A new random session token (256 bits, hex).
pub fn new_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A tablet turn's token: derived from the tablet's session token (which only that device
/// holds) and the turn's random salt, so the server can hand it to the device again on any
/// page of the turn without storing it. Only its SHA-256 is stored.
pub fn turn_token(session_token: &str, salt: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(format!("goodwill-turn\n{session_token}\n{salt}"))
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The `Set-Cookie` value for a session token; `secure` when served over https.
pub fn cookie(token: &str, max_age: Duration, secure: bool) -> String {
    format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        cookie_name(secure),
        max_age.num_seconds(),
        if secure { "; Secure" } else { "" }
    )
}

pub fn clearing_cookie(secure: bool) -> String {
    cookie("", Duration::zero(), secure)
}

/// The organisation this device last signed in to (its short name), so that the sign-in form
/// asks for it only once per device. Not a secret: what the person typed.
pub const ORGANISATION_COOKIE: &str = "goodwill_organisation";

/// The `Set-Cookie` value remembering the organisation for a year.
pub fn organisation_cookie(slug: &str, secure: bool) -> Option<String> {
    let slug = slug.trim().to_lowercase();
    is_slug(&slug).then(|| {
        format!(
            "{ORGANISATION_COOKIE}={slug}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
            Duration::days(365).num_seconds(),
            if secure { "; Secure" } else { "" }
        )
    })
}

/// The remembered organisation from a `Cookie` request header, if it is a well-formed one.
pub fn organisation_from_cookie_header(header: &str) -> Option<&str> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == ORGANISATION_COOKIE)
        .map(|(_, value)| value)
        .filter(|value| is_slug(value))
}

/// An organisation's short name as it may appear in a cookie: lower-case letters, digits and
/// dashes, at most 64.
fn is_slug(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 64
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The session token from a `Cookie` request header, if any: over https only the `__Host-`
/// cookie counts.
pub fn token_from_cookie_header(header: &str, secure: bool) -> Option<&str> {
    let wanted = cookie_name(secure);
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == wanted)
        .map(|(_, value)| value)
        .filter(|value| value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_remembered_organisation_is_a_short_name_or_nothing() {
        let set = organisation_cookie(" Harbour ", true).unwrap();
        assert!(set.starts_with("goodwill_organisation=harbour; Path=/; HttpOnly"));
        assert!(set.ends_with("; Secure"));
        assert_eq!(organisation_cookie("a;b=c", false), None);
        assert_eq!(organisation_cookie("", false), None);
        assert_eq!(
            organisation_from_cookie_header("a=1; goodwill_organisation=harbour-hotels"),
            Some("harbour-hotels")
        );
        assert_eq!(
            organisation_from_cookie_header("goodwill_organisation=<script>"),
            None
        );
        assert_eq!(
            organisation_from_cookie_header("goodwill_session=abc"),
            None
        );
    }

    fn t(hour: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 0, 0, 0).unwrap() + Duration::hours(hour)
    }

    #[test]
    fn a_personal_session_ends_when_idle_or_at_its_absolute_limit() {
        let limits = SessionLimits::default();
        assert!(is_live(&limits, false, t(1), t(12), false, t(2)));
        assert!(
            !is_live(&limits, false, t(1), t(12), false, t(4)),
            "idle for 3 hours"
        );
        assert!(
            !is_live(&limits, false, t(11), t(12), false, t(12)),
            "absolute limit"
        );
        assert!(!is_live(&limits, false, t(1), t(12), true, t(1)), "revoked");
    }

    #[test]
    fn a_tablet_session_survives_quiet_hours() {
        let limits = SessionLimits::default();
        assert!(is_live(&limits, true, t(1), t(300), false, t(20)));
    }

    #[test]
    fn tokens_are_random_and_only_their_hash_is_stored() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }

    #[test]
    fn the_token_is_read_from_the_cookie_header_and_garbage_is_ignored() {
        let token = new_token();
        let header = format!("theme=dark; {COOKIE_NAME}={token}; other=1");
        assert_eq!(
            token_from_cookie_header(&header, false),
            Some(token.as_str())
        );
        assert_eq!(
            token_from_cookie_header(&format!("{COOKIE_NAME}=../../etc"), false),
            None
        );
        assert_eq!(token_from_cookie_header("theme=dark", false), None);
        // Over https the plain name is not enough: only the __Host- cookie counts.
        assert_eq!(token_from_cookie_header(&header, true), None);
        let secure = format!("{SECURE_COOKIE_NAME}={token}");
        assert_eq!(
            token_from_cookie_header(&secure, true),
            Some(token.as_str())
        );
    }

    #[test]
    fn the_cookie_is_http_only_and_same_site_lax() {
        let value = cookie("abc", Duration::hours(1), true);
        assert!(
            value.contains("HttpOnly")
                && value.contains("SameSite=Lax")
                && value.contains("Secure")
        );
        assert!(value.starts_with("__Host-goodwill_session=abc; Path=/;"));
        assert!(!value.contains("Domain"));
        assert!(!cookie("abc", Duration::hours(1), false).contains("Secure"));
    }
}
