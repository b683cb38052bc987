//! The test-support crate's helpers, plus what needs the application's config.

use std::path::Path;

pub use test_support::*;

/// Loads a config from TOML text (panics on error: tests write valid configs).
pub fn config(text: &str) -> ama_engine::config::Config {
    ama_engine::config::Config::parse(text, Path::new("test.toml")).expect("test config")
}
