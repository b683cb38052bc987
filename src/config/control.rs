//! [control] section.

use serde::{Deserialize, Serialize};

use super::Invalid;

/// [control] section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ControlConfig {}

impl ControlConfig {
    pub(super) fn validate(&self) -> Result<(), Invalid> {
        Ok(())
    }
}
