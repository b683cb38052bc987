//! [control] section: the local control socket.

use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{check_range, AmaConfig, BluetoothConfig, Invalid};

/// [control] section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ControlConfig {
    /// Unix socket path (created with mode 0600; a stale socket is replaced only by the engine
    /// holding the instance lock; any other kind of file there is an error, never deleted).
    pub path: PathBuf,
    /// Most clients connected at once; more are refused.
    pub max_clients: u32,
    /// Longest accepted input line in bytes; longer lines are answered with an error.
    pub max_line_bytes: u32,
    /// At `max_clients`, a new client makes the one idle longest (no line sent for at least
    /// this long, ms) go; when none is that idle, the new one is refused.
    pub idle_evict_ms: u32,
}

impl Default for ControlConfig {
    fn default() -> Self {
        Self {
            path: PathBuf::from("/run/ama-engine/control.sock"),
            max_clients: 16,
            max_line_bytes: 65_536,
            idle_evict_ms: 60_000,
        }
    }
}

impl ControlConfig {
    pub(super) fn validate(&self) -> Result<(), Invalid> {
        if self.path.as_os_str().is_empty() {
            return Err(Invalid::new("control.path", "empty path", "a socket path"));
        }
        check_range("control.max_clients", self.max_clients, 1, 1024)?;
        check_range("control.idle_evict_ms", self.idle_evict_ms, 0, 86_400_000)?;
        check_range(
            "control.max_line_bytes",
            self.max_line_bytes,
            1024,
            16 << 20,
        )?;
        Ok(())
    }
}

/// `a/./b/../c` -> `a/c`, without touching the file system.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

impl ControlConfig {
    /// The socket must not sit on a file the engine keeps state in (the socket's stale-file
    /// removal would otherwise target it).
    pub(super) fn validate_against(
        &self,
        bluetooth: &BluetoothConfig,
        ama: &AmaConfig,
    ) -> Result<(), Invalid> {
        let lock = crate::instance_lock::LOCK_FILE;
        let state = [
            bluetooth.registry_path(),
            bluetooth.state_dir.join(lock),
            ama.state_dir.join("ama-state.json"),
            ama.state_dir.join(lock),
        ];
        let me = normalize(&self.path);
        if let Some(hit) = state.iter().find(|s| normalize(s) == me) {
            return Err(Invalid::new(
                "control.path",
                format!("{} is a state file of the engine", hit.display()),
                "a socket path that is not the device registry, ama-state.json or a lock file",
            ));
        }
        Ok(())
    }
}
