//! Budget days: a budget belongs to one local calendar date of the location's
//! time zone and resets at local midnight. This room turns instants into local
//! dates and back, including the days daylight saving makes 23 or 25 hours
//! long and the rare zones whose midnight is skipped or repeated.

use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::{GapInfo, Tz};
use thiserror::Error;

/// Why a time zone could not be used.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum BudgetDayError {
    #[error("Choose a time zone")]
    TimeZoneRequired,
    #[error("Unknown time zone \"{0}\": use a name such as Europe/London or America/New_York")]
    UnknownTimeZone(String),
}

/// The local calendar date at `now` in `tz`: the budget day an action belongs to.
pub fn local_date(now: DateTime<Utc>, tz: Tz) -> NaiveDate {
    now.with_timezone(&tz).date_naive()
}

/// The instants a local date spans in `tz`: start inclusive, end exclusive.
///
/// Usually 24 hours; 23 or 25 on daylight-saving days. Where local midnight
/// doesn't exist (clocks jump from 00:00 to 01:00, as in America/Santiago or
/// Asia/Beirut) the day starts at the first instant that does; where midnight
/// happens twice (America/Havana in autumn) it starts at the first one.
pub fn day_bounds(date: NaiveDate, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = start_of_day(date, tz);
    let end = date
        .checked_add_days(Days::new(1))
        .map_or(DateTime::<Utc>::MAX_UTC, |next| start_of_day(next, tz));
    (start, end)
}

fn start_of_day(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    resolve_local(date.and_time(NaiveTime::MIN), tz)
}

/// The instant a local wall-clock time means in `tz`, for input without an offset
/// (an HTML `datetime-local` field). An ambiguous time (clocks went back) is the
/// earlier instant; a skipped time (clocks went forward) is the first instant
/// after the gap, which is what a clock on the wall showed next.
pub fn resolve_local(local: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    if let Some(instant) = tz.from_local_datetime(&local).earliest() {
        return instant.with_timezone(&Utc);
    }
    if let Some(after_gap) = GapInfo::new(&local, &tz).and_then(|gap| gap.end) {
        return after_gap.with_timezone(&Utc);
    }
    // Only reached at the very edge of the time zone database or of chrono's
    // range: fall back to reading the wall time as UTC rather than failing.
    local.and_utc()
}

/// Reads an IANA time zone name ("Europe/London"). Exact names first; otherwise a
/// case-insensitive match, since admins type these by hand.
pub fn parse_time_zone(name: &str) -> Result<Tz, BudgetDayError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(BudgetDayError::TimeZoneRequired);
    }
    name.parse::<Tz>()
        .ok()
        .or_else(|| {
            chrono_tz::TZ_VARIANTS
                .iter()
                .copied()
                .find(|tz| tz.name().eq_ignore_ascii_case(name))
        })
        .ok_or_else(|| BudgetDayError::UnknownTimeZone(crate::text::shown(name)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("valid test instant")
            .with_timezone(&Utc)
    }

    fn hours(date: NaiveDate, tz: Tz) -> i64 {
        let (start, end) = day_bounds(date, tz);
        (end - start).num_hours()
    }

    #[test]
    fn the_local_date_can_differ_from_the_utc_date() {
        let now = utc("2026-06-01T02:30:00Z");
        assert_eq!(local_date(now, Tz::America__New_York), date(2026, 5, 31));
        assert_eq!(local_date(now, Tz::Asia__Tokyo), date(2026, 6, 1));
        assert_eq!(
            local_date(utc("2026-06-01T15:30:00Z"), Tz::Pacific__Auckland),
            date(2026, 6, 2)
        );
    }

    #[test]
    fn an_ordinary_london_day_runs_midnight_to_midnight() {
        let (start, end) = day_bounds(date(2026, 1, 15), Tz::Europe__London);
        assert_eq!(start, utc("2026-01-15T00:00:00Z"));
        assert_eq!(end, utc("2026-01-16T00:00:00Z"));
    }

    #[test]
    fn the_london_spring_forward_day_has_23_hours() {
        let (start, end) = day_bounds(date(2026, 3, 29), Tz::Europe__London);
        assert_eq!(start, utc("2026-03-29T00:00:00Z"));
        assert_eq!(end, utc("2026-03-29T23:00:00Z"));
        assert_eq!(hours(date(2026, 3, 29), Tz::Europe__London), 23);
    }

    #[test]
    fn the_london_fall_back_day_has_25_hours() {
        let (start, end) = day_bounds(date(2026, 10, 25), Tz::Europe__London);
        assert_eq!(start, utc("2026-10-24T23:00:00Z"));
        assert_eq!(end, utc("2026-10-26T00:00:00Z"));
        assert_eq!(hours(date(2026, 10, 25), Tz::Europe__London), 25);
    }

    #[test]
    fn new_york_days_follow_its_own_daylight_saving_dates() {
        let tz = Tz::America__New_York;
        assert_eq!(
            day_bounds(date(2026, 7, 4), tz),
            (utc("2026-07-04T04:00:00Z"), utc("2026-07-05T04:00:00Z"))
        );
        assert_eq!(hours(date(2026, 3, 8), tz), 23);
        assert_eq!(hours(date(2026, 11, 1), tz), 25);
        // London has not changed yet that day: only the zone's own rules count.
        assert_eq!(hours(date(2026, 3, 8), Tz::Europe__London), 24);
    }

    #[test]
    fn where_midnight_is_skipped_the_day_starts_at_the_first_real_instant() {
        // Chile springs forward from 00:00 -04 straight to 01:00 -03.
        let (start, end) = day_bounds(date(2026, 9, 6), Tz::America__Santiago);
        assert_eq!(start, utc("2026-09-06T04:00:00Z"));
        assert_eq!(end, utc("2026-09-07T03:00:00Z"));
        assert_eq!(local_date(start, Tz::America__Santiago), date(2026, 9, 6));
        assert_eq!(
            local_date(start - Duration::seconds(1), Tz::America__Santiago),
            date(2026, 9, 5)
        );
    }

    #[test]
    fn beirut_skips_midnight_when_it_springs_forward() {
        let tz = Tz::Asia__Beirut;
        let (start, end) = day_bounds(date(2026, 3, 29), tz);
        assert_eq!(start, utc("2026-03-28T22:00:00Z"));
        assert_eq!((end - start).num_hours(), 23);
    }

    #[test]
    fn where_midnight_happens_twice_the_day_starts_at_the_first() {
        // Havana falls back from 01:00 -04 to 00:00 -05, so 00:00 repeats.
        let (start, end) = day_bounds(date(2026, 11, 1), Tz::America__Havana);
        assert_eq!(start, utc("2026-11-01T04:00:00Z"));
        assert_eq!(end, utc("2026-11-02T05:00:00Z"));
    }

    #[test]
    fn consecutive_days_tile_time_without_gaps_or_overlaps() {
        for tz in [
            Tz::Europe__London,
            Tz::America__New_York,
            Tz::America__Santiago,
            Tz::Asia__Beirut,
            Tz::America__Havana,
            Tz::Australia__Lord_Howe,
            Tz::Asia__Kolkata,
        ] {
            let mut day = date(2026, 1, 1);
            while day < date(2027, 1, 1) {
                let (start, end) = day_bounds(day, tz);
                let next = day.succ_opt().expect("2026 has a next day");
                assert_eq!(end, day_bounds(next, tz).0, "{tz} {day}");
                assert!(end > start, "{tz} {day}");
                assert_eq!(local_date(start, tz), day, "{tz} {day}");
                assert_eq!(
                    local_date(end - Duration::seconds(1), tz),
                    day,
                    "{tz} {day}"
                );
                day = next;
            }
        }
    }

    #[test]
    fn a_day_the_zone_skipped_entirely_is_empty() {
        // Samoa jumped from 29 to 31 December 2011.
        let (start, end) = day_bounds(date(2011, 12, 30), Tz::Pacific__Apia);
        assert_eq!(start, end);
    }

    #[test]
    fn the_extreme_dates_do_not_panic() {
        let _ = day_bounds(NaiveDate::MAX, Tz::Pacific__Kiritimati);
        let _ = day_bounds(NaiveDate::MIN, Tz::Pacific__Pago_Pago);
    }

    #[test]
    fn a_skipped_wall_time_means_the_first_instant_after_the_gap() {
        let local = date(2026, 3, 29).and_hms_opt(1, 30, 0).expect("valid time");
        assert_eq!(
            resolve_local(local, Tz::Europe__London),
            utc("2026-03-29T01:00:00Z")
        );
    }

    #[test]
    fn a_repeated_wall_time_means_the_earlier_instant() {
        let local = date(2026, 10, 25)
            .and_hms_opt(1, 30, 0)
            .expect("valid time");
        assert_eq!(
            resolve_local(local, Tz::Europe__London),
            utc("2026-10-25T00:30:00Z")
        );
    }

    #[test]
    fn iana_names_are_read_exactly_or_ignoring_case() {
        assert_eq!(parse_time_zone("Europe/London"), Ok(Tz::Europe__London));
        assert_eq!(
            parse_time_zone(" america/new_york "),
            Ok(Tz::America__New_York)
        );
        assert_eq!(parse_time_zone("UTC"), Ok(Tz::UTC));
    }

    #[test]
    fn an_unknown_or_empty_time_zone_is_refused_helpfully() {
        assert_eq!(
            parse_time_zone("Mars/Olympus"),
            Err(BudgetDayError::UnknownTimeZone("Mars/Olympus".into()))
        );
        assert!(parse_time_zone("Mars/Olympus")
            .unwrap_err()
            .to_string()
            .contains("Europe/London"));
        assert_eq!(parse_time_zone("  "), Err(BudgetDayError::TimeZoneRequired));
    }
}
