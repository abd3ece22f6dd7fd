//! The learning loop's rules: when recurring recoveries form a signal that proposes an
//! improvement item, how items are ranked, the status an item moves through, and whether a
//! fix worked (the recurrence rate before and after it was done).
//!
//! Everything here is computed from ledger facts handed in; nothing is typed in by people.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{
    money::{format_with_code, Currency},
    recovery::{Reaction, Severity},
    text::{char_count, clean_block, clean_line, slug_enum},
};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LearningError {
    #[error("Unknown status \"{0}\".")]
    UnknownStatus(String),
    #[error("An item that is {from} cannot become {to}.")]
    NotAllowed {
        from: &'static str,
        to: &'static str,
    },
    #[error("Say why the item is declined.")]
    DeclineNeedsReason,
    #[error("Give the item a title of 3 to {MAX_TITLE_CHARS} characters.")]
    Title,
    #[error("Keep it to {0} characters.")]
    TooLong(usize),
    #[error("Thresholds: the window is 7 to 365 days and each threshold at least 2 recoveries.")]
    Thresholds,
}

pub const MAX_TITLE_CHARS: usize = 120;
pub const MAX_TEXT_CHARS: usize = 2_000;

/// When recurring recoveries become a signal that proposes an item, per organisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thresholds {
    /// The rolling window, in local days, ending today.
    pub window_days: u32,
    /// Recoveries of one category at one touchpoint at one location within the window.
    pub location_occurrences: u32,
    /// The same across the whole organisation.
    pub organisation_occurrences: u32,
}

impl Default for Thresholds {
    /// For a 200-room hotel: the same failure five times in four weeks at one hotel is a
    /// weekly pattern, not bad luck; twelve across a group of hotels is a process problem.
    fn default() -> Self {
        Thresholds {
            window_days: 28,
            location_occurrences: 5,
            organisation_occurrences: 12,
        }
    }
}

impl Thresholds {
    pub fn new(
        window_days: u32,
        location_occurrences: u32,
        organisation_occurrences: u32,
    ) -> Result<Thresholds, LearningError> {
        if !(7..=365).contains(&window_days)
            || location_occurrences < 2
            || organisation_occurrences < 2
        {
            return Err(LearningError::Thresholds);
        }
        Ok(Thresholds {
            window_days,
            location_occurrences,
            organisation_occurrences,
        })
    }

    /// The first day of the window that ends on `today`.
    pub fn window_start(&self, today: NaiveDate) -> NaiveDate {
        today - chrono::Days::new(u64::from(self.window_days) - 1)
    }

    /// Does this many occurrences at this level cross the threshold?
    pub fn crossed(&self, occurrences: u32, organisation_wide: bool) -> bool {
        let threshold = if organisation_wide {
            self.organisation_occurrences
        } else {
            self.location_occurrences
        };
        occurrences >= threshold
    }
}

/// One recovery as the learning loop sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Occurrence {
    pub date: NaiveDate,
    /// The recovery's full amount: what the failure cost to put right, in minor units of
    /// the recovery's currency (kept beside it: see [`Figures::in_currency`]).
    pub amount_minor: i64,
    pub severity: Severity,
    pub reaction: Reaction,
}

/// How a signal moves against the window before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Trend {
    New,
    Rising,
    Steady,
    Falling,
}

impl Trend {
    pub fn of(current: u32, previous: u32) -> Trend {
        match (previous, current.cmp(&previous)) {
            (0, _) => Trend::New,
            (_, std::cmp::Ordering::Greater) => Trend::Rising,
            (_, std::cmp::Ordering::Equal) => Trend::Steady,
            (_, std::cmp::Ordering::Less) => Trend::Falling,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Trend::New => "new",
            Trend::Rising => "rising",
            Trend::Steady => "steady",
            Trend::Falling => "falling",
        }
    }
}

/// A sum of money in one currency that never wraps: an addition past the range of `i64`
/// stops at the limit and says so (`saturated`), and is shown as "more than …". Amounts are
/// never negative, so in practice only the upper limit (92233720368547758.07 in a
/// two-decimal currency) is ever reached.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Total {
    pub minor: i64,
    /// The true sum lies beyond `minor`, which stopped at the limit.
    pub saturated: bool,
}

impl Total {
    pub fn of(minor: i64) -> Total {
        Total {
            minor,
            saturated: false,
        }
    }

    /// Adds an amount with `checked_add`; past the limit the total stays at the limit and is
    /// marked saturated.
    #[must_use]
    pub fn plus_minor(self, minor: i64) -> Total {
        match self.minor.checked_add(minor) {
            Some(sum) => Total {
                minor: sum,
                saturated: self.saturated,
            },
            None => Total {
                minor: if minor > 0 { i64::MAX } else { i64::MIN },
                saturated: true,
            },
        }
    }

    /// Adds another total of the same currency.
    #[must_use]
    pub fn plus(self, other: Total) -> Total {
        let sum = self.plus_minor(other.minor);
        Total {
            saturated: sum.saturated || other.saturated,
            ..sum
        }
    }

    /// A sum computed wider than `i64` (e.g. recombined from the split sums the store reads),
    /// brought into range: beyond it, the limit, marked saturated.
    pub fn from_wide(value: i128) -> Total {
        match i64::try_from(value) {
            Ok(minor) => Total::of(minor),
            Err(_) => Total {
                minor: if value > 0 { i64::MAX } else { i64::MIN },
                saturated: true,
            },
        }
    }

    /// "25.00 EUR", or "more than 92233720368547758.07 EUR" when saturated.
    pub fn format(self, currency: Currency) -> String {
        let amount = format_with_code(self.minor, currency);
        match (self.saturated, self.minor < 0) {
            (false, _) => amount,
            (true, false) => format!("more than {amount}"),
            (true, true) => format!("less than {amount}"),
        }
    }
}

/// Money per currency. Amounts in different currencies are never added together nor
/// converted: each currency keeps its own [`Total`], in the order of their codes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "Vec<(String, Total)>", try_from = "Vec<(String, Total)>")]
pub struct Costs(Vec<(Currency, Total)>);

impl From<Costs> for Vec<(String, Total)> {
    fn from(costs: Costs) -> Self {
        costs
            .0
            .into_iter()
            .map(|(currency, total)| (currency.code().to_string(), total))
            .collect()
    }
}

impl TryFrom<Vec<(String, Total)>> for Costs {
    type Error = crate::money::MoneyError;

    fn try_from(rows: Vec<(String, Total)>) -> Result<Self, Self::Error> {
        let mut costs = Costs::default();
        for (code, total) in rows {
            costs.add_total(Currency::parse(&code)?, total);
        }
        Ok(costs)
    }
}

impl Costs {
    /// Adds an amount to its currency's total.
    pub fn add(&mut self, currency: Currency, minor: i64) {
        self.add_total(currency, Total::of(minor));
    }

    /// Adds a total (e.g. one the database summed) to its currency's total.
    pub fn add_total(&mut self, currency: Currency, total: Total) {
        match self.0.iter_mut().find(|(c, _)| *c == currency) {
            Some((_, existing)) => *existing = existing.plus(total),
            None => {
                self.0.push((currency, total));
                self.0.sort_by(|a, b| a.0.code().cmp(b.0.code()));
            }
        }
    }

    /// The total in one currency (zero when nothing was spent in it).
    pub fn get(&self, currency: Currency) -> Total {
        self.0
            .iter()
            .find(|(c, _)| *c == currency)
            .map_or_else(Total::default, |(_, total)| *total)
    }

    /// Each currency with its total, in the order of their codes.
    pub fn totals(&self) -> &[(Currency, Total)] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// "1240.00 EUR + 310.00 GBP"; with nothing spent, zero in `fallback` ("0.00 EUR").
    pub fn format(&self, fallback: Currency) -> String {
        if self.0.is_empty() {
            return Total::default().format(fallback);
        }
        self.0
            .iter()
            .map(|(currency, total)| total.format(*currency))
            .collect::<Vec<_>>()
            .join(" + ")
    }
}

/// The figures of a group of recoveries (a signal's window, or an item's links).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    pub occurrences: u32,
    /// Cost of failure in one currency, the one the priority ranks by: for [`Figures::of`]
    /// every occurrence handed in (they must share a currency); for
    /// [`Figures::in_currency`] only the occurrences in the currency named there (the others
    /// are in `costs`, never converted or added). Added with checked arithmetic: it stops at
    /// `i64::MAX` (`cost_saturated`), it never wraps.
    pub cost_minor: i64,
    /// `cost_minor` stopped at the limit: the true cost is larger.
    pub cost_saturated: bool,
    /// Cost of failure per currency ([`Figures::in_currency`]; empty from [`Figures::of`],
    /// which is told no currency).
    pub costs: Costs,
    /// Low, medium, high, critical.
    pub severity_mix: [u32; 4],
    /// Delighted, satisfied, neutral, still unhappy.
    pub reactions: [u32; 4],
    pub first_seen: Option<NaiveDate>,
    pub last_seen: Option<NaiveDate>,
}

impl Figures {
    /// The figures of occurrences that share one currency.
    pub fn of(occurrences: &[Occurrence]) -> Figures {
        let mut figures = Figures::default();
        let mut cost = Total::default();
        for o in occurrences {
            figures.count(o);
            cost = cost.plus_minor(o.amount_minor);
        }
        figures.cost_minor = cost.minor;
        figures.cost_saturated = cost.saturated;
        figures
    }

    /// The figures of occurrences in several currencies: counts, severity, reactions and
    /// dates over all of them; the cost per currency in `costs`; and as `cost_minor` (what
    /// [`Figures::priority`] ranks by) the cost in `own`, the item's own currency.
    pub fn in_currency(occurrences: &[(Currency, Occurrence)], own: Currency) -> Figures {
        let mut figures = Figures::default();
        for (currency, o) in occurrences {
            figures.count(o);
            figures.costs.add(*currency, o.amount_minor);
        }
        let cost = figures.costs.get(own);
        figures.cost_minor = cost.minor;
        figures.cost_saturated = cost.saturated;
        figures
    }

    fn count(&mut self, o: &Occurrence) {
        self.occurrences = self.occurrences.saturating_add(1);
        let severity = usize::from(o.severity.weight().clamp(1, 4) - 1);
        self.severity_mix[severity] = self.severity_mix[severity].saturating_add(1);
        let reaction = match o.reaction {
            Reaction::Delighted => 0,
            Reaction::Satisfied => 1,
            Reaction::Neutral => 2,
            Reaction::StillUnhappy => 3,
        };
        self.reactions[reaction] = self.reactions[reaction].saturating_add(1);
        self.first_seen = Some(self.first_seen.map_or(o.date, |d| d.min(o.date)));
        self.last_seen = Some(self.last_seen.map_or(o.date, |d| d.max(o.date)));
    }

    /// The cost the priority ranks by (see `cost_minor`).
    pub fn cost(&self) -> Total {
        Total {
            minor: self.cost_minor,
            saturated: self.cost_saturated,
        }
    }

    /// Mean severity weight (1 low … 4 critical), 0 with no occurrences.
    pub fn mean_severity(&self) -> f64 {
        if self.occurrences == 0 {
            return 0.0;
        }
        let total: u64 = self
            .severity_mix
            .iter()
            .zip(1u64..)
            .map(|(count, weight)| u64::from(*count) * weight)
            .sum();
        total as f64 / f64::from(self.occurrences)
    }

    /// The most common severity (the higher one on a tie).
    pub fn typical_severity(&self) -> Option<Severity> {
        if self.occurrences == 0 {
            return None;
        }
        let index = (0..4)
            .rev()
            .max_by_key(|i| (self.severity_mix[*i], *i))
            .unwrap_or(0);
        Some(
            [
                Severity::Low,
                Severity::Medium,
                Severity::High,
                Severity::Critical,
            ][index],
        )
    }

    /// Occurrences per week over the days from the first to the last one (at least a week).
    pub fn per_week(&self) -> f64 {
        let (Some(first), Some(last)) = (self.first_seen, self.last_seen) else {
            return 0.0;
        };
        let days = ((last - first).num_days() + 1).max(7) as f64;
        f64::from(self.occurrences) * 7.0 / days
    }

    /// The priority score:
    ///
    /// `priority = (1 + cost of failure in major units) × occurrences per week × mean severity`
    ///
    /// rounded to a whole number. Cost × frequency × severity, with 1 added to the cost so
    /// that failures put right without money (a fix or an apology) still rank by how often
    /// and how badly they happen. The cost is `cost_minor`: one currency only, never a sum
    /// of several (see [`Figures::in_currency`]). `exponent` is that currency's minor-unit
    /// exponent. Computed in floating point and brought back with a saturating conversion:
    /// an absurd cost ranks first, it never wraps or fails.
    pub fn priority(&self, exponent: u8) -> i64 {
        let major = self.cost_minor as f64 / 10f64.powi(i32::from(exponent));
        let score = ((1.0 + major) * self.per_week() * self.mean_severity()).round();
        if score.is_nan() {
            0
        } else {
            // `as` from f64 saturates at i64::MIN / i64::MAX.
            score as i64
        }
    }
}

/// Whether a fix worked: recurrences per week in the same window length before and after the
/// done date. Rates are in hundredths of a recurrence per week.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Effect {
    pub before: u32,
    pub after: u32,
    pub before_per_week_x100: i64,
    pub after_per_week_x100: i64,
    /// Days measured after the fix (the window, or fewer while it is still recent).
    pub after_days: u32,
    /// Change of the weekly rate in percent (negative = fewer); None with nothing before.
    pub change_percent: Option<i64>,
}

/// Compares recurrences in `[done_on − window, done_on)` with `[done_on, done_on + window)`,
/// the latter cut at `today` while the window has not passed yet.
pub fn effect(
    dates: &[NaiveDate],
    done_on: NaiveDate,
    window_days: u32,
    today: NaiveDate,
) -> Effect {
    let window = i64::from(window_days.max(1));
    let before_start = done_on - chrono::Duration::days(window);
    let after_end = done_on + chrono::Duration::days(window);
    let after_days = (today - done_on).num_days().clamp(1, window);
    let measured_end = done_on + chrono::Duration::days(after_days);
    let before = dates
        .iter()
        .filter(|d| **d >= before_start && **d < done_on)
        .count() as u32;
    let after = dates
        .iter()
        .filter(|d| **d >= done_on && **d < measured_end.min(after_end))
        .count() as u32;
    let rate = |count: u32, days: i64| (i64::from(count) * 700 + days / 2) / days;
    let before_rate = rate(before, window);
    let after_rate = rate(after, after_days);
    Effect {
        before,
        after,
        before_per_week_x100: before_rate,
        after_per_week_x100: after_rate,
        after_days: after_days as u32,
        change_percent: (before_rate > 0).then(|| {
            ((after_rate - before_rate) as f64 * 100.0 / before_rate as f64).round() as i64
        }),
    }
}

slug_enum! {
    /// Where an improvement item stands.
    pub enum ItemStatus {
        Proposed = "proposed", "Proposed";
        Accepted = "accepted", "Accepted";
        InProgress = "in-progress", "In progress";
        Done = "done", "Done";
        Verified = "verified", "Verified";
        Declined = "declined", "Declined";
    }
    unknown(text) -> LearningError { LearningError::UnknownStatus(text) }
}

impl ItemStatus {
    /// Still collecting recurrences: new recoveries of its cause attach to it.
    pub fn is_open(self) -> bool {
        !matches!(self, ItemStatus::Verified | ItemStatus::Declined)
    }

    /// The statuses an item may move to from here.
    pub fn next(self) -> &'static [ItemStatus] {
        use ItemStatus::*;
        match self {
            Proposed => &[Accepted, Declined],
            Accepted => &[InProgress, Declined],
            InProgress => &[Done, Declined],
            // Verification is a manager's decision; a fix that did not work goes back.
            Done => &[Verified, InProgress],
            Verified | Declined => &[],
        }
    }
}

/// Checks a status change; a decline needs a reason (returned cleaned).
pub fn transition(
    from: ItemStatus,
    to: ItemStatus,
    reason: &str,
) -> Result<Option<String>, LearningError> {
    if !from.next().contains(&to) {
        return Err(LearningError::NotAllowed {
            from: from.label(),
            to: to.label(),
        });
    }
    if to == ItemStatus::Declined {
        let reason = clean_block(reason);
        if reason.is_empty() {
            return Err(LearningError::DeclineNeedsReason);
        }
        if char_count(&reason) > MAX_TEXT_CHARS {
            return Err(LearningError::TooLong(MAX_TEXT_CHARS));
        }
        return Ok(Some(reason));
    }
    Ok(None)
}

/// A cleaned item title.
pub fn title(text: &str) -> Result<String, LearningError> {
    let title = clean_line(text);
    let length = char_count(&title);
    if !(3..=MAX_TITLE_CHARS).contains(&length) {
        return Err(LearningError::Title);
    }
    Ok(title)
}

/// A cleaned free text (problem statement, countermeasure, comment) of at most 2,000 characters.
pub fn text(text: &str) -> Result<String, LearningError> {
    let text = clean_block(text);
    if char_count(&text) > MAX_TEXT_CHARS {
        return Err(LearningError::TooLong(MAX_TEXT_CHARS));
    }
    Ok(text)
}

/// How alike two titles are, 0–100: the share of the shorter title's words (of three letters
/// or more, case-insensitive) found in the other. Used to show similar open items while a
/// manager types a new one.
pub fn similarity(a: &str, b: &str) -> u32 {
    let words = |text: &str| -> std::collections::BTreeSet<String> {
        text.split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() >= 3)
            .map(str::to_lowercase)
            .collect()
    };
    let (a, b) = (words(a), words(b));
    let shorter = a.len().min(b.len());
    if shorter == 0 {
        return 0;
    }
    (a.intersection(&b).count() * 100 / shorter) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 1).unwrap() + chrono::Days::new(u64::from(d))
    }

    fn occurrence(d: u32, amount_minor: i64, severity: Severity) -> Occurrence {
        Occurrence {
            date: day(d),
            amount_minor,
            severity,
            reaction: Reaction::Satisfied,
        }
    }

    #[test]
    fn figures_add_up_cost_mix_and_dates() {
        let f = Figures::of(&[
            occurrence(3, 2_000, Severity::High),
            occurrence(0, 1_000, Severity::Medium),
            occurrence(13, 0, Severity::High),
        ]);
        assert_eq!(f.occurrences, 3);
        assert_eq!(f.cost_minor, 3_000);
        assert_eq!(f.severity_mix, [0, 1, 2, 0]);
        assert_eq!(f.reactions, [0, 3, 0, 0]);
        assert_eq!((f.first_seen, f.last_seen), (Some(day(0)), Some(day(13))));
        assert_eq!(f.typical_severity(), Some(Severity::High));
        // 3 over 14 days = 1.5 a week; mean severity (2+3+3)/3; cost 30.00.
        assert!((f.per_week() - 1.5).abs() < 1e-9);
        assert_eq!(
            f.priority(2),
            ((1.0 + 30.0) * 1.5 * (8.0 / 3.0_f64)).round() as i64
        );
        assert_eq!(f.priority(2), 124);
    }

    #[test]
    fn a_short_burst_counts_as_a_week_and_free_fixes_still_rank() {
        let f = Figures::of(&[
            occurrence(1, 0, Severity::Low),
            occurrence(2, 0, Severity::Low),
        ]);
        assert!((f.per_week() - 2.0).abs() < 1e-9);
        assert_eq!(f.priority(2), 2);
        assert_eq!(Figures::of(&[]).priority(2), 0);
    }

    #[test]
    fn ranking_follows_cost_frequency_and_severity() {
        let cheap = Figures::of(&[occurrence(0, 500, Severity::Low); 4]);
        let costly = Figures::of(&[occurrence(0, 5_000, Severity::Low); 4]);
        let severe = Figures::of(&[occurrence(0, 500, Severity::Critical); 4]);
        assert!(costly.priority(2) > cheap.priority(2));
        assert!(severe.priority(2) > cheap.priority(2));
    }

    fn eur(d: u32, amount_minor: i64) -> (Currency, Occurrence) {
        (Currency::EUR, occurrence(d, amount_minor, Severity::Medium))
    }

    fn gbp(d: u32, amount_minor: i64) -> (Currency, Occurrence) {
        (Currency::GBP, occurrence(d, amount_minor, Severity::Medium))
    }

    #[test]
    fn costs_stay_per_currency_and_the_priority_ranks_by_the_own_currency() {
        let f = Figures::in_currency(
            &[eur(0, 100_000), gbp(3, 31_000), eur(6, 24_000)],
            Currency::EUR,
        );
        assert_eq!(f.occurrences, 3);
        assert_eq!(f.costs.get(Currency::EUR), Total::of(124_000));
        assert_eq!(f.costs.get(Currency::GBP), Total::of(31_000));
        assert_eq!(f.costs.format(Currency::EUR), "1240.00 EUR + 310.00 GBP");
        // The priority's cost is the EUR part only: 1240.00, never 1550.00 "EUR".
        assert_eq!(f.cost_minor, 124_000);
        let eur_only = Figures::of(&[
            occurrence(0, 100_000, Severity::Medium),
            occurrence(3, 0, Severity::Medium),
            occurrence(6, 24_000, Severity::Medium),
        ]);
        assert_eq!(f.priority(2), eur_only.priority(2));
        // Nothing spent: zero in the fallback currency.
        assert_eq!(Costs::default().format(Currency::GBP), "0.00 GBP");
        // The same figures in GBP rank by the GBP part.
        let in_gbp = Figures::in_currency(&[eur(0, 100_000), gbp(3, 31_000)], Currency::GBP);
        assert_eq!(in_gbp.cost_minor, 31_000);
    }

    #[test]
    fn sums_saturate_with_a_marker_and_never_wrap() {
        let max = Total::of(i64::MAX);
        assert_eq!(max.plus_minor(0), max);
        let over = max.plus_minor(1);
        assert_eq!(
            over,
            Total {
                minor: i64::MAX,
                saturated: true
            }
        );
        assert!(
            over.plus_minor(-1).saturated,
            "once saturated, always marked"
        );
        assert_eq!(
            over.format(Currency::EUR),
            "more than 92233720368547758.07 EUR"
        );
        assert_eq!(Total::of(5).plus(over), over);
        assert_eq!(Total::from_wide(i128::from(i64::MAX) * 3), over);
        assert_eq!(Total::from_wide(12_345), Total::of(12_345));

        // One absurd recovery and a normal one: the figures still answer.
        let f = Figures::of(&[
            occurrence(0, i64::MAX, Severity::Critical),
            occurrence(1, 1_000, Severity::Low),
        ]);
        assert_eq!((f.cost_minor, f.cost_saturated), (i64::MAX, true));
        assert!(f.priority(2) > 0);
        assert!(f.priority(0) > 0);
        let mixed = Figures::in_currency(
            &[eur(0, i64::MAX), eur(1, i64::MAX), gbp(2, 500)],
            Currency::EUR,
        );
        assert!(mixed.costs.get(Currency::EUR).saturated);
        assert_eq!(mixed.costs.get(Currency::GBP), Total::of(500));
        assert_eq!(
            mixed.costs.format(Currency::EUR),
            "more than 92233720368547758.07 EUR + 5.00 GBP"
        );
        assert!(mixed.priority(2) > 0);
    }

    #[test]
    fn thresholds_and_trends() {
        let t = Thresholds::default();
        assert!(!t.crossed(4, false));
        assert!(t.crossed(5, false));
        assert!(!t.crossed(11, true));
        assert!(t.crossed(12, true));
        assert_eq!(t.window_start(day(27)), day(0));
        assert_eq!(Trend::of(5, 0), Trend::New);
        assert_eq!(Trend::of(5, 3), Trend::Rising);
        assert_eq!(Trend::of(3, 3), Trend::Steady);
        assert_eq!(Trend::of(1, 3), Trend::Falling);
        assert!(Thresholds::new(6, 5, 12).is_err());
        assert!(Thresholds::new(28, 1, 12).is_err());
        assert_eq!(Thresholds::new(28, 5, 12), Ok(t));
    }

    #[test]
    fn the_effect_compares_equal_windows_around_the_done_date() {
        // Done on day 28 with a 28-day window: 8 before (2 a week), 2 after (0.5 a week).
        let mut dates: Vec<NaiveDate> = (0..8).map(|i| day(i * 3 + 1)).collect();
        dates.extend([day(30), day(50)]);
        dates.push(day(70)); // outside both windows
        let e = effect(&dates, day(28), 28, day(90));
        assert_eq!((e.before, e.after, e.after_days), (8, 2, 28));
        assert_eq!((e.before_per_week_x100, e.after_per_week_x100), (200, 50));
        assert_eq!(e.change_percent, Some(-75));
    }

    #[test]
    fn a_recent_fix_is_measured_over_the_days_so_far() {
        let dates = [day(1), day(8), day(15), day(22), day(29)];
        // Done on day 28, today day 35: 7 days after, one recurrence = 1 a week.
        let e = effect(&dates, day(28), 28, day(35));
        assert_eq!((e.before, e.after, e.after_days), (4, 1, 7));
        assert_eq!((e.before_per_week_x100, e.after_per_week_x100), (100, 100));
        assert_eq!(e.change_percent, Some(0));
        // Nothing before: no percentage.
        assert_eq!(
            effect(&[day(30)], day(28), 28, day(35)).change_percent,
            None
        );
    }

    #[test]
    fn the_workflow_moves_forward_and_declines_need_a_reason() {
        use ItemStatus::*;
        assert_eq!(transition(Proposed, Accepted, ""), Ok(None));
        assert_eq!(transition(Accepted, InProgress, ""), Ok(None));
        assert_eq!(transition(InProgress, Done, ""), Ok(None));
        assert_eq!(transition(Done, Verified, ""), Ok(None));
        assert_eq!(transition(Done, InProgress, ""), Ok(None));
        assert!(matches!(
            transition(Proposed, Done, ""),
            Err(LearningError::NotAllowed { .. })
        ));
        assert!(matches!(
            transition(Verified, InProgress, ""),
            Err(LearningError::NotAllowed { .. })
        ));
        assert_eq!(
            transition(Proposed, Declined, " "),
            Err(LearningError::DeclineNeedsReason)
        );
        assert_eq!(
            transition(Accepted, Declined, "Supplier contract ends next month"),
            Ok(Some("Supplier contract ends next month".into()))
        );
        assert!(Proposed.is_open() && Done.is_open());
        assert!(!Verified.is_open() && !Declined.is_open());
    }

    #[test]
    fn titles_and_similarity() {
        assert_eq!(
            title("  Rooms not ready at check-in "),
            Ok("Rooms not ready at check-in".into())
        );
        assert_eq!(title("ok"), Err(LearningError::Title));
        assert_eq!(
            similarity("Rooms not ready at 15:00", "Room not ready: check-in"),
            66
        );
        assert_eq!(similarity("Noise from the bar", "Late breakfast"), 0);
        assert_eq!(similarity("", "anything"), 0);
    }
}
