//! [ama] section.

use serde::{Deserialize, Serialize};

use super::Invalid;

/// [ama] section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AmaConfig {}

impl AmaConfig {
    pub(super) fn validate(&self) -> Result<(), Invalid> {
        Ok(())
    }
}
