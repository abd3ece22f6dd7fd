//! recoveries
