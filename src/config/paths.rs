//! Paths in a config file: relative ones are taken from the config file's directory (not
//! the working directory), and with `[wakeword] enabled = true` the model and runtime must
//! load at config load, or the file is rejected naming the key and the path.

use std::path::{Path, PathBuf};

use super::{locate, AmaLink, Config, ConfigError};

/// [`check_wakeword`] and [`check_link`] for a loaded file.
pub fn check_wakeword_of(cfg: &Config, file: &Path) -> Result<(), ConfigError> {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    check_link(cfg, &text, file)?;
    check_wakeword(cfg, &text, file)
}

fn anchor(base: &Path, p: &mut PathBuf) {
    if p.is_relative() && !p.as_os_str().is_empty() {
        *p = base.join(&*p);
    }
}

/// Makes every relative path set in the file (`text`) relative to `base` (the file's
/// directory). Built-in defaults the file does not set stay as they are.
pub(super) fn resolve(cfg: &mut Config, text: &str, base: &Path) {
    let table: toml::Table = text.parse().unwrap_or_default();
    let set = |section: &str, key: &str| table.get(section).and_then(|s| s.get(key)).is_some();
    if set("wakeword", "model") {
        anchor(base, &mut cfg.wakeword.model);
    }
    if set("wakeword", "runtime") {
        anchor(base, &mut cfg.wakeword.runtime);
    }
    if set("ama", "state_dir") {
        anchor(base, &mut cfg.ama.state_dir);
    }
    if set("bluetooth", "state_dir") {
        anchor(base, &mut cfg.bluetooth.state_dir);
    }
    if set("control", "path") {
        anchor(base, &mut cfg.control.path);
    }
    if let AmaLink::Unix(p) = &mut cfg.ama.link {
        anchor(base, p);
    }
}

/// The config file's directory ("." for a bare file name).
pub(super) fn base_of(file: &Path) -> PathBuf {
    match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// With the wake word on, loads its runtime and model once (then drops them), so a missing
/// or broken file is a config error here, not a warning at run time.
pub fn check_wakeword(cfg: &Config, text: &str, file: &Path) -> Result<(), ConfigError> {
    use rt_core::wakeword::{load_runtime, ModelInfo, StreamingModel};
    if !cfg.wakeword.enabled {
        return Ok(());
    }
    let invalid = |key: &str, path: &Path, e: String| ConfigError::Invalid {
        file: file.to_owned(),
        line: locate::line_of_key(text, key),
        key: key.into(),
        message: format!("{}: {e}", path.display()),
        accepted: "an installed file (scripts/setup.sh installs models/; relative paths are \
                   taken from the config file's directory), or [wakeword] enabled = false"
            .into(),
    };
    let w = &cfg.wakeword;
    let info = ModelInfo::load(&w.model)
        .map_err(|e| invalid("wakeword.model", &w.model, e.to_string()))?;
    let api = load_runtime(&w.runtime)
        .map_err(|e| invalid("wakeword.runtime", &w.runtime, e.to_string()))?;
    StreamingModel::load(api, &info.tflite)
        .map_err(|e| invalid("wakeword.model", &info.tflite, e.to_string()))?;
    Ok(())
}

/// The AMA link's address, checked as `run` would use it: a TCP host must resolve, a Unix
/// socket's directory must exist.
pub fn check_link(cfg: &Config, text: &str, file: &Path) -> Result<(), ConfigError> {
    let invalid = |message: String, accepted: &str| ConfigError::Invalid {
        file: file.to_owned(),
        line: locate::line_of_key(text, "ama.link"),
        key: "ama.link".into(),
        message: super::shorten::shorten(&message),
        accepted: accepted.into(),
    };
    match &cfg.ama.link {
        AmaLink::Tcp(addr) => {
            use std::net::ToSocketAddrs;
            match addr.to_socket_addrs() {
                Ok(it) if it.len() > 0 => Ok(()),
                Ok(_) => Err(invalid(
                    format!("\"tcp://{addr}\" resolves to no address"),
                    "tcp://HOST:PORT with a HOST that resolves (e.g. 127.0.0.1)",
                )),
                Err(e) => Err(invalid(
                    format!("\"tcp://{addr}\": {e}"),
                    "tcp://HOST:PORT with a HOST that resolves (e.g. 127.0.0.1)",
                )),
            }
        }
        AmaLink::Unix(p) => match p.parent() {
            Some(d) if !d.as_os_str().is_empty() && !d.is_dir() => Err(invalid(
                format!("\"unix:{}\": no directory {}", p.display(), d.display()),
                "unix:/path in an existing directory",
            )),
            _ => Ok(()),
        },
        _ => Ok(()),
    }
}
