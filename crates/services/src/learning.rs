//! The learning loop at work (server only). After each recovery its cause — the category at
//! the touchpoint — is checked at its location and across the organisation: if an open
//! improvement item already tracks that cause the recovery attaches to it; otherwise, when
//! the recoveries of that cause within the rolling window reach the organisation's
//! threshold, an item is proposed, once, with those recoveries linked.

use chrono::{DateTime, NaiveDate, Utc};

use store::{
    learning::{signal_key, NewItem},
    Store, StoreError,
};

/// Checks the cause of a stored recovery (read back by id); returns the items it now feeds.
/// The same check as [`after_logged`], for callers that hold only the recovery's id.
pub async fn after_recovery(
    store: &Store,
    organisation_id: i64,
    recovery_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, StoreError> {
    let row = store.recovery(organisation_id, recovery_id).await?;
    let thresholds = store.learning_thresholds(organisation_id).await?;
    let cause = Cause {
        organisation_id,
        location_id: row.location_id,
        category: &row.category,
        touchpoint: &row.touchpoint,
        budget_date: row.budget_date,
    };
    after_logged(store, &cause, &thresholds, now).await
}

/// The cause of a recovery just logged, as the log-a-recovery use case already knows it.
#[derive(Clone, Copy, Debug)]
pub struct Cause<'a> {
    pub organisation_id: i64,
    pub location_id: i64,
    pub category: &'a str,
    pub touchpoint: &'a str,
    /// The recovery's budget day: the window ends there.
    pub budget_date: NaiveDate,
}

/// Checks the cause of a recovery just logged, in at most two statements: one probe reads, for
/// the cause at its location and across the organisation, the open item and the count in
/// the window; one statement links the window to whichever items are open. Only when a
/// scope without an item crosses its threshold does it go on to propose one (once per cause
/// and window), through the same [`evaluate`] as everything else.
pub async fn after_logged(
    store: &Store,
    cause: &Cause<'_>,
    thresholds: &domain::learning::Thresholds,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, StoreError> {
    let from = thresholds.window_start(cause.budget_date);
    let probe = store
        .cause_probe(
            cause.organisation_id,
            cause.location_id,
            cause.category,
            cause.touchpoint,
            from,
            cause.budget_date,
        )
        .await?;
    let open: Vec<i64> = [probe.item_here, probe.item_everywhere]
        .into_iter()
        .flatten()
        .collect();
    if !open.is_empty() {
        store
            .link_cause_windows(
                cause.organisation_id,
                &open,
                cause.category,
                cause.touchpoint,
                from,
                cause.budget_date,
                now,
            )
            .await?;
    }
    let mut fed = open;
    let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
    for (location, item, occurrences) in [
        (Some(cause.location_id), probe.item_here, probe.here),
        (None, probe.item_everywhere, probe.everywhere),
    ] {
        if item.is_none() && thresholds.crossed(count(occurrences), location.is_none()) {
            if let Some(item) = evaluate(
                store,
                cause.organisation_id,
                location,
                cause.category,
                cause.touchpoint,
                cause.budget_date,
                now,
            )
            .await?
            {
                fed.push(item);
            }
        }
    }
    Ok(fed)
}

/// Checks every cause with recoveries in the window ending `today` (after loading history,
/// or after the thresholds change); returns how many items track a signal afterwards.
pub async fn scan(
    store: &Store,
    organisation_id: i64,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let thresholds = store.learning_thresholds(organisation_id).await?;
    let groups = store
        .signal_groups(organisation_id, thresholds.window_start(today), today)
        .await?;
    let mut tracked = 0;
    for group in groups {
        let occurrences = u32::try_from(group.occurrences).unwrap_or(u32::MAX);
        let key = signal_key(group.location_id, &group.category, &group.touchpoint);
        let open = store.open_item_for(organisation_id, &key).await?.is_some();
        if open || thresholds.crossed(occurrences, group.location_id.is_none()) {
            evaluate(
                store,
                organisation_id,
                group.location_id,
                &group.category,
                &group.touchpoint,
                today,
                now,
            )
            .await?;
            tracked += 1;
        }
    }
    Ok(tracked)
}

/// The signal of one cause at one location (or everywhere) in the window ending `today`:
/// links its recoveries to the open item, or proposes one when the threshold is reached.
/// With an item open, the whole window is linked in one statement each time (existing links
/// stay): that also picks up recoveries whose check was missed (a crash between the ledger
/// write and the check) and those logged before a hand-made item named the cause, while the
/// cost of logging stays one statement however often the cause recurs.
async fn evaluate(
    store: &Store,
    organisation_id: i64,
    location_id: Option<i64>,
    category: &str,
    touchpoint: &str,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Option<i64>, StoreError> {
    let key = signal_key(location_id, category, touchpoint);
    let thresholds = store.learning_thresholds(organisation_id).await?;
    if let Some(item) = store.open_item_for(organisation_id, &key).await? {
        store
            .link_cause_window(
                organisation_id,
                item,
                location_id,
                category,
                touchpoint,
                thresholds.window_start(today),
                today,
                now,
            )
            .await?;
        return Ok(Some(item));
    }
    let recoveries = store
        .cause_recoveries(
            organisation_id,
            location_id,
            category,
            touchpoint,
            thresholds.window_start(today),
            today,
        )
        .await?;
    let ids: Vec<i64> = recoveries.iter().map(|r| r.id).collect();
    let occurrences = u32::try_from(ids.len()).unwrap_or(u32::MAX);
    if !thresholds.crossed(occurrences, location_id.is_none()) {
        return Ok(None);
    }
    let taxonomy = store.taxonomy(organisation_id).await?;
    let label = |kind: &str, code: &str| {
        taxonomy
            .iter()
            .find(|t| t.kind == kind && t.code == code)
            .map_or_else(|| code.to_string(), |t| t.label.clone())
    };
    let place = match location_id {
        Some(id) => store
            .locations(organisation_id)
            .await?
            .into_iter()
            .find(|l| l.id == id)
            .map_or_else(|| "one location".to_string(), |l| l.name),
        None => "all locations".to_string(),
    };
    let (first, last) = (
        recoveries.first().map(|r| r.budget_date),
        recoveries.last().map(|r| r.budget_date),
    );
    let item = NewItem {
        organisation_id,
        location_id,
        category: Some(category.to_string()),
        touchpoint: Some(touchpoint.to_string()),
        from_signal: true,
        title: format!(
            "{} at {} — {place}",
            label("category", category),
            label("touchpoint", touchpoint)
        ),
        problem: format!(
            "Recovered {occurrences} times in {} days at {place} (first on {}, latest on {}). \
             The same failure keeps reaching customers: find its cause and change the process.",
            thresholds.window_days,
            first
                .map(|d| d.format("%d %b %Y").to_string())
                .unwrap_or_default(),
            last.map(|d| d.format("%d %b %Y").to_string())
                .unwrap_or_default(),
        ),
        created_by: None,
    };
    match store.create_item(&item, &ids, now).await {
        Ok(id) => Ok(Some(id)),
        // Someone else proposed it at the same moment: attach to theirs.
        Err(StoreError::Duplicate(_)) => {
            let Some(id) = store.open_item_for(organisation_id, &key).await? else {
                return Ok(None);
            };
            store
                .link_recoveries(organisation_id, id, &ids, None, now)
                .await?;
            Ok(Some(id))
        }
        Err(other) => Err(other),
    }
}
