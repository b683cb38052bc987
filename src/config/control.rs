//! [control] section: the local control socket.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{check_range, Invalid};

/// [control] section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ControlConfig {
    /// Unix socket path (created with mode 0600; a stale socket file is replaced).
    pub path: PathBuf,
    /// Most clients connected at once; more are refused.
    pub max_clients: u32,
    /// Longest accepted input line in bytes; longer lines are answered with an error.
    pub max_line_bytes: u32,
}

impl Default for ControlConfig {
    fn default() -> Self {
        Self {
            path: PathBuf::from("/run/ama-engine/control.sock"),
            max_clients: 16,
            max_line_bytes: 65_536,
        }
    }
}

impl ControlConfig {
    pub(super) fn validate(&self) -> Result<(), Invalid> {
        if self.path.as_os_str().is_empty() {
            return Err(Invalid::new("control.path", "empty path", "a socket path"));
        }
        check_range("control.max_clients", self.max_clients, 1, 1024)?;
        check_range(
            "control.max_line_bytes",
            self.max_line_bytes,
            1024,
            16 << 20,
        )?;
        Ok(())
    }
}
