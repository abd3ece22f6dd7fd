//! `/sw.js`: the service worker that keeps the shared tablet's pages usable offline
//! (`service_worker.js`; docs/FRONT-LINE.md, "Offline").
//!
//! Served by the server rather than as a static file so that each build gets a worker of its
//! own: the script names this build's hashed assets and a cache for them, so the browser
//! installs it when a new build is deployed and drops the previous build's cache (its assets
//! and the pages rendered with them) together. A build without hashed assets (a plain
//! `cargo build`, as the API tests use) has no worker: `/sw.js` answers 404 and the pages work
//! online only.

use std::path::PathBuf;

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use leptos::config::LeptosOptions;
use sha2::{Digest, Sha256};

const TEMPLATE: &str = include_str!("service_worker.js");

/// Where cargo-leptos lists the hashed asset names: beside the server binary, as Leptos's
/// `HydrationScripts` reads it.
pub fn hash_file(options: &LeptosOptions) -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.to_path_buf()))
        .unwrap_or_default()
        .join(options.hash_file.as_ref())
}

/// One build's hashed assets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Build {
    /// Changes with any asset: names the worker's cache.
    pub id: String,
    pub js: String,
    pub wasm: String,
    pub css: String,
}

impl Build {
    /// Reads the hash file's `js: …`, `wasm: …` and `css: …` lines; `None` if assets are not
    /// hashed or a line is missing.
    pub fn from_hash_file(options: &LeptosOptions, contents: &str) -> Option<Build> {
        let hash = |kind: &str| {
            contents.lines().find_map(|line| {
                let (file, hash) = line.split_once(':')?;
                (file.trim() == kind && !hash.trim().is_empty()).then(|| hash.trim().to_string())
            })
        };
        let (js, wasm, css) = (hash("js")?, hash("wasm")?, hash("css")?);
        let pkg = format!("/{}/{}", options.site_pkg_dir, options.output_name);
        let digest = Sha256::digest(format!("{js}\n{wasm}\n{css}"));
        let id = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        Some(Build {
            id,
            js: format!("{pkg}.{js}.js"),
            wasm: format!("{pkg}.{wasm}.wasm"),
            css: format!("{pkg}.{css}.css"),
        })
    }

    /// This server's build, if its assets are hashed.
    pub fn current(options: &LeptosOptions) -> Option<Build> {
        if !options.hash_files {
            return None;
        }
        let contents = std::fs::read_to_string(hash_file(options)).ok()?;
        Build::from_hash_file(options, &contents)
    }

    /// The worker's script for this build.
    pub fn script(&self) -> String {
        let assets = serde_json::json!([self.js, self.wasm, self.css]).to_string();
        TEMPLATE
            .replace("__GOODWILL_BUILD__", &self.id)
            .replace("__GOODWILL_ASSETS__", &assets)
            .replace("__GOODWILL_STYLESHEET__", &self.css)
    }
}

/// The `/sw.js` response: the script, never cached by the browser's HTTP cache (the worker
/// must see a new build at once), or 404 when there is no worker.
pub fn response(script: Option<&str>) -> Response {
    match script {
        Some(script) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/javascript; charset=utf-8"),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            ],
            script.to_string(),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no service worker in this build").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> LeptosOptions {
        LeptosOptions::builder()
            .output_name("goodwill")
            .site_pkg_dir("pkg")
            .build()
    }

    #[test]
    fn reads_the_hashed_names() {
        let build = Build::from_hash_file(&options(), "js: AbC\nwasm: dEf-_\ncss: x1\n").unwrap();
        assert_eq!(build.js, "/pkg/goodwill.AbC.js");
        assert_eq!(build.wasm, "/pkg/goodwill.dEf-_.wasm");
        assert_eq!(build.css, "/pkg/goodwill.x1.css");
        let script = build.script();
        assert!(script.contains(r#"const ASSETS = ["/pkg/goodwill.AbC.js","/pkg/goodwill.dEf-_.wasm","/pkg/goodwill.x1.css"];"#));
        assert!(script.contains(&format!(r#"const BUILD = "{}";"#, build.id)));
        assert!(!script.contains("__GOODWILL_"));
    }

    #[test]
    fn another_build_gets_another_cache() {
        let one = Build::from_hash_file(&options(), "js: a\nwasm: b\ncss: c").unwrap();
        let two = Build::from_hash_file(&options(), "js: a\nwasm: B\ncss: c").unwrap();
        assert_ne!(one.id, two.id);
    }

    #[test]
    fn a_missing_name_means_no_worker() {
        assert_eq!(Build::from_hash_file(&options(), "js: a\ncss: c"), None);
        assert_eq!(
            Build::from_hash_file(&options(), "js: a\nwasm: \ncss: c"),
            None
        );
        assert_eq!(Build::from_hash_file(&options(), ""), None);
    }
}
