//! [bluetooth] section: the AVS Bluetooth interface on BlueZ.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{check_range, Invalid};

/// When the pairing agent accepts an incoming (peer-initiated) pairing request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PairingPolicy {
    /// Only while discoverable (EnterDiscoverableMode) or while a PairDevices directive runs.
    WhenDiscoverable,
    /// Always (just-works, NoInputNoOutput).
    Always,
    /// Never accept a peer-initiated pairing (PairDevices still works).
    Never,
}

/// [bluetooth] section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BluetoothConfig {
    /// Run the Bluetooth interface and the control socket in `ama-engine run` (needs BlueZ on
    /// the system bus; `ama-engine bluetooth` runs them alone whatever this says).
    pub enabled: bool,
    /// Interface version asserted to AVS: "2.0" or "1.0" (names and payloads follow it).
    pub interface_version: String,
    /// Profiles listed in the 2.0 capability assertion.
    pub profiles: Vec<String>,
    /// BlueZ adapter name ("hci0"); empty for BlueZ's default adapter.
    pub adapter: String,
    /// Our friendlyName in the context; empty to use the adapter's Alias.
    pub friendly_name: String,
    /// Directory of persisted state (the device registry `bluetooth-devices.json`).
    pub state_dir: PathBuf,
    /// Timeout of each BlueZ operation and of its confirmation, in seconds (reference: 45).
    pub operation_timeout_s: u64,
    /// When peer-initiated pairing is accepted.
    pub pairing_policy: PairingPolicy,
    /// ConnectByProfile tries at most this many of the most recent matching devices.
    pub connect_by_profile_attempts: u32,
}

impl Default for BluetoothConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            interface_version: "2.0".into(),
            profiles: vec!["AVRCP".into(), "A2DP_SINK".into(), "A2DP_SOURCE".into()],
            adapter: String::new(),
            friendly_name: String::new(),
            state_dir: PathBuf::from("/var/lib/ama-engine"),
            operation_timeout_s: 45,
            pairing_policy: PairingPolicy::WhenDiscoverable,
            connect_by_profile_attempts: 2,
        }
    }
}

/// Accepted profile names in `bluetooth.profiles`.
pub const PROFILE_NAMES: &str = "A2DP_SOURCE, A2DP_SINK, AVRCP, HFP, HID, SPP";

impl BluetoothConfig {
    pub(super) fn validate(&self) -> Result<(), Invalid> {
        if self.interface_version != "2.0" && self.interface_version != "1.0" {
            return Err(Invalid::new(
                "bluetooth.interface_version",
                format!("unknown version {:?}", self.interface_version),
                "\"2.0\", \"1.0\"",
            ));
        }
        for p in &self.profiles {
            if crate::bluetooth::model::ProfileKind::parse(p).is_none() {
                return Err(Invalid::new(
                    "bluetooth.profiles",
                    format!("unknown profile {p:?}"),
                    PROFILE_NAMES,
                ));
            }
        }
        if self.state_dir.as_os_str().is_empty() {
            return Err(Invalid::new(
                "bluetooth.state_dir",
                "empty path",
                "a writable directory",
            ));
        }
        check_range(
            "bluetooth.operation_timeout_s",
            self.operation_timeout_s,
            1,
            600,
        )?;
        check_range(
            "bluetooth.connect_by_profile_attempts",
            self.connect_by_profile_attempts,
            1,
            16,
        )?;
        Ok(())
    }

    /// The asserted interface version.
    pub fn version(&self) -> crate::bluetooth::model::InterfaceVersion {
        if self.interface_version == "1.0" {
            crate::bluetooth::model::InterfaceVersion::V1
        } else {
            crate::bluetooth::model::InterfaceVersion::V2
        }
    }

    /// The configured profiles (validated names).
    pub fn profile_kinds(&self) -> Vec<crate::bluetooth::model::ProfileKind> {
        self.profiles
            .iter()
            .filter_map(|p| crate::bluetooth::model::ProfileKind::parse(p))
            .collect()
    }

    /// Where the device registry lives.
    pub fn registry_path(&self) -> PathBuf {
        self.state_dir.join("bluetooth-devices.json")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_values_name_their_key() {
        let mut c = BluetoothConfig::default();
        assert!(c.validate().is_ok());
        c.interface_version = "3.0".into();
        assert_eq!(c.validate().unwrap_err().key, "bluetooth.interface_version");
        c = BluetoothConfig::default();
        c.profiles.push("A2DP-SORCE".into());
        assert_eq!(c.validate().unwrap_err().key, "bluetooth.profiles");
        c = BluetoothConfig::default();
        c.operation_timeout_s = 0;
        assert_eq!(
            c.validate().unwrap_err().key,
            "bluetooth.operation_timeout_s"
        );
    }

    #[test]
    fn default_toml_sections_are_valid() {
        let cfg: crate::config::Config =
            toml::from_str(include_str!("../../config/default.toml")).expect("default.toml");
        cfg.bluetooth.validate().expect("[bluetooth]");
        cfg.control.validate().expect("[control]");
        assert_eq!(
            cfg.bluetooth.registry_path(),
            PathBuf::from("state/bluetooth-devices.json")
        );
    }
}
