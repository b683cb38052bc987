//! The test-support crate's helpers, plus what needs the application's config.

use std::path::Path;

pub use test_support::*;

/// ALSA_CONFIG_PATH for the tests: the system config, then the project's (the `ama_file`
/// capture PCM).
pub fn alsa_config_path() -> String {
    format!(
        "/usr/share/alsa/alsa.conf:{}",
        root().join("scripts/alsa/ama-test.conf").display()
    )
}

/// Loads a config from TOML text (panics on error: tests write valid configs).
pub fn config(text: &str) -> ama_engine::config::Config {
    ama_engine::config::Config::parse(text, Path::new("test.toml")).expect("test config")
}
