//! The capability assertion object (`ama-engine capabilities`).

use serde_json::{json, Value};

use super::{InterfaceVersion, ProfileKind};

/// The capability assertion for `version`: 2.0 lists the profiles in `configurations`, 1.0 has
/// no configurations (interface text, "Capability assertion").
pub fn capability_assertion(version: InterfaceVersion, profiles: &[ProfileKind]) -> Value {
    match version {
        InterfaceVersion::V2 => {
            let names: Vec<&str> = profiles.iter().map(|p| p.wire_name(version)).collect();
            json!({
                "type": "AlexaInterface",
                "interface": "Bluetooth",
                "version": "2.0",
                "configurations": { "profiles": names }
            })
        }
        InterfaceVersion::V1 => json!({
            "type": "AlexaInterface",
            "interface": "Bluetooth",
            "version": "1.0"
        }),
    }
}
