//! Directives: `{"header": {namespace, name, messageId}, "payload": {..}}` parsed into one typed
//! enum. Version 1.0 singular names (PairDevice, ConnectByDeviceId, ...) are accepted only when
//! the engine asserts 1.0, and the plural 2.0 names only when it asserts 2.0.

use serde::Deserialize;
use serde_json::Value;

use super::event::CategorizedDevice;
use super::{DeviceId, InterfaceVersion, NAMESPACE};

/// A media control action over AVRCP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaAction {
    Play,
    Stop,
    Next,
    Previous,
}

impl MediaAction {
    /// The directive name (`Play`, `Stop`, `Next`, `Previous`).
    pub fn as_str(self) -> &'static str {
        match self {
            MediaAction::Play => "Play",
            MediaAction::Stop => "Stop",
            MediaAction::Next => "Next",
            MediaAction::Previous => "Previous",
        }
    }
}

/// A directive, with its payload validated.
#[derive(Debug, Clone, PartialEq)]
pub enum Directive {
    ScanDevices,
    EnterDiscoverableMode {
        duration_seconds: u64,
    },
    ExitDiscoverableMode,
    PairDevices {
        ids: Vec<String>,
    },
    UnpairDevices {
        ids: Vec<String>,
    },
    ConnectByDeviceIds {
        ids: Vec<String>,
    },
    ConnectByProfile {
        profile_name: String,
    },
    DisconnectDevices {
        ids: Vec<String>,
    },
    SetDeviceCategories {
        devices: Vec<CategorizedDevice>,
    },
    /// Play/Stop/Next/Previous; `id` is absent in 1.0 (the active device is meant).
    MediaControl {
        action: MediaAction,
        id: Option<String>,
    },
}

/// A directive and its messageId.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedDirective {
    pub message_id: String,
    pub directive: Directive,
}

/// Why a directive was rejected; answered with an UNEXPECTED_INFORMATION_RECEIVED error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct DirectiveError {
    /// The directive's messageId when it could be read.
    pub message_id: Option<String>,
    /// What is wrong, for the error line.
    pub reason: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawHeader {
    namespace: String,
    name: String,
    message_id: String,
}

#[derive(Deserialize)]
struct RawDirective {
    header: RawHeader,
    #[serde(default)]
    payload: Option<Value>,
}

#[derive(Deserialize)]
struct DevicesPayload {
    devices: Vec<DeviceId>,
}

#[derive(Deserialize)]
struct DevicePayload {
    device: DeviceId,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DiscoverablePayload {
    duration_in_seconds: u64,
}

#[derive(Deserialize)]
struct ProfileNameVersion {
    name: String,
    // The version is ignored (bluetooth-reference.md), but must be a string when present.
    #[serde(default)]
    #[allow(dead_code)]
    version: Option<String>,
}

#[derive(Deserialize)]
struct ProfilePayload {
    profile: ProfileNameVersion,
}

#[derive(Deserialize)]
struct CategoriesPayload {
    devices: Vec<CategorizedDevice>,
}

#[derive(Deserialize)]
struct MediaPayloadV2 {
    device: DeviceId,
}

impl ReceivedDirective {
    /// Parses the inner directive object (`{"header": .., "payload": ..}`) for an engine that
    /// asserts `version`.
    pub fn parse(version: InterfaceVersion, v: Value) -> Result<Self, DirectiveError> {
        let message_id = v
            .get("header")
            .and_then(|h| h.get("messageId"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let err = |reason: String| DirectiveError {
            message_id: message_id.clone(),
            reason,
        };
        let raw: RawDirective =
            serde_json::from_value(v).map_err(|e| err(format!("bad directive: {e}")))?;
        if raw.header.namespace != NAMESPACE {
            return Err(err(format!(
                "unsupported namespace {:?} (accepted: {NAMESPACE})",
                raw.header.namespace
            )));
        }
        let payload = raw.payload.unwrap_or(Value::Object(Default::default()));
        let name = raw.header.name.as_str();
        let v1 = version == InterfaceVersion::V1;
        let ids = |p: Value| -> Result<Vec<String>, DirectiveError> {
            if v1 {
                let d: DevicePayload =
                    serde_json::from_value(p).map_err(|e| err(format!("{name}: {e}")))?;
                Ok(vec![d.device.unique_device_id])
            } else {
                let d: DevicesPayload =
                    serde_json::from_value(p).map_err(|e| err(format!("{name}: {e}")))?;
                if d.devices.is_empty() {
                    return Err(err(format!("{name}: empty device list")));
                }
                Ok(d.devices.into_iter().map(|d| d.unique_device_id).collect())
            }
        };
        let directive = match (name, v1) {
            ("ScanDevices", _) => Directive::ScanDevices,
            ("EnterDiscoverableMode", _) => {
                let p: DiscoverablePayload =
                    serde_json::from_value(payload).map_err(|e| err(format!("{name}: {e}")))?;
                Directive::EnterDiscoverableMode {
                    duration_seconds: p.duration_in_seconds,
                }
            }
            ("ExitDiscoverableMode", _) => Directive::ExitDiscoverableMode,
            ("PairDevices", false) | ("PairDevice", true) => {
                Directive::PairDevices { ids: ids(payload)? }
            }
            ("UnpairDevices", false) | ("UnpairDevice", true) => {
                Directive::UnpairDevices { ids: ids(payload)? }
            }
            ("ConnectByDeviceIds", false) | ("ConnectByDeviceId", true) => {
                Directive::ConnectByDeviceIds { ids: ids(payload)? }
            }
            ("DisconnectDevices", false) | ("DisconnectDevice", true) => {
                Directive::DisconnectDevices { ids: ids(payload)? }
            }
            ("ConnectByProfile", _) => {
                let p: ProfilePayload =
                    serde_json::from_value(payload).map_err(|e| err(format!("{name}: {e}")))?;
                if p.profile.name.trim().is_empty() {
                    return Err(err(format!("{name}: empty profile name")));
                }
                Directive::ConnectByProfile {
                    profile_name: p.profile.name,
                }
            }
            ("SetDeviceCategories", false) => {
                let p: CategoriesPayload =
                    serde_json::from_value(payload).map_err(|e| err(format!("{name}: {e}")))?;
                if p.devices.is_empty() {
                    return Err(err(format!("{name}: empty device list")));
                }
                Directive::SetDeviceCategories { devices: p.devices }
            }
            ("Play" | "Stop" | "Next" | "Previous", _) => {
                let action = match name {
                    "Play" => MediaAction::Play,
                    "Stop" => MediaAction::Stop,
                    "Next" => MediaAction::Next,
                    _ => MediaAction::Previous,
                };
                let id = if v1 {
                    None
                } else {
                    let p: MediaPayloadV2 =
                        serde_json::from_value(payload).map_err(|e| err(format!("{name}: {e}")))?;
                    Some(p.device.unique_device_id)
                };
                Directive::MediaControl { action, id }
            }
            (other, _) => {
                return Err(err(format!(
                    "unknown directive {other:?} for interface version {}",
                    version.as_str()
                )))
            }
        };
        Ok(ReceivedDirective {
            message_id: raw.header.message_id,
            directive,
        })
    }
}
