//! [bluetooth] section.

use serde::{Deserialize, Serialize};

use super::Invalid;

/// [bluetooth] section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BluetoothConfig {}

impl BluetoothConfig {
    pub(super) fn validate(&self) -> Result<(), Invalid> {
        Ok(())
    }
}
