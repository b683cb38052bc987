//! [bluetooth] section: the AVS Bluetooth interface on BlueZ.

use std::path::PathBuf;

use avs_bluetooth::model::{InterfaceVersion, ProfileKind};
pub use avs_bluetooth::pairing_policy::PairingPolicy;
use serde::{Deserialize, Serialize};

use super::{check_range, Invalid};

/// [bluetooth] section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BluetoothConfig {
    /// Run the Bluetooth interface and the control socket in `ama-engine run` (needs BlueZ on
    /// the system bus; `ama-engine bluetooth` runs them alone whatever this says).
    pub enabled: bool,
    /// Interface version asserted to AVS: "2.0" or "1.0" (names and payloads follow it).
    pub interface_version: InterfaceVersion,
    /// Profiles listed in the 2.0 capability assertion (names parsed at load).
    #[serde(with = "profile_names")]
    pub profiles: Vec<ProfileKind>,
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
            interface_version: InterfaceVersion::V2,
            profiles: vec![
                ProfileKind::Avrcp,
                ProfileKind::A2dpSink,
                ProfileKind::A2dpSource,
            ],
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

/// `profiles` as names in the file (either spelling read, 2.0 spelling written), profile kinds
/// in memory.
mod profile_names {
    use avs_bluetooth::model::{InterfaceVersion, ProfileKind};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[ProfileKind], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|p| p.wire_name(InterfaceVersion::V2)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<ProfileKind>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|name| {
                ProfileKind::parse(name).ok_or_else(|| {
                    serde::de::Error::custom(format!(
                        "unknown profile {name:?} (accepted: {})",
                        super::PROFILE_NAMES
                    ))
                })
            })
            .collect()
    }
}

impl BluetoothConfig {
    pub(super) fn validate(&self) -> Result<(), Invalid> {
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
        // Version and profiles are parsed at load: errors name line, key, accepted values.
        let parse = |text: &str| {
            crate::config::Config::parse(text, std::path::Path::new("bt.toml"))
                .unwrap_err()
                .to_string()
        };
        let e = parse("[bluetooth]\ninterface_version = \"3.0\"\n");
        assert!(
            e.starts_with("bt.toml:2:") && e.contains("bluetooth.interface_version"),
            "{e}"
        );
        let e = parse("[bluetooth]\nprofiles = [\"AVRCP\", \"A2DP-SORCE\"]\n");
        assert!(
            e.starts_with("bt.toml:2:") && e.contains("bluetooth.profiles") && e.contains("SPP"),
            "{e}"
        );
        let ok = crate::config::Config::parse(
            "[bluetooth]\ninterface_version = \"1.0\"\nprofiles = [\"a2dp-sink\", \"HFP\"]\n",
            std::path::Path::new("bt.toml"),
        )
        .unwrap();
        assert_eq!(ok.bluetooth.interface_version, InterfaceVersion::V1);
        assert_eq!(
            ok.bluetooth.profiles,
            vec![ProfileKind::A2dpSink, ProfileKind::Hfp]
        );
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
