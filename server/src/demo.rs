//! The demo organisation (Harbour Hotels, 90 days of recoveries) for `seed-demo` and
//! `serve --demo`. The seed itself is a use case: it lives in `services::demo`.

pub use app::services::demo::{seed_demo, DemoSummary, DEMO_PASSWORD, DEMO_PIN, DEMO_SLUG};
