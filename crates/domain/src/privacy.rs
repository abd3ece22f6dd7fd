//! Customers' personal data: how a customer reference is matched, how long personal fields
//! are kept, and what an erasure needs. See docs/PRIVACY.md.
//!
//! A recovery's personal fields — the customer reference and the free text (what went
//! wrong, the cause note, the follow-up note) — live apart from the ledger so that they can be
//! redacted while amounts, dates, people and statuses stay as they were.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::text::{clean_line, shown};

/// How far back the tablet and the approval queue look for a customer's earlier recoveries.
pub const HISTORY_DAYS: i64 = 14;
/// At most this many earlier recoveries are shown for one reference.
pub const HISTORY_LIMIT: i64 = 20;

/// Days personal fields are kept when an organisation has not chosen (about 13 months: a
/// year of seasonal returns plus a month to settle disputes).
pub const DEFAULT_RETENTION_DAYS: i64 = 400;
/// The shortest retention an organisation may choose: long enough to settle a dispute.
pub const MIN_RETENTION_DAYS: i64 = 30;
/// The longest: ten years, beyond any statutory period for service records.
pub const MAX_RETENTION_DAYS: i64 = 3_650;

/// The form in which customer references are compared: ASCII letters lower-cased and every
/// whitespace character removed, so "Room 807", "room807" and " ROOM 807 " name the same
/// customer. Other characters are kept ("807-B" is not "807B"): a reference is an
/// identifier, not prose. `None` when nothing is left.
pub fn customer_key(reference: &str) -> Option<String> {
    let key: String = reference
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (!key.is_empty()).then_some(key)
}

/// Checks an organisation's retention period in days.
pub fn retention_days(days: i64) -> Result<i64, PrivacyError> {
    if (MIN_RETENTION_DAYS..=MAX_RETENTION_DAYS).contains(&days) {
        Ok(days)
    } else {
        Err(PrivacyError::Retention(days))
    }
}

/// Personal fields recorded before this instant are past their retention period.
pub fn retention_cutoff(now: DateTime<Utc>, days: i64) -> DateTime<Utc> {
    now - Duration::days(days)
}

/// The start of the customer-history window.
pub fn history_since(now: DateTime<Utc>) -> DateTime<Utc> {
    now - Duration::days(HISTORY_DAYS)
}

/// A data subject's request as an admin enters it: whose data (the reference as the
/// customer gave it) and optionally which dates (the days the recoveries were logged for).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubjectSearch {
    pub key: String,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// Checks a search for a data subject's recoveries.
pub fn subject_search(
    reference: &str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<SubjectSearch, PrivacyError> {
    let key = customer_key(reference).ok_or(PrivacyError::NoReference)?;
    if let (Some(from), Some(to)) = (from, to) {
        if from > to {
            return Err(PrivacyError::Dates { from, to });
        }
    }
    Ok(SubjectSearch { key, from, to })
}

/// The longest reason an erasure may carry.
pub const REASON_MAX: usize = 500;

/// Checks the reason recorded with an erasure. It is kept in the redaction and audit logs,
/// so it must say why, and must not carry what is erased: a reason that names the customer
/// reference (compared as references are, `key`) is refused.
pub fn erasure_reason(reason: &str, key: &str) -> Result<String, PrivacyError> {
    let reason = clean_line(reason);
    if reason.is_empty() {
        return Err(PrivacyError::NoReason);
    }
    if reason.chars().count() > REASON_MAX {
        return Err(PrivacyError::LongReason(shown(&reason)));
    }
    if customer_key(&reason).is_some_and(|r| r.contains(key)) {
        return Err(PrivacyError::ReasonNamesCustomer);
    }
    Ok(reason)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrivacyError {
    #[error(
        "Keep personal data between {MIN_RETENTION_DAYS} and {MAX_RETENTION_DAYS} days, not {0}."
    )]
    Retention(i64),
    #[error("Enter the customer reference to search for.")]
    NoReference,
    #[error("The date range runs backwards: {from} is after {to}.")]
    Dates { from: NaiveDate, to: NaiveDate },
    #[error("Say why the data is erased (for example \"guest's request of 3 May, ticket 118\").")]
    NoReason,
    #[error("Keep the reason under {REASON_MAX} characters (\"{0}\" is longer).")]
    LongReason(String),
    #[error("Leave the customer reference out of the reason: the reason is kept after the data is erased.")]
    ReasonNamesCustomer,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn references_match_whatever_the_spacing_and_case() {
        assert_eq!(customer_key("Room 807").as_deref(), Some("room807"));
        assert_eq!(customer_key(" ROOM\t807 "), customer_key("room807"));
        assert_ne!(customer_key("807-B"), customer_key("807B"));
        assert_eq!(customer_key("   "), None);
        assert_eq!(customer_key(""), None);
        // Only ASCII is folded: both databases and every browser agree on that.
        assert_eq!(customer_key("Ünal").as_deref(), Some("Ünal"));
    }

    #[test]
    fn retention_stays_within_its_bounds() {
        assert_eq!(retention_days(400), Ok(400));
        assert_eq!(retention_days(MIN_RETENTION_DAYS), Ok(MIN_RETENTION_DAYS));
        assert_eq!(retention_days(MAX_RETENTION_DAYS), Ok(MAX_RETENTION_DAYS));
        assert_eq!(retention_days(29), Err(PrivacyError::Retention(29)));
        assert_eq!(retention_days(0), Err(PrivacyError::Retention(0)));
        assert_eq!(retention_days(-1), Err(PrivacyError::Retention(-1)));
        assert_eq!(
            retention_days(i64::MAX),
            Err(PrivacyError::Retention(i64::MAX))
        );
    }

    #[test]
    fn the_cutoff_is_exactly_n_days_back() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
        assert_eq!(
            retention_cutoff(now, 400),
            Utc.with_ymd_and_hms(2025, 10, 27, 10, 0, 0).unwrap()
        );
        assert_eq!(
            history_since(now),
            Utc.with_ymd_and_hms(2026, 11, 17, 10, 0, 0).unwrap()
        );
    }

    #[test]
    fn a_search_needs_a_reference_and_dates_in_order() {
        let d = |day| NaiveDate::from_ymd_opt(2026, 11, day).unwrap();
        assert_eq!(
            subject_search(" Room 807 ", Some(d(1)), Some(d(30))),
            Ok(SubjectSearch {
                key: "room807".into(),
                from: Some(d(1)),
                to: Some(d(30))
            })
        );
        assert_eq!(
            subject_search("  ", None, None),
            Err(PrivacyError::NoReference)
        );
        assert_eq!(
            subject_search("807", Some(d(30)), Some(d(1))),
            Err(PrivacyError::Dates {
                from: d(30),
                to: d(1)
            })
        );
        assert!(subject_search("807", Some(d(1)), Some(d(1))).is_ok());
    }

    #[test]
    fn an_erasure_says_why_briefly_and_without_the_reference() {
        let key = "room807";
        assert_eq!(erasure_reason("  \n ", key), Err(PrivacyError::NoReason));
        assert_eq!(
            erasure_reason("Guest asked,\n ticket 118", key).as_deref(),
            Ok("Guest asked, ticket 118")
        );
        assert!(matches!(
            erasure_reason(&"x".repeat(REASON_MAX + 1), key),
            Err(PrivacyError::LongReason(_))
        ));
        assert!(erasure_reason(&"x".repeat(REASON_MAX), key).is_ok());
        // The reference, however it is spaced or cased, may not be copied into the log.
        for named in ["Erase ROOM 807 please", "room807", "asked by Room  807"] {
            assert_eq!(
                erasure_reason(named, key),
                Err(PrivacyError::ReasonNamesCustomer),
                "{named}"
            );
        }
    }
}
