//! [wakeword]: the wake-word detector. Owned by the wake-word work (issue 3).

use serde::{Deserialize, Serialize};

use super::Invalid;

/// [wakeword] section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WakeWordConfig {
    /// Run the detector (when off, only the button starts streams).
    pub enabled: bool,
}

impl Default for WakeWordConfig {
    fn default() -> Self {
        Self { enabled: true }
    }
}

impl WakeWordConfig {
    pub(super) fn validate(&self) -> Result<(), Invalid> {
        Ok(())
    }
}
