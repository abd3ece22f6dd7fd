//! CSV exports of the monthly summary: the month's recoveries as the ledger stands, and the
//! summary's tables (as published, if the month is published). Text from people is escaped
//! and guarded against spreadsheet formula injection. Managers export their scope,
//! leadership the organisation.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::{
    money::{format_minor, Currency},
    org::Role,
    summary::{Summary, BANDS},
};
use store::Store;

use crate::{Actor, ServiceError};

/// What can be exported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Export {
    Recoveries,
    Tables,
}

impl Export {
    /// The export a file name asks for: "recoveries.csv" or "tables.csv", nothing else.
    pub fn parse(name: &str) -> Option<Export> {
        match name {
            "recoveries.csv" => Some(Export::Recoveries),
            "tables.csv" => Some(Export::Tables),
            _ => None,
        }
    }
}

/// One CSV field: quoted when it holds a comma, quote or line break; text that a
/// spreadsheet would run as a formula (=, +, -, @, tab, carriage return first) gets a
/// leading apostrophe.
pub fn text(value: &str) -> String {
    let guarded = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// A CSV line from fields already made safe (numbers) or passed through [`text`].
pub(crate) fn line(out: &mut String, fields: &[String]) {
    out.push_str(&fields.join(","));
    out.push_str("\r\n");
}

/// A decimal amount ("-12.50") for a number column; the currency is its own column.
fn amount(minor: i64, code: &str) -> String {
    Currency::parse(code).map_or_else(|_| minor.to_string(), |c| format_minor(minor, c))
}

/// The export as (file name, CSV body). The actor must be a manager for the scope, as for
/// the summary page.
#[tracing::instrument(name = "export::summary_export", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn summary_export(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    what: Export,
    month: &str,
    location: &str,
) -> Result<(String, String), ServiceError> {
    actor.require(Role::Manager)?;
    let view = crate::summary::view(store, actor, now, month, location).await?;
    let scope = if view.location == "all" {
        "all-locations".to_string()
    } else {
        format!("location-{}", view.location)
    };
    match what {
        Export::Tables => Ok((
            format!("goodwill-summary-{}-{scope}.csv", view.month),
            tables_csv(&view.summary, view.published.is_some()),
        )),
        Export::Recoveries => {
            let org = actor.organisation_id;
            let location_id = view.location.parse::<i64>().ok();
            let month = view.summary.month;
            let rows = store
                .month_recoveries(org, location_id, month.first_day(), month.last_day())
                .await?;
            let places: HashMap<i64, String> = store
                .locations(org)
                .await?
                .into_iter()
                .map(|l| (l.id, l.name))
                .collect();
            let mut out = String::new();
            line(
                &mut out,
                &[
                    "recovery",
                    "budget_date",
                    "occurred_at_utc",
                    "location",
                    "person",
                    "touchpoint",
                    "channel",
                    "category",
                    "severity",
                    "description",
                    "remedy",
                    "amount",
                    "currency",
                    "amount_minor",
                    "covered_minor",
                    "excess_minor",
                    "status",
                    "approved_minor",
                    "decision_reason",
                    "reaction",
                    "cause",
                    "cause_note",
                    "follow_up_due_utc",
                    "reversal_reason",
                ]
                .map(String::from),
            );
            for r in rows {
                line(
                    &mut out,
                    &[
                        r.id.to_string(),
                        r.budget_date.to_string(),
                        r.occurred_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                        text(places.get(&r.location_id).map_or("", String::as_str)),
                        text(&r.person_name),
                        text(&r.touchpoint),
                        text(&r.channel),
                        text(&r.category),
                        text(&r.severity),
                        text(&r.description),
                        text(&r.remedy),
                        amount(r.amount_minor, r.currency.code()),
                        text(r.currency.code()),
                        r.amount_minor.to_string(),
                        r.covered_minor.to_string(),
                        r.excess_minor.to_string(),
                        text(r.status().as_str()),
                        r.approved_minor.map(|m| m.to_string()).unwrap_or_default(),
                        text(r.decision_reason.as_deref().unwrap_or("")),
                        text(&r.reaction),
                        text(r.cause.as_deref().unwrap_or("")),
                        text(r.cause_note.as_deref().unwrap_or("")),
                        r.follow_up_due_at
                            .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
                            .unwrap_or_default(),
                        text(r.reversal_reason.as_deref().unwrap_or("")),
                    ],
                );
            }
            Ok((
                format!("goodwill-recoveries-{}-{scope}.csv", view.month),
                out,
            ))
        }
    }
}

/// The summary's tables in one long CSV: table, row, measure, value. Every figure the page
/// shows is here, and the under-used lists name everyone (the page stops at 40).
pub fn tables_csv(s: &Summary, published: bool) -> String {
    let mut out = String::new();
    line(
        &mut out,
        &["table", "row", "measure", "value"].map(String::from),
    );
    let mut put = |table: &str, row: &str, measure: &str, value: String| {
        // Figures stay numbers ("-5.00" is an amount, not a formula); the rest is text.
        let value = if value.parse::<f64>().is_ok_and(f64::is_finite) {
            value
        } else {
            text(&value)
        };
        line(&mut out, &[text(table), text(row), text(measure), value]);
    };
    let scope = format!("{} · {}", s.organisation, s.scope);
    put("summary", &scope, "month", s.month.key());
    put(
        "summary",
        &scope,
        "state",
        if published {
            "published"
        } else {
            "as the ledger stands"
        }
        .to_string(),
    );
    put(
        "summary",
        &scope,
        "computed_at_utc",
        s.computed_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    );
    let h = &s.headline;
    for (measure, value) in [
        ("recoveries", h.recoveries),
        ("previous_month_recoveries", h.previous_recoveries),
        ("year_ago_recoveries", h.year_ago_recoveries),
        ("reversed", h.reversed),
        ("pending", h.pending),
        ("non_monetary", h.non_monetary),
    ] {
        put("headline", "all", measure, value.to_string());
    }
    for l in &h.lines {
        let c = l.currency.as_str();
        put("spend", c, "recoveries", l.recoveries.to_string());
        put("spend", c, "spend", amount(l.spend_minor, c));
        put("spend", c, "allowance", amount(l.allowance_minor, c));
        put(
            "spend",
            c,
            "previous_month_spend",
            amount(l.previous_spend_minor, c),
        );
        put(
            "spend",
            c,
            "year_ago_spend",
            amount(l.year_ago_spend_minor, c),
        );
        if let Some(p) = l.used_percent() {
            put("spend", c, "used_percent", p.to_string());
        }
        if let Some(m) = l.per_recovery_minor() {
            put("spend", c, "per_recovery", amount(m, c));
        }
    }
    for (band, people) in BANDS.iter().zip(&s.utilisation.bands) {
        put("utilisation", band, "people", people.to_string());
    }
    for t in &s.utilisation.teams {
        let row = format!("{} — {}", t.name, t.place);
        put("teams", &row, "people", t.people.to_string());
        put("teams", &row, "recoveries", t.recoveries.to_string());
        put("teams", &row, "spend", amount(t.spend_minor, &t.currency));
        put(
            "teams",
            &row,
            "allowance",
            amount(t.allowance_minor, &t.currency),
        );
        put("teams", &row, "currency", t.currency.clone());
    }
    for name in &s.utilisation.never {
        put("never_used_budget", name, "person", name.clone());
    }
    for name in &s.utilisation.rarely {
        put("rarely_used_budget", name, "person", name.clone());
    }
    for (table, rows) in [
        ("categories_by_count", &s.categories_by_count),
        ("touchpoints_by_count", &s.touchpoints_by_count),
    ] {
        for r in rows {
            put(table, &r.label, "recoveries", r.value.to_string());
            put(
                table,
                &r.label,
                "cumulative_percent",
                r.cumulative_percent.to_string(),
            );
        }
    }
    for (currency, rows) in &s.categories_by_cost {
        let table = format!("categories_by_cost_{currency}");
        for r in rows {
            put(&table, &r.label, "cost", amount(r.value, currency));
            put(
                &table,
                &r.label,
                "cumulative_percent",
                r.cumulative_percent.to_string(),
            );
        }
    }
    for (table, rows) in [("channels", &s.channels), ("reactions", &s.reactions)] {
        for r in rows {
            put(table, &r.label, "recoveries", r.count.to_string());
            put(table, &r.label, "percent", r.percent.to_string());
        }
    }
    let f = &s.follow_ups;
    for (measure, value) in [
        ("promised", Some(f.promised)),
        ("on_time", Some(f.on_time)),
        ("late", Some(f.late)),
        ("overdue", Some(f.overdue)),
        ("not_yet_due", Some(f.not_yet_due)),
        ("on_time_percent", f.on_time_percent),
        ("median_minutes_to_done", f.median_minutes),
    ] {
        put(
            "follow_ups",
            "all",
            measure,
            value.map(|v| v.to_string()).unwrap_or_default(),
        );
    }
    for i in &s.improvements {
        let row = format!("#{} {}", i.id, i.title);
        put("improvements", &row, "place", i.place.clone());
        put("improvements", &row, "status", i.status.clone());
        put("improvements", &row, "opened", i.opened.to_string());
        put("improvements", &row, "done", i.done.to_string());
        put("improvements", &row, "verified", i.verified.to_string());
        put(
            "improvements",
            &row,
            "recoveries",
            i.occurrences.to_string(),
        );
        put("improvements", &row, "cost", i.cost.clone());
        put(
            "improvements",
            &row,
            "effect",
            i.effect.clone().unwrap_or_default(),
        );
    }
    for r in &s.recognition {
        put(
            "recognition",
            &format!("{} — {}", r.name, r.place),
            "reason",
            r.reason.clone(),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_guarded() {
        assert_eq!(text("plain"), "plain");
        assert_eq!(text("a, b"), "\"a, b\"");
        assert_eq!(text("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(text("two\nlines"), "\"two\nlines\"");
        assert_eq!(text("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(text("+1"), "'+1");
        assert_eq!(text("-2"), "'-2");
        assert_eq!(text("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(text(""), "");
        assert_eq!(Export::parse("tables.csv"), Some(Export::Tables));
        assert_eq!(Export::parse("../etc/passwd"), None);
    }
}
