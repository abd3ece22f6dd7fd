//! Columns that hold a domain type as text (a currency code, an IANA time zone), decoded once
//! here so nothing above the store parses them again. A stored value the domain does not
//! accept fails the read as a decode error: ours to fix, never the caller's.

use chrono_tz::Tz;
use domain::{budget_day::parse_time_zone, money::Currency};

use crate::StoreError;

/// A time zone column as stored, decoded into [`Tz`] by `#[sqlx(try_from = "ZoneName")]`.
#[derive(Clone, Debug, sqlx::Type)]
#[sqlx(transparent)]
pub struct ZoneName(pub String);

impl TryFrom<ZoneName> for Tz {
    type Error = domain::budget_day::BudgetDayError;

    fn try_from(name: ZoneName) -> Result<Tz, Self::Error> {
        parse_time_zone(&name.0)
    }
}

fn decode_error(error: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(Box::new(error)))
}

/// A currency code read in a tuple query.
pub fn currency(code: &str) -> Result<Currency, StoreError> {
    Currency::parse(code).map_err(decode_error)
}

/// A time zone read in a tuple query.
pub fn zone(name: &str) -> Result<Tz, StoreError> {
    parse_time_zone(name).map_err(decode_error)
}
