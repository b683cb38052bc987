//! The hostile-user suite (issue 11): what a stranger on a link, a second engine, a broken
//! config or a closed stdout can do, through the binaries and real sockets. Every wait is
//! bounded; no test asserts a timing. Cases that already held before issue 11 live with their
//! subject and are listed here so the suite is one place to read:
//! - malformed, oversized and nested control input, unknown commands:
//!   `control_socket::malformed_input_gets_error_lines_and_changes_nothing`;
//! - many clients and slow readers: `control_socket` (`events_go_to_every_client` and the
//!   client-limit tests there);
//! - kill -9 during registry writes: avs-bluetooth's `registry_kill` test (its test binary);
//! - random bytes on the AMA link (decoder): the fuzz targets in `fuzz/` and ama-proto's tests.

mod ama_link;
mod ble_link;
mod config_errors;
mod config_paths;
mod control_clients;
mod instance;
mod output_files;
mod output_signals;
mod registry;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub use crate::support::alsa_config_path;
use crate::support::root;

/// Writes a `run` config: config/default.toml up to its `[ama]` section, then `ama` (the
/// section's body) and `rest` (further sections). Returns its path.
pub fn run_config(dir: &Path, ama: &str, rest: &str) -> PathBuf {
    let base = std::fs::read_to_string(root().join("config/default.toml")).unwrap();
    let (head, _) = base.split_once("[ama]").expect("default.toml has [ama]");
    // Its relative paths are taken from config/; this file lives elsewhere.
    let head = head.replace("\"../", &format!("\"{}/", root().display()));
    let cfg = format!(
        "{head}[ama]\nstate_dir = \"{}\"\n{ama}\n{rest}",
        dir.join("state").display()
    );
    let path = dir.join("run.toml");
    std::fs::write(&path, cfg).unwrap();
    path
}

/// Makes a `run_config` file capture for `seconds` instead of the clip's 5.5 s (the engine
/// then stays up past every bound of a test and has to act by itself, not by exiting).
pub fn long_run(cfg: &Path, seconds: u32) {
    let text = std::fs::read_to_string(cfg)
        .unwrap()
        .replace("max_seconds = 5.5", &format!("max_seconds = {seconds}"));
    std::fs::write(cfg, text).unwrap();
}

/// Writes `DIR/engine.toml` for `ama-engine bluetooth`: `[bluetooth] state_dir`, `[control]
/// path` and `control_extra` (more `[control]` keys). Returns its path.
pub fn bluetooth_config(
    dir: &Path,
    state_dir: &Path,
    control: &Path,
    control_extra: &str,
) -> PathBuf {
    let cfg = dir.join("engine.toml");
    std::fs::write(
        &cfg,
        format!(
            "[bluetooth]\nstate_dir = \"{}\"\n[control]\npath = \"{}\"\n{control_extra}",
            state_dir.display(),
            control.display()
        ),
    )
    .unwrap();
    cfg
}

/// Starts `ama-engine bluetooth --config CFG` on the bus at `bus`; its output piped (read it
/// only after it exits) or dropped.
pub fn spawn_bluetooth(cfg: &Path, bus: &str, piped: bool) -> Child {
    let out = || if piped { Stdio::piped() } else { Stdio::null() };
    Command::new(env!("CARGO_BIN_EXE_ama-engine"))
        .args(["bluetooth", "--config"])
        .arg(cfg)
        .env("DBUS_SYSTEM_BUS_ADDRESS", bus)
        .stdout(out())
        .stderr(out())
        .spawn()
        .unwrap()
}

/// Starts `ama-engine run --config CFG --out DIR/out` from the repository root.
pub fn spawn_run(cfg: &Path, dir: &Path) -> Child {
    spawn_run_env(cfg, dir, &[])
}

/// [`spawn_run`] with more environment variables.
pub fn spawn_run_env(cfg: &Path, dir: &Path, env: &[(&str, &str)]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_ama-engine"))
        .current_dir(root())
        .env("ALSA_CONFIG_PATH", alsa_config_path())
        .envs(env.iter().copied())
        .args(["run", "--config"])
        .arg(cfg)
        .arg("--out")
        .arg(dir.join("out"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Deterministic pseudo-random bytes (xorshift), never a valid AMA control frame header
/// (`0x10 0x00` / `0x10 0x01`) at any offset, so they cannot prove anything by chance.
pub fn garbage(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let b = (x >> 24) as u8;
        if b == 0x10 {
            continue;
        }
        out.push(b);
    }
    out
}
