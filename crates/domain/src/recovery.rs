//! What a recovery records, and how a raw form becomes a valid [`NewRecovery`].
//!
//! Validation collects every problem at once, one message per field, so the
//! tablet can show each next to its input and a busy person fixes everything
//! in one pass. The same code runs in the browser and on the server.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use thiserror::Error;

use super::money::{parse_amount, Currency, MoneyError};
use super::text::{char_count, clean_block, clean_line, slug_enum};

// What each choice is called in "Choose …" messages.
const TOUCHPOINT: &str = "a touchpoint";
const CHANNEL: &str = "a channel";
const CATEGORY: &str = "a category";
const SEVERITY: &str = "a severity";
const REMEDY: &str = "what was done";
const REACTION: &str = "how the customer reacted";
const CAUSE: &str = "a cause";

slug_enum! {
    /// How the customer reached us, or we them.
    pub enum Channel {
        InPerson = "in-person", "In person";
        Phone = "phone", "Phone";
        Email = "email", "Email";
        Chat = "chat", "Chat";
        Social = "social", "Social media";
    }
    unknown(text) -> RecoveryError { RecoveryError::NotInList(CHANNEL) }
}

slug_enum! {
    /// What was done to make it right.
    pub enum RemedyType {
        Refund = "refund", "Refund";
        Discount = "discount", "Discount";
        ComplimentaryItem = "complimentary-item", "Complimentary item";
        Upgrade = "upgrade", "Upgrade";
        Amenity = "amenity", "Amenity";
        WaivedFee = "waived-fee", "Waived fee";
        FixOrApology = "fix-or-apology", "Fix or apology only";
        Other = "other", "Other";
    }
    unknown(text) -> RecoveryError { RecoveryError::NotInList(REMEDY) }
}

slug_enum! {
    /// How the customer took it.
    pub enum Reaction {
        Delighted = "delighted", "Delighted";
        Satisfied = "satisfied", "Satisfied";
        Neutral = "neutral", "Neutral";
        StillUnhappy = "still-unhappy", "Still unhappy";
    }
    unknown(text) -> RecoveryError { RecoveryError::NotInList(REACTION) }
}

slug_enum! {
    /// The suspected kind of root cause, for the learning loop.
    pub enum CauseKind {
        Process = "process", "Process";
        People = "people", "People";
        Product = "product", "Product";
        Policy = "policy", "Policy";
        System = "system", "System";
        Supplier = "supplier", "Supplier";
        CustomerVariability = "customer-variability", "Customer variability";
    }
    unknown(text) -> RecoveryError { RecoveryError::NotInList(CAUSE) }
}

slug_enum! {
    /// How badly the failure hurt the customer; ordered Low < Critical.
    #[derive(PartialOrd, Ord)]
    pub enum Severity {
        Low = "low", "Low";
        Medium = "medium", "Medium";
        High = "high", "High";
        Critical = "critical", "Critical";
    }
    unknown(text) -> RecoveryError { RecoveryError::NotInList(SEVERITY) }
}

impl Severity {
    /// 1 (low) to 4 (critical), for priority scores.
    pub fn weight(self) -> u8 {
        match self {
            Severity::Low => 1,
            Severity::Medium => 2,
            Severity::High => 3,
            Severity::Critical => 4,
        }
    }
}

/// One bad value in a recovery form; Display is the message shown next to it.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum RecoveryError {
    #[error("Enter the date and time with its offset, e.g. 2026-03-29T14:05:00+01:00")]
    OccurredAtUnreadable,
    #[error("That time is in the future: check the date and time")]
    OccurredInFuture,
    #[error("Only recoveries from the last 7 days can be logged")]
    OccurredTooLongAgo,
    /// `{0}` completes "Choose …": "a touchpoint", "what was done".
    #[error("Choose {0}")]
    Required(&'static str),
    #[error("Choose {0} from the list")]
    NotInList(&'static str),
    #[error("Keep the {what} to {max} characters")]
    TooLong { what: &'static str, max: usize },
    #[error("Enter an amount (0 for a fix without cost)")]
    AmountRequired,
    #[error("{0}")]
    Amount(MoneyError),
    #[error("Follow up within 1 to 720 hours (30 days)")]
    FollowUpHours,
    #[error("Unknown form field \"{0}\"")]
    UnknownField(String),
}

slug_enum! {
    /// The field of the recovery form a message belongs to; the slug is the
    /// form field's name, so the page can find the input.
    pub enum Field {
        OccurredAt = "occurred_at", "When";
        Touchpoint = "touchpoint", "Touchpoint";
        Channel = "channel", "Channel";
        CustomerRef = "customer_ref", "Customer reference";
        Category = "category", "What went wrong";
        Severity = "severity", "Severity";
        Description = "description", "Description";
        Remedy = "remedy", "What was done";
        Amount = "amount", "Amount";
        Reaction = "reaction", "Customer's reaction";
        Cause = "cause", "Suspected cause";
        CauseNote = "cause_note", "Cause note";
        FollowUp = "follow_up_hours", "Follow up within";
    }
    unknown(text) -> RecoveryError { RecoveryError::UnknownField(text) }
}

/// Every problem found in a recovery form, one message per field, in form order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecoveryErrors {
    pub errors: Vec<(Field, String)>,
}

impl RecoveryErrors {
    fn add(&mut self, field: Field, error: RecoveryError) {
        self.errors.push((field, error.to_string()));
    }

    /// The message for one field, if it has a problem.
    pub fn get(&self, field: Field) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, message)| message.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn len(&self) -> usize {
        self.errors.len()
    }
}

impl std::fmt::Display for RecoveryErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (index, (field, message)) in self.errors.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {message}", field.label())?;
        }
        Ok(())
    }
}

impl std::error::Error for RecoveryErrors {}

/// The recovery form as posted: raw strings, exactly what a person typed.
/// Missing fields default to empty, so a plain HTML form post works.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RecoveryForm {
    /// RFC 3339; empty = now.
    pub occurred_at: String,
    pub touchpoint: String,
    /// Empty = in person.
    pub channel: String,
    pub customer_ref: String,
    pub category: String,
    /// Empty = medium.
    pub severity: String,
    pub description: String,
    pub remedy: String,
    pub amount: String,
    pub reaction: String,
    /// Empty = not known yet.
    pub cause: String,
    pub cause_note: String,
    /// Accepts a JSON bool or an HTML checkbox's "on" (absent = false).
    #[serde(deserialize_with = "checkbox")]
    pub follow_up_needed: bool,
    /// Whole hours; empty = [`DEFAULT_FOLLOW_UP_HOURS`]. Ignored without a follow-up.
    pub follow_up_hours: String,
}

/// The organisation's active category and touchpoint codes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Taxonomy {
    pub categories: Vec<String>,
    pub touchpoints: Vec<String>,
    /// The organisation's largest single amount, in major units (see
    /// [`super::money::DEFAULT_MAX_AMOUNT_MAJOR`]).
    pub max_amount_major: i64,
}

/// A validated recovery, ready for the ledger and the store.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewRecovery {
    pub occurred_at: DateTime<Utc>,
    pub touchpoint: String,
    pub channel: Channel,
    pub customer_ref: Option<String>,
    pub category: String,
    pub severity: Severity,
    pub description: String,
    pub remedy: RemedyType,
    pub amount_minor: i64,
    pub reaction: Reaction,
    pub cause: Option<CauseKind>,
    pub cause_note: Option<String>,
    pub follow_up_due: Option<DateTime<Utc>>,
}

pub const MAX_DESCRIPTION_CHARS: usize = 280;
/// A room, table, order or ticket number: short on purpose, to keep personal
/// data out of the ledger.
pub const MAX_CUSTOMER_REF_CHARS: usize = 40;
pub const MAX_CAUSE_NOTE_CHARS: usize = 500;
/// Slack for a tablet clock running a little ahead of the server's.
pub const MAX_FUTURE_SKEW_MINUTES: i64 = 5;
/// Older recoveries are history, not something to log from the front desk.
pub const MAX_AGE_DAYS: i64 = 7;
pub const MAX_FOLLOW_UP_HOURS: i64 = 720;
/// Used when a follow-up is needed but no target was given: the next day.
pub const DEFAULT_FOLLOW_UP_HOURS: i64 = 24;

impl NewRecovery {
    /// Validates a form against the organisation's taxonomy and currency.
    ///
    /// Decisions worth knowing: an empty amount means 0 only for "fix or
    /// apology" (elsewhere it is more likely forgotten than free, so it is asked
    /// for); any remedy may carry any amount, including 0. Category and
    /// touchpoint are matched against the taxonomy ignoring case and stored in
    /// the taxonomy's spelling. The follow-up is due `hours` after `now` (when it
    /// was logged), not after the failure.
    pub fn parse(
        form: &RecoveryForm,
        taxonomy: &Taxonomy,
        currency: Currency,
        now: DateTime<Utc>,
    ) -> Result<NewRecovery, RecoveryErrors> {
        let mut errors = RecoveryErrors::default();
        let e = &mut errors;
        // Every field is checked, in form order, before anything is built, so the
        // person sees all problems at once.
        let occurred_at = take(e, Field::OccurredAt, occurred_at(&form.occurred_at, now));
        let touchpoint = take(
            e,
            Field::Touchpoint,
            from_list(&form.touchpoint, &taxonomy.touchpoints, TOUCHPOINT),
        );
        let channel = take(
            e,
            Field::Channel,
            choice_or(
                &form.channel,
                Channel::from_slug,
                Channel::InPerson,
                CHANNEL,
            ),
        );
        let customer_ref = take(
            e,
            Field::CustomerRef,
            optional_line(
                &form.customer_ref,
                "customer reference",
                MAX_CUSTOMER_REF_CHARS,
            ),
        );
        let category = take(
            e,
            Field::Category,
            from_list(&form.category, &taxonomy.categories, CATEGORY),
        );
        let severity = take(
            e,
            Field::Severity,
            choice_or(
                &form.severity,
                Severity::from_slug,
                Severity::Medium,
                SEVERITY,
            ),
        );
        let description = take(e, Field::Description, description(&form.description));
        let remedy = take(
            e,
            Field::Remedy,
            required_choice(&form.remedy, RemedyType::from_slug, REMEDY),
        );
        let amount_minor = take(
            e,
            Field::Amount,
            amount(&form.amount, remedy, currency).and_then(|minor| {
                super::money::check_within_limit(minor, taxonomy.max_amount_major, currency)
                    .map_err(RecoveryError::Amount)
            }),
        );
        let reaction = take(
            e,
            Field::Reaction,
            required_choice(&form.reaction, Reaction::from_slug, REACTION),
        );
        let cause = take(
            e,
            Field::Cause,
            optional_choice(&form.cause, CauseKind::from_slug, CAUSE),
        );
        let cause_note = take(
            e,
            Field::CauseNote,
            optional_block(&form.cause_note, "cause note", MAX_CAUSE_NOTE_CHARS),
        );
        let follow_up_due = take(
            e,
            Field::FollowUp,
            follow_up(form.follow_up_needed, &form.follow_up_hours, now),
        );

        // A field is None exactly when it reported an error.
        let (
            Some(occurred_at),
            Some(touchpoint),
            Some(channel),
            Some(customer_ref),
            Some(category),
            Some(severity),
            Some(description),
            Some(remedy),
            Some(amount_minor),
            Some(reaction),
            Some(cause),
            Some(cause_note),
            Some(follow_up_due),
        ) = (
            occurred_at,
            touchpoint,
            channel,
            customer_ref,
            category,
            severity,
            description,
            remedy,
            amount_minor,
            reaction,
            cause,
            cause_note,
            follow_up_due,
        )
        else {
            return Err(errors);
        };
        Ok(NewRecovery {
            occurred_at,
            touchpoint,
            channel,
            customer_ref,
            category,
            severity,
            description,
            remedy,
            amount_minor,
            reaction,
            cause,
            cause_note,
            follow_up_due,
        })
    }
}

type Checked<T> = Result<T, RecoveryError>;

fn take<T>(errors: &mut RecoveryErrors, field: Field, value: Checked<T>) -> Option<T> {
    match value {
        Ok(value) => Some(value),
        Err(error) => {
            errors.add(field, error);
            None
        }
    }
}

fn occurred_at(text: &str, now: DateTime<Utc>) -> Checked<DateTime<Utc>> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(now);
    }
    let at = DateTime::parse_from_rfc3339(text)
        .map_err(|_| RecoveryError::OccurredAtUnreadable)?
        .with_timezone(&Utc);
    if at > now + Duration::minutes(MAX_FUTURE_SKEW_MINUTES) {
        return Err(RecoveryError::OccurredInFuture);
    }
    if at < now - Duration::days(MAX_AGE_DAYS) {
        return Err(RecoveryError::OccurredTooLongAgo);
    }
    Ok(at)
}

/// A code that must be one of the organisation's active codes.
fn from_list(text: &str, codes: &[String], what: &'static str) -> Checked<String> {
    let wanted = clean_line(text);
    if wanted.is_empty() {
        return Err(RecoveryError::Required(what));
    }
    codes
        .iter()
        .find(|code| code.eq_ignore_ascii_case(&wanted))
        .cloned()
        .ok_or(RecoveryError::NotInList(what))
}

fn choice_or<T>(
    text: &str,
    from_slug: fn(&str) -> Option<T>,
    default: T,
    what: &'static str,
) -> Checked<T> {
    Ok(optional_choice(text, from_slug, what)?.unwrap_or(default))
}

fn required_choice<T>(
    text: &str,
    from_slug: fn(&str) -> Option<T>,
    what: &'static str,
) -> Checked<T> {
    optional_choice(text, from_slug, what)?.ok_or(RecoveryError::Required(what))
}

fn optional_choice<T>(
    text: &str,
    from_slug: fn(&str) -> Option<T>,
    what: &'static str,
) -> Checked<Option<T>> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    from_slug(text)
        .map(Some)
        .ok_or(RecoveryError::NotInList(what))
}

fn optional_line(text: &str, what: &'static str, max: usize) -> Checked<Option<String>> {
    non_empty_within(clean_line(text), what, max)
}

fn optional_block(text: &str, what: &'static str, max: usize) -> Checked<Option<String>> {
    non_empty_within(clean_block(text), what, max)
}

fn non_empty_within(cleaned: String, what: &'static str, max: usize) -> Checked<Option<String>> {
    if cleaned.is_empty() {
        Ok(None)
    } else if char_count(&cleaned) > max {
        Err(RecoveryError::TooLong { what, max })
    } else {
        Ok(Some(cleaned))
    }
}

/// Optional: on a busy desk the category already says what went wrong; a note adds colour.
fn description(text: &str) -> Checked<String> {
    Ok(optional_block(text, "description", MAX_DESCRIPTION_CHARS)?.unwrap_or_default())
}

fn amount(text: &str, remedy: Option<RemedyType>, currency: Currency) -> Checked<i64> {
    if text.trim().is_empty() {
        return match remedy {
            Some(RemedyType::FixOrApology) => Ok(0),
            _ => Err(RecoveryError::AmountRequired),
        };
    }
    parse_amount(text, currency).map_err(RecoveryError::Amount)
}

fn follow_up(needed: bool, hours: &str, now: DateTime<Utc>) -> Checked<Option<DateTime<Utc>>> {
    if !needed {
        // A hidden hours field may still hold an old value; without a follow-up it means nothing.
        return Ok(None);
    }
    let hours = hours.trim();
    let hours = if hours.is_empty() {
        DEFAULT_FOLLOW_UP_HOURS
    } else {
        hours
            .parse::<i64>()
            .ok()
            .filter(|h| (1..=MAX_FOLLOW_UP_HOURS).contains(h))
            .ok_or(RecoveryError::FollowUpHours)?
    };
    Ok(Some(now + Duration::hours(hours)))
}

/// Reads an HTML checkbox ("on" when ticked, absent when not) as well as JSON
/// booleans and the usual spellings of yes and no.
fn checkbox<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    struct Checkbox;

    impl serde::de::Visitor<'_> for Checkbox {
        type Value = bool;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a boolean or a checkbox value such as \"on\"")
        }

        fn visit_bool<E: serde::de::Error>(self, value: bool) -> Result<bool, E> {
            Ok(value)
        }

        fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<bool, E> {
            match value.trim().to_ascii_lowercase().as_str() {
                "on" | "true" | "yes" | "1" => Ok(true),
                "" | "off" | "false" | "no" | "0" => Ok(false),
                _ => Err(E::invalid_value(serde::de::Unexpected::Str(value), &self)),
            }
        }

        fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<bool, E> {
            Ok(value != 0)
        }

        fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<bool, E> {
            Ok(value != 0)
        }
    }

    deserializer.deserialize_any(Checkbox)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::value::{Error as ValueError, MapDeserializer};

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-04-10T12:00:00Z")
            .expect("valid test instant")
            .with_timezone(&Utc)
    }

    fn taxonomy() -> Taxonomy {
        Taxonomy {
            categories: vec!["room-not-ready".into(), "noise".into()],
            touchpoints: vec!["front-desk".into(), "housekeeping".into()],
            max_amount_major: crate::money::DEFAULT_MAX_AMOUNT_MAJOR,
        }
    }

    #[test]
    fn an_amount_over_the_organisations_maximum_is_refused_with_the_maximum() {
        let over = RecoveryForm {
            amount: "10000.01".into(),
            ..form()
        };
        let errors = NewRecovery::parse(&over, &taxonomy(), Currency::EUR, now()).unwrap_err();
        let message = errors
            .errors
            .iter()
            .find(|(field, _)| *field == Field::Amount)
            .map(|(_, m)| m.clone())
            .expect("the amount is refused");
        assert!(
            message.contains("10,000.00 EUR") || message.contains("10000.00 EUR"),
            "{message}"
        );
        let at_max = RecoveryForm {
            amount: "10000.00".into(),
            ..form()
        };
        assert!(NewRecovery::parse(&at_max, &taxonomy(), Currency::EUR, now()).is_ok());
        let absurd = RecoveryForm {
            amount: "92233720368547758.07".into(),
            ..form()
        };
        assert!(NewRecovery::parse(&absurd, &taxonomy(), Currency::EUR, now()).is_err());
    }

    fn form() -> RecoveryForm {
        RecoveryForm {
            touchpoint: "front-desk".into(),
            category: "room-not-ready".into(),
            description: "Room not ready at 3 pm check-in".into(),
            remedy: "complimentary-item".into(),
            amount: "12.50".into(),
            reaction: "satisfied".into(),
            ..RecoveryForm::default()
        }
    }

    fn parse(form: &RecoveryForm) -> Result<NewRecovery, RecoveryErrors> {
        NewRecovery::parse(form, &taxonomy(), Currency::EUR, now())
    }

    fn error_for(form: &RecoveryForm, field: Field) -> String {
        let errors = parse(form).expect_err("form should be refused");
        errors
            .get(field)
            .unwrap_or_else(|| panic!("no error for {field}: {errors}"))
            .to_owned()
    }

    #[test]
    fn a_minimal_form_becomes_a_recovery_with_sensible_defaults() {
        let recovery = parse(&form()).expect("valid form");
        assert_eq!(
            recovery,
            NewRecovery {
                occurred_at: now(),
                touchpoint: "front-desk".into(),
                channel: Channel::InPerson,
                customer_ref: None,
                category: "room-not-ready".into(),
                severity: Severity::Medium,
                description: "Room not ready at 3 pm check-in".into(),
                remedy: RemedyType::ComplimentaryItem,
                amount_minor: 1250,
                reaction: Reaction::Satisfied,
                cause: None,
                cause_note: None,
                follow_up_due: None,
            }
        );
    }

    #[test]
    fn a_complete_form_keeps_every_detail() {
        let full = RecoveryForm {
            occurred_at: "2026-04-10T13:30:00+02:00".into(),
            channel: "Phone".into(),
            customer_ref: "  Room 214 ".into(),
            severity: "high".into(),
            cause: "process".into(),
            cause_note: " Late checkout not passed\r\nto housekeeping ".into(),
            follow_up_needed: true,
            follow_up_hours: "12".into(),
            reaction: "still-unhappy".into(),
            ..form()
        };
        let recovery = parse(&full).expect("valid form");
        assert_eq!(recovery.occurred_at, now() - Duration::minutes(30));
        assert_eq!(recovery.channel, Channel::Phone);
        assert_eq!(recovery.customer_ref.as_deref(), Some("Room 214"));
        assert_eq!(recovery.severity, Severity::High);
        assert_eq!(recovery.cause, Some(CauseKind::Process));
        assert_eq!(
            recovery.cause_note.as_deref(),
            Some("Late checkout not passed\nto housekeeping")
        );
        assert_eq!(recovery.reaction, Reaction::StillUnhappy);
        assert_eq!(recovery.follow_up_due, Some(now() + Duration::hours(12)));
    }

    #[test]
    fn every_bad_field_gets_its_own_message_in_form_order() {
        let bad = RecoveryForm {
            occurred_at: "yesterday".into(),
            touchpoint: "lobby".into(),
            channel: "pigeon".into(),
            category: String::new(),
            severity: "apocalyptic".into(),
            description: "x".repeat(281),
            remedy: String::new(),
            amount: "-3".into(),
            reaction: String::new(),
            cause: "fate".into(),
            follow_up_needed: true,
            follow_up_hours: "0".into(),
            ..RecoveryForm::default()
        };
        let errors = parse(&bad).expect_err("everything is wrong");
        let fields: Vec<Field> = errors.errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(
            fields,
            [
                Field::OccurredAt,
                Field::Touchpoint,
                Field::Channel,
                Field::Category,
                Field::Severity,
                Field::Description,
                Field::Remedy,
                Field::Amount,
                Field::Reaction,
                Field::Cause,
                Field::FollowUp,
            ]
        );
        assert_eq!(
            errors.get(Field::Touchpoint),
            Some("Choose a touchpoint from the list")
        );
        assert_eq!(errors.get(Field::Category), Some("Choose a category"));
        assert_eq!(errors.get(Field::Remedy), Some("Choose what was done"));
        assert_eq!(errors.get(Field::Amount), Some("Amount can't be negative"));
        assert_eq!(
            errors.get(Field::Reaction),
            Some("Choose how the customer reacted")
        );
        assert_eq!(errors.len(), 11);
        assert!(errors
            .to_string()
            .contains("Touchpoint: Choose a touchpoint from the list"));
    }

    #[test]
    fn category_and_touchpoint_match_the_taxonomy_ignoring_case() {
        let recovery = parse(&RecoveryForm {
            category: " NOISE ".into(),
            touchpoint: "Housekeeping".into(),
            ..form()
        })
        .expect("valid form");
        assert_eq!(recovery.category, "noise");
        assert_eq!(recovery.touchpoint, "housekeeping");
    }

    #[test]
    fn a_category_outside_the_taxonomy_is_refused() {
        let bad = RecoveryForm {
            category: "alien-invasion".into(),
            ..form()
        };
        assert_eq!(
            error_for(&bad, Field::Category),
            "Choose a category from the list"
        );
    }

    #[test]
    fn a_description_is_optional_trimmed_and_at_most_280_characters() {
        let blank = parse(&RecoveryForm {
            description: "\t\n".into(),
            ..form()
        })
        .expect("a blank description is fine");
        assert_eq!(blank.description, "");
        assert_eq!(
            error_for(
                &RecoveryForm {
                    description: "é".repeat(281),
                    ..form()
                },
                Field::Description
            ),
            "Keep the description to 280 characters"
        );
        let recovery = parse(&RecoveryForm {
            description: format!("  {}  ", "é".repeat(280)),
            ..form()
        })
        .expect("280 characters fit");
        assert_eq!(char_count(&recovery.description), 280);
    }

    #[test]
    fn control_characters_are_stripped_from_text() {
        let recovery = parse(&RecoveryForm {
            description: "Cold\u{0000} soup\u{202E}".into(),
            customer_ref: "T\u{0007}12".into(),
            ..form()
        })
        .expect("valid form");
        assert_eq!(recovery.description, "Cold soup");
        assert_eq!(recovery.customer_ref.as_deref(), Some("T12"));
    }

    #[test]
    fn a_customer_reference_is_optional_but_short() {
        assert_eq!(
            parse(&RecoveryForm {
                customer_ref: "   ".into(),
                ..form()
            })
            .expect("valid")
            .customer_ref,
            None
        );
        assert_eq!(
            error_for(
                &RecoveryForm {
                    customer_ref: "x".repeat(41),
                    ..form()
                },
                Field::CustomerRef
            ),
            "Keep the customer reference to 40 characters"
        );
    }

    #[test]
    fn a_cause_note_is_optional_and_at_most_500_characters() {
        assert_eq!(
            error_for(
                &RecoveryForm {
                    cause_note: "x".repeat(501),
                    ..form()
                },
                Field::CauseNote
            ),
            "Keep the cause note to 500 characters"
        );
        assert!(parse(&RecoveryForm {
            cause_note: "x".repeat(500),
            ..form()
        })
        .is_ok());
    }

    #[test]
    fn the_time_may_be_up_to_5_minutes_ahead_and_7_days_back() {
        let at = |t: DateTime<Utc>| RecoveryForm {
            occurred_at: t.to_rfc3339(),
            ..form()
        };
        assert!(parse(&at(now() + Duration::minutes(5))).is_ok());
        assert_eq!(
            error_for(
                &at(now() + Duration::minutes(5) + Duration::seconds(1)),
                Field::OccurredAt
            ),
            "That time is in the future: check the date and time"
        );
        assert!(parse(&at(now() - Duration::days(7))).is_ok());
        assert_eq!(
            error_for(
                &at(now() - Duration::days(7) - Duration::seconds(1)),
                Field::OccurredAt
            ),
            "Only recoveries from the last 7 days can be logged"
        );
    }

    #[test]
    fn a_time_without_an_offset_is_refused_with_an_example() {
        let bad = RecoveryForm {
            occurred_at: "2026-04-10T11:00".into(),
            ..form()
        };
        assert!(error_for(&bad, Field::OccurredAt).contains("2026-03-29T14:05:00+01:00"));
    }

    #[test]
    fn an_empty_amount_is_zero_only_for_a_fix_or_apology() {
        let apology = parse(&RecoveryForm {
            remedy: "fix-or-apology".into(),
            amount: " ".into(),
            ..form()
        })
        .expect("valid");
        assert_eq!(apology.amount_minor, 0);
        assert_eq!(
            error_for(
                &RecoveryForm {
                    amount: String::new(),
                    ..form()
                },
                Field::Amount
            ),
            "Enter an amount (0 for a fix without cost)"
        );
    }

    #[test]
    fn a_fix_or_apology_may_still_carry_an_amount() {
        let recovery = parse(&RecoveryForm {
            remedy: "fix-or-apology".into(),
            amount: "5".into(),
            ..form()
        })
        .expect("valid");
        assert_eq!(recovery.amount_minor, 500);
    }

    #[test]
    fn the_amount_follows_the_currencys_decimals() {
        let jpy = NewRecovery::parse(
            &RecoveryForm {
                amount: "1.5".into(),
                ..form()
            },
            &taxonomy(),
            Currency::JPY,
            now(),
        )
        .expect_err("JPY has no decimals");
        assert_eq!(
            jpy.get(Field::Amount),
            Some("JPY has no decimals: enter a whole amount")
        );
        let kwd = NewRecovery::parse(
            &RecoveryForm {
                amount: "1.250".into(),
                ..form()
            },
            &taxonomy(),
            Currency::KWD,
            now(),
        )
        .expect("three decimals fit KWD");
        assert_eq!(kwd.amount_minor, 1250);
        assert_eq!(
            error_for(
                &RecoveryForm {
                    amount: "1,234.50".into(),
                    ..form()
                },
                Field::Amount
            ),
            "Leave out thousands separators: write 1234.50, not 1,234.50"
        );
    }

    #[test]
    fn an_empty_amount_is_asked_for_when_the_remedy_is_not_known() {
        let errors = parse(&RecoveryForm {
            remedy: "voodoo".into(),
            amount: String::new(),
            ..form()
        })
        .expect_err("bad remedy");
        assert_eq!(
            errors.get(Field::Remedy),
            Some("Choose what was done from the list")
        );
        assert_eq!(
            errors.get(Field::Amount),
            Some("Enter an amount (0 for a fix without cost)")
        );
    }

    #[test]
    fn a_follow_up_is_due_the_given_hours_after_logging() {
        let due = |hours: &str| {
            parse(&RecoveryForm {
                follow_up_needed: true,
                follow_up_hours: hours.into(),
                ..form()
            })
            .map(|r| r.follow_up_due)
        };
        assert_eq!(due("1"), Ok(Some(now() + Duration::hours(1))));
        assert_eq!(due("720"), Ok(Some(now() + Duration::hours(720))));
        assert_eq!(due(""), Ok(Some(now() + Duration::hours(24))));
        for bad in ["0", "721", "1.5", "-2", "soon", "99999999999999999999"] {
            let errors = due(bad).expect_err(bad);
            assert_eq!(
                errors.get(Field::FollowUp),
                Some("Follow up within 1 to 720 hours (30 days)"),
                "{bad}"
            );
        }
    }

    #[test]
    fn follow_up_hours_are_ignored_when_no_follow_up_is_needed() {
        let recovery = parse(&RecoveryForm {
            follow_up_needed: false,
            follow_up_hours: "garbage".into(),
            ..form()
        })
        .expect("valid");
        assert_eq!(recovery.follow_up_due, None);
    }

    #[test]
    fn choices_read_back_from_their_slugs_and_forgive_spelling() {
        for c in Channel::ALL {
            assert_eq!(Channel::from_slug(c.as_str()), Some(*c));
        }
        for r in RemedyType::ALL {
            assert_eq!(RemedyType::from_slug(r.as_str()), Some(*r));
        }
        for r in Reaction::ALL {
            assert_eq!(Reaction::from_slug(r.as_str()), Some(*r));
        }
        for c in CauseKind::ALL {
            assert_eq!(CauseKind::from_slug(c.as_str()), Some(*c));
        }
        for s in Severity::ALL {
            assert_eq!(Severity::from_slug(s.as_str()), Some(*s));
        }
        assert_eq!(Channel::parse("In person"), Ok(Channel::InPerson));
        assert_eq!(
            Channel::parse("pigeon"),
            Err(RecoveryError::NotInList("a channel"))
        );
        assert_eq!(Field::parse("cause_note"), Ok(Field::CauseNote));
        assert_eq!(
            RemedyType::from_slug("FIX_OR_APOLOGY"),
            Some(RemedyType::FixOrApology)
        );
        assert_eq!(RemedyType::ComplimentaryItem.as_str(), "complimentary-item");
        assert_eq!(Reaction::StillUnhappy.as_str(), "still-unhappy");
        assert_eq!(
            CauseKind::CustomerVariability.as_str(),
            "customer-variability"
        );
    }

    #[test]
    fn severity_weights_run_from_1_to_4_in_order() {
        let weights: Vec<u8> = Severity::ALL.iter().map(|s| s.weight()).collect();
        assert_eq!(weights, [1, 2, 3, 4]);
        assert!(Severity::Low < Severity::Critical);
    }

    #[test]
    fn field_names_match_the_form_field_names() {
        assert_eq!(Field::OccurredAt.as_str(), "occurred_at");
        assert_eq!(Field::CustomerRef.as_str(), "customer_ref");
        assert_eq!(Field::FollowUp.as_str(), "follow_up_hours");
    }

    fn form_from(fields: Vec<(&'static str, &'static str)>) -> Result<RecoveryForm, ValueError> {
        RecoveryForm::deserialize(MapDeserializer::<_, ValueError>::new(fields.into_iter()))
    }

    #[test]
    fn a_plain_html_form_post_reads_with_missing_fields_and_a_ticked_checkbox() {
        let posted = form_from(vec![
            ("touchpoint", "front-desk"),
            ("follow_up_needed", "on"),
        ])
        .expect("form reads");
        assert!(posted.follow_up_needed);
        assert_eq!(posted.touchpoint, "front-desk");
        assert_eq!(posted.amount, "");
        let unticked = form_from(vec![("touchpoint", "front-desk")]).expect("form reads");
        assert!(!unticked.follow_up_needed);
        assert!(form_from(vec![("follow_up_needed", "maybe")]).is_err());
    }

    #[test]
    fn a_json_boolean_reads_as_the_checkbox_too() {
        use serde::de::IntoDeserializer;
        let ticked: Result<bool, ValueError> = checkbox(true.into_deserializer());
        assert_eq!(ticked, Ok(true));
        let unticked: Result<bool, ValueError> = checkbox(false.into_deserializer());
        assert_eq!(unticked, Ok(false));
    }

    #[test]
    fn choices_serialise_as_their_slugs() {
        use serde::de::IntoDeserializer;
        let read: Result<RemedyType, ValueError> =
            RemedyType::deserialize("waived-fee".into_deserializer());
        assert_eq!(read, Ok(RemedyType::WaivedFee));
        let wrong: Result<RemedyType, ValueError> =
            RemedyType::deserialize("Waived fee".into_deserializer());
        assert!(wrong.is_err());
    }
}
