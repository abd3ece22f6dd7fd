//! Configuration from the environment (and the command line, which overrides it).
//!
//! In production (`LEPTOS_ENV=PROD`) nothing has a built-in fallback: `DATABASE_URL` must be
//! set, and the demo organisation (known passwords) is refused. In development the database
//! defaults to an SQLite file under `data/`.

use std::net::SocketAddr;

use anyhow::{bail, Context};
use app::{auth::session::SessionLimits, store::PoolSettings};
use leptos::config::{get_configuration, Env, LeptosOptions};

pub const DEV_DATABASE_URL: &str = "sqlite:data/goodwill.db";

#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: String,
    pub address: SocketAddr,
    pub leptos_options: LeptosOptions,
    pub pool: PoolSettings,
    pub session_limits: SessionLimits,
    pub secure_cookies: bool,
    pub trust_proxy: bool,
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// `GOODWILL_PUBLIC_URL` as an origin (`scheme://host[:port]`).
    pub public_origin: Option<String>,
    /// `LEPTOS_ENV=PROD`.
    pub production: bool,
    /// How often a live event stream re-checks its session (`GOODWILL_LIVE_RECHECK_SECONDS`,
    /// default 60).
    pub live_recheck: std::time::Duration,
}

/// Why the demo organisation is never loaded in production: every one of its accounts, the
/// admin's included, has a password and a PIN published in the README.
pub const DEMO_REFUSED_IN_PRODUCTION: &str = "--demo and seed-demo are refused in production \
     (LEPTOS_ENV=PROD): every demo account, the admin's included, has the published password \
     goodwill-demo. Create the organisation and its first admin with `server create-org` and \
     `server create-user`, or show the demo with LEPTOS_ENV=DEV";

/// `serve --demo` and `seed-demo` are for development and evaluation only.
pub fn demo_allowed(production: bool) -> anyhow::Result<()> {
    if production {
        bail!(DEMO_REFUSED_IN_PRODUCTION);
    }
    Ok(())
}

fn number(name: &str) -> anyhow::Result<Option<i64>> {
    match std::env::var(name) {
        Ok(text) => {
            Ok(Some(text.trim().parse().with_context(|| {
                format!("{name} must be a whole number")
            })?))
        }
        Err(_) => Ok(None),
    }
}

fn flag(name: &str) -> anyhow::Result<bool> {
    match std::env::var(name).as_deref() {
        Ok("1" | "true" | "yes") => Ok(true),
        Ok("0" | "false" | "no" | "") | Err(_) => Ok(false),
        Ok(other) => bail!("{name} must be true or false, not {other}"),
    }
}

/// A comma-separated list of IP addresses (a handful of proxies: exact addresses, no
/// ranges, so no parsing library is needed).
fn addresses(name: &str) -> anyhow::Result<Vec<std::net::IpAddr>> {
    let text = std::env::var(name).unwrap_or_default();
    text.split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|a| {
            a.parse()
                .map_err(|_| anyhow::anyhow!("{name}: {a} is not an IP address"))
        })
        .collect()
}

/// `GOODWILL_PUBLIC_URL` reduced to its origin: `https://goodwill.example/` →
/// `https://goodwill.example`.
fn public_origin() -> anyhow::Result<Option<String>> {
    let Ok(url) = std::env::var("GOODWILL_PUBLIC_URL") else {
        return Ok(None);
    };
    let url = url.trim();
    let (scheme, rest) = url
        .split_once("://")
        .filter(|(scheme, _)| matches!(*scheme, "http" | "https"))
        .ok_or_else(|| {
            anyhow::anyhow!("GOODWILL_PUBLIC_URL must start with https:// (or http://)")
        })?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() {
        bail!("GOODWILL_PUBLIC_URL names no host");
    }
    Ok(Some(format!(
        "{scheme}://{}",
        authority.to_ascii_lowercase()
    )))
}

impl Config {
    /// Reads `DATABASE_URL`, `LEPTOS_SITE_ADDR`, `LEPTOS_SITE_ROOT`, `LEPTOS_ENV` and
    /// `GOODWILL_DB_MAX_CONNECTIONS`.
    pub fn from_env() -> anyhow::Result<Config> {
        let mut leptos_options = get_configuration(None)
            .context("reading the LEPTOS_* settings")?
            .leptos_options;
        // Set at compile time by cargo-leptos; a plain `cargo build` leaves it empty.
        if leptos_options.output_name.is_empty() {
            leptos_options.output_name = "goodwill".into();
        }
        // cargo-leptos names the built assets by their content and lists the names in a hash
        // file beside the binary: use them whenever that file is there (the server is often
        // started directly, without cargo-leptos's LEPTOS_HASH_FILES).
        if std::env::var_os("LEPTOS_HASH_FILES").is_none() {
            leptos_options.hash_files = crate::offline::hash_file(&leptos_options).is_file();
        }
        let production = matches!(leptos_options.env, Env::PROD);
        let database_url = match std::env::var("DATABASE_URL") {
            Ok(url) if !url.trim().is_empty() => url,
            _ if production => bail!("DATABASE_URL must be set in production (LEPTOS_ENV=PROD)"),
            _ => DEV_DATABASE_URL.to_string(),
        };
        let mut pool = PoolSettings::default();
        if let Ok(max) = std::env::var("GOODWILL_DB_MAX_CONNECTIONS") {
            pool.max_connections = max
                .parse()
                .context("GOODWILL_DB_MAX_CONNECTIONS must be a whole number")?;
        }
        let mut session_limits = SessionLimits::default();
        if let Some(minutes) = number("GOODWILL_SESSION_IDLE_MINUTES")? {
            session_limits.idle = chrono::Duration::minutes(minutes.max(1));
        }
        if let Some(hours) = number("GOODWILL_SESSION_MAX_HOURS")? {
            session_limits.absolute = chrono::Duration::hours(hours.max(1));
        }
        if let Some(seconds) = number("GOODWILL_TABLET_IDLE_SECONDS")? {
            session_limits.tablet_turn_idle = chrono::Duration::seconds(seconds.max(10));
        }
        if let Some(seconds) = number("GOODWILL_TABLET_TURN_MAX_SECONDS")? {
            session_limits.tablet_turn_max = chrono::Duration::seconds(seconds.max(60));
        }
        Ok(Config {
            address: leptos_options.site_addr,
            database_url,
            leptos_options,
            pool,
            session_limits,
            // Production serves https (behind its proxy): Secure, __Host- cookies and HSTS
            // unless switched off explicitly.
            secure_cookies: match std::env::var("GOODWILL_SECURE_COOKIES") {
                Ok(_) => flag("GOODWILL_SECURE_COOKIES")?,
                Err(_) => production,
            },
            trust_proxy: flag("GOODWILL_TRUST_PROXY")?,
            trusted_proxies: addresses("GOODWILL_TRUSTED_PROXIES")?,
            public_origin: public_origin()?,
            production,
            live_recheck: std::time::Duration::from_secs(
                number("GOODWILL_LIVE_RECHECK_SECONDS")?
                    .unwrap_or(60)
                    .clamp(1, 3_600) as u64,
            ),
        })
    }

    /// Ensures the directory of an SQLite file exists, so a fresh checkout just runs.
    pub fn prepare_sqlite_directory(&self) -> anyhow::Result<()> {
        if let Some(path) = self.database_url.strip_prefix("sqlite:") {
            let path = path.trim_start_matches("//");
            let path = path.split('?').next().unwrap_or(path);
            if let Some(parent) = std::path::Path::new(path).parent() {
                if !parent.as_os_str().is_empty() {
                    std::fs::create_dir_all(parent)
                        .with_context(|| format!("creating {}", parent.display()))?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{demo_allowed, DEMO_REFUSED_IN_PRODUCTION};

    #[test]
    fn the_demo_is_refused_in_production_only() {
        assert!(demo_allowed(false).is_ok());
        let refused = demo_allowed(true).unwrap_err().to_string();
        assert_eq!(refused, DEMO_REFUSED_IN_PRODUCTION);
        assert!(refused.contains("LEPTOS_ENV=PROD"), "{refused}");
    }
}
