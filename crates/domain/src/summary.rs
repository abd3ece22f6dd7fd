//! The monthly learning summary's rules: calendar months, money kept per currency, Pareto
//! ranking of causes, budget utilisation bands and the under-empowerment rule, follow-up
//! timeliness, and the recognition rule. The assembled summary (`Summary`) is what a
//! published month freezes as its snapshot.
//!
//! Pure: the figures come in from the ledger's queries; nothing here reads a clock.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::money::{format_with_code, Currency};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SummaryError {
    #[error("Give the month as YYYY-MM, for example 2026-10.")]
    Month,
    #[error("Keep the commentary to {0} characters.")]
    CommentaryTooLong(usize),
}

pub const MAX_COMMENTARY_CHARS: usize = 10_000;

/// A calendar month. The summary's month holds the recoveries whose budget day (the local
/// date of their location) falls in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

impl Month {
    pub fn parse(text: &str) -> Result<Month, SummaryError> {
        let text = text.trim();
        let (year, month) = text.split_once('-').ok_or(SummaryError::Month)?;
        if year.len() != 4 || month.len() != 2 {
            return Err(SummaryError::Month);
        }
        let year: i32 = year.parse().map_err(|_| SummaryError::Month)?;
        let month: u32 = month.parse().map_err(|_| SummaryError::Month)?;
        if !(1..=12).contains(&month) || !(2000..=2999).contains(&year) {
            return Err(SummaryError::Month);
        }
        Ok(Month { year, month })
    }

    pub fn of(date: NaiveDate) -> Month {
        Month {
            year: date.year(),
            month: date.month(),
        }
    }

    pub fn first_day(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("a valid month")
    }

    pub fn last_day(&self) -> NaiveDate {
        self.next().first_day().pred_opt().expect("a valid month")
    }

    pub fn days(&self) -> u32 {
        self.last_day().day()
    }

    pub fn next(&self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    pub fn previous(&self) -> Month {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    pub fn year_ago(&self) -> Month {
        Month {
            year: self.year - 1,
            month: self.month,
        }
    }

    pub fn contains(&self, date: NaiveDate) -> bool {
        Month::of(date) == *self
    }

    /// "2026-10".
    pub fn key(&self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }

    /// "October 2026".
    pub fn label(&self) -> String {
        self.first_day().format("%B %Y").to_string()
    }
}

/// Money per currency: a summary across locations with different currencies shows each
/// currency's total and never adds them together.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amounts(pub BTreeMap<String, i64>);

impl Amounts {
    pub fn add(&mut self, currency: &str, minor: i64) {
        *self.0.entry(currency.to_string()).or_insert(0) += minor;
    }

    pub fn get(&self, currency: &str) -> i64 {
        self.0.get(currency).copied().unwrap_or(0)
    }

    /// "1250.00 EUR · 310.00 GBP", or "0" with nothing in it.
    pub fn format(&self) -> String {
        if self.0.is_empty() {
            return "0".to_string();
        }
        self.0
            .iter()
            .map(|(code, minor)| money(*minor, code))
            .collect::<Vec<_>>()
            .join(" · ")
    }
}

/// "25.00 EUR" for a currency code (an unknown code shows its minor units).
pub fn money(minor: i64, code: &str) -> String {
    Currency::parse(code).map_or_else(
        |_| format!("{minor} (minor units) {code}"),
        |c| format_with_code(minor, c),
    )
}

/// `part` as a whole percentage of `whole`, rounded half up; None when `whole` is 0.
pub fn percent(part: i64, whole: i64) -> Option<i64> {
    if whole <= 0 {
        return None;
    }
    let value = (i128::from(part) * 200 + i128::from(whole)) / (i128::from(whole) * 2);
    Some(i64::try_from(value).unwrap_or(if value < 0 { i64::MIN } else { i64::MAX }))
}

/// The change from `previous` to `current` in whole percent (rounded half away from zero);
/// None when there was nothing before.
pub fn change_percent(current: i64, previous: i64) -> Option<i64> {
    if previous == 0 {
        return None;
    }
    let delta = i128::from(current - previous) * 100;
    let previous = i128::from(previous);
    let rounded = if delta >= 0 {
        (delta * 2 + previous) / (previous * 2)
    } else {
        -((-delta * 2 + previous) / (previous * 2))
    };
    Some(rounded as i64)
}

/// "+12 %", "−5 %", or "new" when there was nothing to compare with.
pub fn change_label(current: i64, previous: i64) -> String {
    match change_percent(current, previous) {
        None if current == 0 => "—".to_string(),
        None => "new".to_string(),
        Some(p) if p < 0 => format!("−{} %", -p),
        Some(p) => format!("+{p} %"),
    }
}

/// One bar of a Pareto chart: a cause, its value, and the running share of the total.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParetoRow {
    pub label: String,
    pub value: i64,
    /// Share of the total up to and including this row, in whole percent.
    pub cumulative_percent: i64,
}

/// Orders causes by value, largest first (ties by label), with the cumulative share; the
/// causes with nothing are left out.
pub fn pareto(rows: impl IntoIterator<Item = (String, i64)>) -> Vec<ParetoRow> {
    let mut rows: Vec<(String, i64)> = rows.into_iter().filter(|(_, v)| *v > 0).collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    // Saturating: a figure past the range of i64 stops at its end instead of wrapping.
    let total: i64 = rows
        .iter()
        .fold(0_i64, |sum, (_, v)| sum.saturating_add(*v));
    let mut running: i64 = 0;
    rows.into_iter()
        .map(|(label, value)| {
            running = running.saturating_add(value);
            ParetoRow {
                label,
                value,
                cumulative_percent: percent(running, total).unwrap_or(0),
            }
        })
        .collect()
}

/// Budget utilisation bands, from unused to beyond the allowance (approved excess).
pub const BANDS: [&str; 6] = [
    "Never used (0 %)",
    "Rarely used (under 10 %)",
    "10–49 %",
    "50–89 %",
    "90–100 %",
    "Beyond allowance (approved)",
];

/// Below this share of their allowance a person or team "rarely" uses their budget.
pub const RARELY_PERCENT: i64 = 10;

/// The band of spending `spent` out of `allowance`; None without an allowance.
pub fn band(spent: i64, allowance: i64) -> Option<usize> {
    if allowance <= 0 {
        return None;
    }
    let (spent, allowance) = (i128::from(spent), i128::from(allowance));
    Some(if spent <= 0 {
        0
    } else if spent * 100 < allowance * i128::from(RARELY_PERCENT) {
        1
    } else if spent * 100 < allowance * 50 {
        2
    } else if spent * 100 < allowance * 90 {
        3
    } else if spent <= allowance {
        4
    } else {
        5
    })
}

/// Follow-ups of the month's recoveries, against their due times.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUp {
    pub recorded_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUpFigures {
    pub promised: i64,
    pub on_time: i64,
    pub late: i64,
    /// Not done and past due at the time of computing.
    pub overdue: i64,
    /// Not done and not yet due.
    pub not_yet_due: i64,
    /// On time out of those that were done or fell due, in whole percent.
    pub on_time_percent: Option<i64>,
    /// Median time from logging to done, in minutes, over the done ones.
    pub median_minutes: Option<i64>,
}

pub fn follow_up_figures(rows: &[FollowUp], now: DateTime<Utc>) -> FollowUpFigures {
    let mut figures = FollowUpFigures {
        promised: rows.len() as i64,
        ..FollowUpFigures::default()
    };
    let mut minutes = Vec::new();
    for row in rows {
        match row.completed_at {
            Some(done) => {
                if done <= row.due_at {
                    figures.on_time += 1;
                } else {
                    figures.late += 1;
                }
                minutes.push((done - row.recorded_at).num_minutes().max(0));
            }
            None if row.due_at < now => figures.overdue += 1,
            None => figures.not_yet_due += 1,
        }
    }
    figures.on_time_percent = percent(
        figures.on_time,
        figures.on_time + figures.late + figures.overdue,
    );
    minutes.sort_unstable();
    figures.median_minutes = match minutes.len() {
        0 => None,
        n if n % 2 == 1 => Some(minutes[n / 2]),
        n => Some((minutes[n / 2 - 1] + minutes[n / 2]) / 2),
    };
    figures
}

/// "3 h 05 min" for a number of minutes.
pub fn duration_label(minutes: i64) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m:02} min"),
    }
}

/// One person's month, for the recognition rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonMonth {
    pub person_id: i64,
    pub name: String,
    pub place: String,
    /// Recoveries not reversed.
    pub recoveries: i64,
    pub delighted: i64,
    pub satisfied: i64,
    /// Recoveries where they also named the suspected cause (feeding the learning loop).
    pub with_cause: i64,
}

/// Recognition needs at least this many recoveries in the month ...
pub const RECOGNITION_MIN_RECOVERIES: i64 = 3;
/// ... of which at least this share (percent) left the customer delighted or satisfied.
pub const RECOGNITION_MIN_GOOD_PERCENT: i64 = 75;
pub const RECOGNITION_LIMIT: usize = 5;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recognition {
    pub name: String,
    pub place: String,
    pub reason: String,
}

/// The recognition rule: people with at least 3 recoveries in the month, at least 75 % of
/// which left the customer delighted or satisfied; ranked by delighted customers, then by
/// that share, then by causes named, then by recoveries; the first five.
pub fn recognised(people: &[PersonMonth]) -> Vec<Recognition> {
    let good = |p: &PersonMonth| p.delighted + p.satisfied;
    let mut eligible: Vec<&PersonMonth> = people
        .iter()
        .filter(|p| {
            p.recoveries >= RECOGNITION_MIN_RECOVERIES
                && good(p) * 100 >= p.recoveries * RECOGNITION_MIN_GOOD_PERCENT
        })
        .collect();
    eligible.sort_by(|a, b| {
        b.delighted
            .cmp(&a.delighted)
            // a's share > b's share  <=>  good(a) × b.recoveries > good(b) × a.recoveries
            .then_with(|| (good(b) * a.recoveries).cmp(&(good(a) * b.recoveries)))
            .then_with(|| b.with_cause.cmp(&a.with_cause))
            .then_with(|| b.recoveries.cmp(&a.recoveries))
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.person_id.cmp(&b.person_id))
    });
    eligible
        .into_iter()
        .take(RECOGNITION_LIMIT)
        .map(|p| Recognition {
            name: p.name.clone(),
            place: p.place.clone(),
            reason: format!(
                "{} recoveries: {} delighted, {} satisfied customers ({} %); named the cause {} times",
                p.recoveries,
                p.delighted,
                p.satisfied,
                percent(good(p), p.recoveries).unwrap_or(0),
                p.with_cause
            ),
        })
        .collect()
}

/// A count with its share of the whole, for a mix (channels, reactions).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    pub label: String,
    pub count: i64,
    pub percent: i64,
}

pub fn shares(rows: impl IntoIterator<Item = (String, i64)>) -> Vec<Share> {
    let rows: Vec<(String, i64)> = rows.into_iter().collect();
    let total: i64 = rows.iter().map(|(_, c)| c).sum();
    rows.into_iter()
        .map(|(label, count)| Share {
            label,
            count,
            percent: percent(count, total).unwrap_or(0),
        })
        .collect()
}

/// One currency's spend against allowance, with the same figure a month and a year before.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpendLine {
    pub currency: String,
    pub recoveries: i64,
    pub spend_minor: i64,
    pub allowance_minor: i64,
    pub previous_spend_minor: i64,
    pub year_ago_spend_minor: i64,
}

impl SpendLine {
    pub fn used_percent(&self) -> Option<i64> {
        percent(self.spend_minor, self.allowance_minor)
    }

    /// Spend per recovery, rounded half up.
    pub fn per_recovery_minor(&self) -> Option<i64> {
        // In i128: doubling must not overflow.
        (self.recoveries > 0).then(|| {
            let (spend, count) = (i128::from(self.spend_minor), i128::from(self.recoveries));
            i64::try_from((spend * 2 + count) / (count * 2)).unwrap_or(i64::MAX)
        })
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Headline {
    /// Recoveries whose budget day is in the month, reversed ones left out.
    pub recoveries: i64,
    pub previous_recoveries: i64,
    pub year_ago_recoveries: i64,
    /// Reversed recoveries of the month (wrong entries, counted nowhere else).
    pub reversed: i64,
    /// Requests beyond a budget still waiting for a supervisor.
    pub pending: i64,
    /// Recoveries put right without money (a fix, an apology, an upgrade).
    pub non_monetary: i64,
    pub lines: Vec<SpendLine>,
}

impl Headline {
    pub fn non_monetary_percent(&self) -> Option<i64> {
        percent(self.non_monetary, self.recoveries)
    }
}

/// People and teams by budget utilisation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Utilisation {
    /// People per band of [`BANDS`].
    pub bands: Vec<i64>,
    pub teams: Vec<TeamUse>,
    /// People who never used their budget this month (name — place), at most `NAMED` of them.
    pub never: Vec<String>,
    pub never_total: i64,
    /// People who used under 10 % of it.
    pub rarely: Vec<String>,
    pub rarely_total: i64,
}

/// How many people a list names before it says "and N more".
pub const NAMED: usize = 40;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamUse {
    pub name: String,
    pub place: String,
    pub people: i64,
    pub recoveries: i64,
    pub spend_minor: i64,
    pub allowance_minor: i64,
    pub currency: String,
}

impl TeamUse {
    pub fn used_percent(&self) -> Option<i64> {
        percent(self.spend_minor, self.allowance_minor)
    }

    pub fn rarely_used(&self) -> bool {
        matches!(band(self.spend_minor, self.allowance_minor), Some(0 | 1))
    }
}

/// A recovery worth retelling.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Story {
    pub recovery_id: i64,
    pub person: String,
    pub place: String,
    pub date: NaiveDate,
    pub cause: String,
    pub remedy: String,
    pub amount: String,
    pub severity: String,
    pub reaction: String,
    pub note: String,
}

/// An improvement item that moved this month, with its measured effect.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImprovementLine {
    pub id: i64,
    pub title: String,
    pub place: String,
    pub status: String,
    pub opened: bool,
    pub done: bool,
    pub verified: bool,
    pub occurrences: u32,
    pub cost: String,
    /// "1.75 → 0.25 a week (−86 %)" once done.
    pub effect: Option<String>,
}

/// Everything the month's summary shows. A published month stores this as its snapshot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub organisation: String,
    /// "All locations" or the location's name.
    pub scope: String,
    pub location_id: Option<i64>,
    pub month: Month,
    pub computed_at: DateTime<Utc>,
    pub headline: Headline,
    pub utilisation: Utilisation,
    /// Causes by count: category, and touchpoint.
    pub categories_by_count: Vec<ParetoRow>,
    pub touchpoints_by_count: Vec<ParetoRow>,
    /// Causes (category) by cost, one Pareto per currency.
    pub categories_by_cost: Vec<(String, Vec<ParetoRow>)>,
    pub channels: Vec<Share>,
    pub reactions: Vec<Share>,
    pub follow_ups: FollowUpFigures,
    pub improvements: Vec<ImprovementLine>,
    pub stories: Vec<Story>,
    pub recognition: Vec<Recognition>,
}

impl Summary {
    /// The headline figures by name, for telling a frozen summary from the ledger today.
    pub fn key_figures(&self) -> Vec<(String, String)> {
        let mut figures = vec![
            (
                "Recoveries".to_string(),
                self.headline.recoveries.to_string(),
            ),
            ("Reversed".to_string(), self.headline.reversed.to_string()),
            ("Pending".to_string(), self.headline.pending.to_string()),
        ];
        for line in &self.headline.lines {
            figures.push((
                format!("Spend ({})", line.currency),
                money(line.spend_minor, &line.currency),
            ));
        }
        figures.push((
            "Follow-ups done on time".to_string(),
            self.follow_ups.on_time.to_string(),
        ));
        figures
    }
}

/// What differs between a frozen summary and the same month computed now: (figure,
/// published, now) for each headline figure that moved.
pub fn corrections(published: &Summary, now: &Summary) -> Vec<(String, String, String)> {
    let before = published.key_figures();
    let after = now.key_figures();
    let mut changed = Vec::new();
    for (name, value) in &after {
        let old = before
            .iter()
            .find(|(n, _)| n == name)
            .map_or_else(|| "—".to_string(), |(_, v)| v.clone());
        if &old != value {
            changed.push((name.clone(), old, value.clone()));
        }
    }
    for (name, value) in &before {
        if !after.iter().any(|(n, _)| n == name) {
            changed.push((name.clone(), value.clone(), "—".to_string()));
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn months_parse_and_walk_the_calendar() {
        let m = Month::parse("2026-03").unwrap();
        assert_eq!(m.first_day(), NaiveDate::from_ymd_opt(2026, 3, 1).unwrap());
        assert_eq!(m.last_day(), NaiveDate::from_ymd_opt(2026, 3, 31).unwrap());
        assert_eq!(m.previous().key(), "2026-02");
        assert_eq!(m.previous().days(), 28);
        assert_eq!(Month::parse("2024-02").unwrap().days(), 29);
        assert_eq!(m.year_ago().key(), "2025-03");
        assert_eq!(Month::parse("2026-01").unwrap().previous().key(), "2025-12");
        assert_eq!(Month::parse("2026-12").unwrap().next().key(), "2027-01");
        assert_eq!(m.label(), "March 2026");
        for bad in [
            "2026-13", "2026-00", "26-03", "2026/03", "", "2026-3", "abcd-ef",
        ] {
            assert_eq!(Month::parse(bad), Err(SummaryError::Month), "{bad}");
        }
    }

    #[test]
    fn percentages_round_half_up_and_changes_away_from_zero() {
        assert_eq!(percent(1, 3), Some(33));
        assert_eq!(percent(2, 3), Some(67));
        assert_eq!(percent(1, 8), Some(13));
        assert_eq!(percent(5, 0), None);
        assert_eq!(change_percent(120, 100), Some(20));
        assert_eq!(change_percent(99, 200), Some(-51));
        assert_eq!(change_percent(5, 0), None);
        assert_eq!(change_label(5, 0), "new");
        assert_eq!(change_label(0, 0), "—");
        assert_eq!(change_label(50, 100), "−50 %");
    }

    #[test]
    fn pareto_ranks_by_value_with_a_running_share() {
        let rows = pareto([
            ("Noise".to_string(), 2),
            ("Room not ready".to_string(), 5),
            ("Billing".to_string(), 2),
            ("Nothing".to_string(), 0),
            ("Food".to_string(), 1),
        ]);
        let labels: Vec<&str> = rows.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(labels, ["Room not ready", "Billing", "Noise", "Food"]);
        let shares: Vec<i64> = rows.iter().map(|r| r.cumulative_percent).collect();
        assert_eq!(shares, [50, 70, 90, 100]);
    }

    #[test]
    fn utilisation_bands_name_never_and_rarely() {
        assert_eq!(band(0, 5000), Some(0));
        assert_eq!(band(1, 5000), Some(1));
        assert_eq!(band(499, 5000), Some(1));
        assert_eq!(band(500, 5000), Some(2));
        assert_eq!(band(4500, 5000), Some(4));
        assert_eq!(band(5000, 5000), Some(4));
        assert_eq!(band(5001, 5000), Some(5));
        assert_eq!(band(10, 0), None);
    }

    #[test]
    fn follow_ups_count_on_time_late_and_overdue() {
        let at = |h: i64| {
            Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap() + chrono::Duration::hours(h)
        };
        let rows = [
            FollowUp {
                recorded_at: at(0),
                due_at: at(24),
                completed_at: Some(at(2)),
            },
            FollowUp {
                recorded_at: at(0),
                due_at: at(24),
                completed_at: Some(at(30)),
            },
            FollowUp {
                recorded_at: at(0),
                due_at: at(4),
                completed_at: Some(at(3)),
            },
            FollowUp {
                recorded_at: at(0),
                due_at: at(24),
                completed_at: None,
            },
            FollowUp {
                recorded_at: at(0),
                due_at: at(200),
                completed_at: None,
            },
        ];
        let f = follow_up_figures(&rows, at(100));
        assert_eq!(
            (f.promised, f.on_time, f.late, f.overdue, f.not_yet_due),
            (5, 2, 1, 1, 1)
        );
        assert_eq!(f.on_time_percent, Some(50));
        assert_eq!(f.median_minutes, Some(180));
        assert_eq!(duration_label(185), "3 h 05 min");
        assert_eq!(duration_label(45), "45 min");
        assert_eq!(duration_label(120), "2 h");
    }

    fn person(
        id: i64,
        name: &str,
        n: i64,
        delighted: i64,
        satisfied: i64,
        cause: i64,
    ) -> PersonMonth {
        PersonMonth {
            person_id: id,
            name: name.into(),
            place: "Lisbon".into(),
            recoveries: n,
            delighted,
            satisfied,
            with_cause: cause,
        }
    }

    #[test]
    fn recognition_follows_the_documented_rule() {
        let people = [
            person(1, "Two only", 2, 2, 0, 0),         // too few recoveries
            person(2, "Mostly unhappy", 8, 3, 2, 5),   // 5/8 = 62 % good: below 75 %
            person(3, "Steady", 4, 1, 2, 0),           // 3/4 = 75 %: eligible, 1 delighted
            person(4, "Star", 6, 4, 2, 1),             // 4 delighted
            person(5, "Also four", 5, 4, 0, 3),        // 4 delighted, 80 % < Star's 100 %
            person(6, "Tied with Steady", 4, 1, 2, 2), // same as Steady but more causes
        ];
        let names: Vec<String> = recognised(&people).into_iter().map(|r| r.name).collect();
        assert_eq!(names, ["Star", "Also four", "Tied with Steady", "Steady"]);
        let many: Vec<PersonMonth> = (0..9)
            .map(|i| person(10 + i, &format!("P{i}"), 3, 3, 0, 0))
            .collect();
        assert_eq!(recognised(&many).len(), RECOGNITION_LIMIT);
    }

    #[test]
    fn corrections_name_the_figures_that_moved() {
        let headline = Headline {
            recoveries: 10,
            lines: vec![SpendLine {
                currency: "EUR".into(),
                recoveries: 10,
                spend_minor: 10_000,
                allowance_minor: 50_000,
                previous_spend_minor: 0,
                year_ago_spend_minor: 0,
            }],
            ..Headline::default()
        };
        let summary = Summary {
            organisation: "Org".into(),
            scope: "All locations".into(),
            location_id: None,
            month: Month::parse("2026-03").unwrap(),
            computed_at: Utc.with_ymd_and_hms(2026, 4, 2, 8, 0, 0).unwrap(),
            headline,
            utilisation: Utilisation::default(),
            categories_by_count: vec![],
            touchpoints_by_count: vec![],
            categories_by_cost: vec![],
            channels: vec![],
            reactions: vec![],
            follow_ups: FollowUpFigures::default(),
            improvements: vec![],
            stories: vec![],
            recognition: vec![],
        };
        let mut later = summary.clone();
        assert!(corrections(&summary, &later).is_empty());
        later.headline.recoveries = 9;
        later.headline.reversed = 1;
        later.headline.lines[0].spend_minor = 9_000;
        let changed = corrections(&summary, &later);
        assert_eq!(
            changed,
            [
                ("Recoveries".to_string(), "10".to_string(), "9".to_string()),
                ("Reversed".to_string(), "0".to_string(), "1".to_string()),
                (
                    "Spend (EUR)".to_string(),
                    "100.00 EUR".to_string(),
                    "90.00 EUR".to_string()
                ),
            ]
        );
    }
}
