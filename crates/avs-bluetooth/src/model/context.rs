//! The BluetoothState context object (v2.0 and v1.0 shapes).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{ConnectionState, DeviceCategory, ProfileRef, StreamingState};

/// `{"friendlyName": ..}` of the Alexa device itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AlexaDevice {
    pub friendly_name: String,
}

/// `{"streaming": ..}` of an A2DP profile (v2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileStreaming {
    pub streaming: StreamingState,
}

/// Alias kept for readability at call sites.
pub type ProfileState = ProfileStreaming;

/// One supported profile of a paired device (v2): name, version, and the streaming state for
/// A2DP profiles only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupportedProfileV2 {
    pub name: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<ProfileStreaming>,
}

/// A paired device in the v2 context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PairedDeviceV2 {
    pub supported_profiles: Vec<SupportedProfileV2>,
    pub unique_device_id: String,
    pub device_category: DeviceCategory,
    pub friendly_name: String,
    pub connection_state: ConnectionState,
}

/// The v2 BluetoothState payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BluetoothStateV2 {
    pub alexa_device: AlexaDevice,
    pub paired_devices: Vec<PairedDeviceV2>,
}

/// A paired device in the v1 context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PairedDeviceV1 {
    pub unique_device_id: String,
    pub friendly_name: String,
    pub supported_profiles: Vec<ProfileRef>,
}

/// The connected device in the v1 context (omitted when none is connected).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ActiveDeviceV1 {
    pub unique_device_id: String,
    pub friendly_name: String,
    pub supported_profiles: Vec<ProfileRef>,
    pub streaming: StreamingState,
}

/// The v1 BluetoothState payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BluetoothStateV1 {
    pub alexa_device: AlexaDevice,
    pub paired_devices: Vec<PairedDeviceV1>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_device: Option<ActiveDeviceV1>,
}

/// The context object `{"header": {"namespace": "Bluetooth", "name": "BluetoothState"},
/// "payload": ..}` of either version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextObject {
    V2(BluetoothStateV2),
    V1(BluetoothStateV1),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContextHeader {
    namespace: String,
    name: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContextWire<P> {
    header: ContextHeader,
    payload: P,
}

impl ContextObject {
    /// The context object as JSON.
    pub fn to_value(&self) -> Value {
        let header = ContextHeader {
            namespace: super::NAMESPACE.to_owned(),
            name: "BluetoothState".to_owned(),
        };
        let r = match self {
            ContextObject::V2(p) => serde_json::to_value(ContextWire { header, payload: p }),
            ContextObject::V1(p) => serde_json::to_value(ContextWire { header, payload: p }),
        };
        r.unwrap_or(Value::Null)
    }

    /// Parses a context object of `version` (strict).
    pub fn parse(version: super::InterfaceVersion, v: Value) -> Result<Self, serde_json::Error> {
        use serde::de::Error;
        let check = |h: &ContextHeader| {
            if h.namespace == super::NAMESPACE && h.name == "BluetoothState" {
                Ok(())
            } else {
                Err(serde_json::Error::custom(
                    "not a Bluetooth.BluetoothState context",
                ))
            }
        };
        match version {
            super::InterfaceVersion::V2 => {
                let w: ContextWire<BluetoothStateV2> = serde_json::from_value(v)?;
                check(&w.header)?;
                Ok(ContextObject::V2(w.payload))
            }
            super::InterfaceVersion::V1 => {
                let w: ContextWire<BluetoothStateV1> = serde_json::from_value(v)?;
                check(&w.header)?;
                Ok(ContextObject::V1(w.payload))
            }
        }
    }
}
