//! After-the-fact review: the daily sample of within-budget recoveries a supervisor checks,
//! and the two verdicts of that check. Review after the fact instead of approval before it.

use chrono::{Datelike, NaiveDate};

use super::text::{char_count, clean_block, slug_enum};

/// How many recoveries the daily sample offers.
pub const SAMPLE_SIZE: usize = 5;
/// How many local days before today the sample draws from.
pub const SAMPLE_DAYS: u64 = 7;
/// Longest note on a spot check, in characters.
pub const MAX_NOTE_CHARS: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    #[error("Choose \"looks right\" or \"needs a talk\" (got \"{0}\").")]
    UnknownVerdict(String),
    #[error("Keep the note to {MAX_NOTE_CHARS} characters.")]
    NoteTooLong,
    #[error("Say what needs a talk, so the conversation has a starting point.")]
    TalkNeedsNote,
}

slug_enum! {
    /// A supervisor's verdict on a sampled recovery.
    pub enum Verdict {
        LooksRight = "looks-right", "Looks right";
        NeedsATalk = "needs-a-talk", "Needs a talk";
    }
    unknown(text) -> ReviewError { ReviewError::UnknownVerdict(text) }
}

/// A checked verdict and its cleaned note. "Needs a talk" needs a note.
pub fn spot_check(verdict: &str, note: &str) -> Result<(Verdict, String), ReviewError> {
    let verdict = Verdict::parse(verdict)?;
    let note = clean_block(note);
    if char_count(&note) > MAX_NOTE_CHARS {
        return Err(ReviewError::NoteTooLong);
    }
    if verdict == Verdict::NeedsATalk && note.is_empty() {
        return Err(ReviewError::TalkNeedsNote);
    }
    Ok((verdict, note))
}

/// The first day the sample on `today` draws from; it ends yesterday, so the set is fixed
/// for the whole day.
pub fn sample_window(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let to = today.pred_opt().unwrap_or(today);
    let from = today
        .checked_sub_days(chrono::Days::new(SAMPLE_DAYS))
        .unwrap_or(to);
    (from, to)
}

/// Picks the day's sample from candidate ids: a pseudo-random choice seeded by the
/// organisation and the date, so every supervisor sees the same sample all day, a new one
/// each day, and nobody can predict which of their recoveries will be drawn.
pub fn daily_sample(
    candidates: &[i64],
    organisation_id: i64,
    today: NaiveDate,
    size: usize,
) -> Vec<i64> {
    let seed = mix((organisation_id as u64) << 32 ^ today.num_days_from_ce() as u64);
    let mut keyed: Vec<(u64, i64)> = candidates
        .iter()
        .map(|&id| (mix(seed ^ id as u64), id))
        .collect();
    keyed.sort_unstable();
    keyed.dedup_by_key(|(_, id)| *id);
    let mut chosen: Vec<i64> = keyed.into_iter().take(size).map(|(_, id)| id).collect();
    chosen.sort_unstable();
    chosen
}

/// SplitMix64's finaliser: a cheap, well-spread 64-bit mix.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    #[test]
    fn the_window_is_the_seven_days_before_today() {
        assert_eq!(sample_window(day(22)), (day(15), day(21)));
    }

    #[test]
    fn the_sample_is_stable_within_a_day_and_changes_between_days() {
        let ids: Vec<i64> = (1..=200).collect();
        let monday = daily_sample(&ids, 1, day(23), 5);
        assert_eq!(monday, daily_sample(&ids, 1, day(23), 5));
        assert_eq!(monday.len(), 5);
        assert_ne!(monday, daily_sample(&ids, 1, day(24), 5));
        assert_ne!(monday, daily_sample(&ids, 2, day(23), 5));
    }

    #[test]
    fn a_small_pool_is_offered_whole() {
        assert_eq!(daily_sample(&[9, 3, 3], 1, day(23), 5), vec![3, 9]);
        assert!(daily_sample(&[], 1, day(23), 5).is_empty());
    }

    #[test]
    fn the_sample_spreads_over_the_pool() {
        // Over 60 days every part of a 100-id pool gets drawn.
        let ids: Vec<i64> = (1..=100).collect();
        let mut seen = std::collections::HashSet::new();
        for d in 0..60 {
            let date = day(1) + chrono::Days::new(d);
            seen.extend(daily_sample(&ids, 7, date, 5));
        }
        assert!(seen.len() > 80, "only {} of 100 ever drawn", seen.len());
    }

    #[test]
    fn verdicts_and_notes_are_checked() {
        assert_eq!(
            spot_check("looks-right", "  "),
            Ok((Verdict::LooksRight, String::new()))
        );
        assert_eq!(
            spot_check("needs-a-talk", ""),
            Err(ReviewError::TalkNeedsNote)
        );
        assert_eq!(
            spot_check("needs a talk", "Comped a suite for a cold coffee"),
            Ok((
                Verdict::NeedsATalk,
                "Comped a suite for a cold coffee".into()
            ))
        );
        assert!(matches!(
            spot_check("fine", ""),
            Err(ReviewError::UnknownVerdict(_))
        ));
        assert_eq!(
            spot_check("looks-right", &"x".repeat(501)),
            Err(ReviewError::NoteTooLong)
        );
    }

    proptest! {
        #[test]
        fn the_sample_is_a_subset_of_the_candidates(ids in proptest::collection::vec(1i64..10_000, 0..300), org in 1i64..100, size in 0usize..10) {
            let sample = daily_sample(&ids, org, day(23), size);
            let distinct: std::collections::HashSet<i64> = ids.iter().copied().collect();
            prop_assert_eq!(sample.len(), size.min(distinct.len()));
            prop_assert!(sample.iter().all(|id| distinct.contains(id)));
        }
    }
}
