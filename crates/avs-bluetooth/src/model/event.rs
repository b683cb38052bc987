//! Version 2.0 events: one typed payload per event name.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{DeviceCategory, DeviceId, DeviceIdName, Metadata, ProfileRef, Requester};

/// An empty payload `{}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

/// One entry of ScanDevicesReport.discoveredDevices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DiscoveredDevice {
    pub unique_device_id: String,
    pub friendly_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncated_mac_address: Option<String>,
    pub metadata: Metadata,
}

/// ScanDevicesReport payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScanReport {
    pub discovered_devices: Vec<DiscoveredDevice>,
    pub has_more: bool,
}

/// ScanDevicesFailed payload (errorCode optional).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScanFailed {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<i64>,
}

/// `{"devices": [..]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevicesList<T> {
    pub devices: Vec<T>,
}

/// SetDeviceCategories / SetDeviceCategoriesSucceeded entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CategorizedDevice {
    pub unique_device_id: String,
    pub device_category: DeviceCategory,
}

/// SetDeviceCategoriesFailed entry: the id and all the metadata we have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FailedCategoryDevice {
    pub unique_device_id: String,
    pub metadata: Metadata,
}

/// PairDevicesSucceeded entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PairedDeviceInfo {
    pub unique_device_id: String,
    pub device_category: DeviceCategory,
    pub friendly_name: String,
    pub profiles: Vec<ProfileRef>,
}

/// PairDevicesFailed entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PairFailedDevice {
    pub unique_device_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<i64>,
}

/// UnpairDevicesFailed entry. The interface sample shows errorCode as a string while its table
/// says long; we follow the table (and never send it without a known code).
pub type UnpairFailedDevice = PairFailedDevice;

/// Connect/Disconnect*Succeeded entry.
pub type ConnectedDevice = DeviceIdName;

/// ConnectByDeviceIds / DisconnectDevices *Succeeded payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequesterDevices {
    pub devices: Vec<DeviceIdName>,
    pub requester: Requester,
}

/// Connect/Disconnect*Failed entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ConnectedDeviceFailed {
    pub unique_device_id: String,
    pub friendly_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<i64>,
}

/// ConnectByDeviceIds / DisconnectDevices *Failed payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequesterDevicesFailed {
    pub devices: Vec<ConnectedDeviceFailed>,
    pub requester: Requester,
}

/// ConnectByProfileSucceeded payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProfileConnected {
    pub device: DeviceId,
    pub profile_name: String,
    pub requester: Requester,
}

/// ConnectByProfileFailed payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProfileConnectFailed {
    pub requester: Requester,
    pub profile_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<i64>,
}

/// StreamingStarted / StreamingEnded device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StreamingDevice {
    pub unique_device_id: String,
    pub profile_name: String,
}

/// StreamingStarted / StreamingEnded payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamingPayload {
    pub device: StreamingDevice,
}

/// MediaControl*Succeeded payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaDevice {
    pub device: DeviceId,
}

/// MediaControl*Failed payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MediaFailed {
    pub device: DeviceId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<i64>,
}

/// Declares an event enum: variant, wire name, payload type, whether it carries context.
macro_rules! event_enum {
    ($(#[$m:meta])* $enum:ident { $($variant:ident($ty:ty) = $name:literal, $ctx:literal;)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq)]
        pub enum $enum {
            $($variant($ty),)*
        }

        impl $enum {
            /// Every event name of this version.
            pub const NAMES: &'static [&'static str] = &[$($name),*];

            /// The header name.
            pub fn name(&self) -> &'static str {
                match self {
                    $($enum::$variant(_) => $name,)*
                }
            }

            /// Whether the event carries the BluetoothState context.
            pub fn carries_context(&self) -> bool {
                match self {
                    $($enum::$variant(_) => $ctx,)*
                }
            }

            /// The payload as JSON.
            pub fn payload(&self) -> Value {
                let r = match self {
                    $($enum::$variant(p) => serde_json::to_value(p),)*
                };
                r.unwrap_or(Value::Null)
            }

            /// Parses `payload` as the event called `name` (strict).
            pub fn parse(name: &str, payload: Value) -> Result<Self, serde_json::Error> {
                use serde::de::Error;
                match name {
                    $($name => serde_json::from_value::<$ty>(payload).map($enum::$variant),)*
                    other => Err(serde_json::Error::custom(format!("unknown event name {other}"))),
                }
            }
        }
    };
}
pub(super) use event_enum;

event_enum! {
    /// A version 2.0 event.
    EventV2 {
        ScanDevicesReport(ScanReport) = "ScanDevicesReport", false;
        ScanDevicesFailed(ScanFailed) = "ScanDevicesFailed", false;
        SetDeviceCategoriesSucceeded(DevicesList<CategorizedDevice>) = "SetDeviceCategoriesSucceeded", true;
        SetDeviceCategoriesFailed(DevicesList<FailedCategoryDevice>) = "SetDeviceCategoriesFailed", true;
        EnterDiscoverableModeSucceeded(Empty) = "EnterDiscoverableModeSucceeded", false;
        EnterDiscoverableModeFailed(Empty) = "EnterDiscoverableModeFailed", false;
        PairDevicesSucceeded(DevicesList<PairedDeviceInfo>) = "PairDevicesSucceeded", false;
        PairDevicesFailed(DevicesList<PairFailedDevice>) = "PairDevicesFailed", false;
        UnpairDevicesSucceeded(DevicesList<DeviceId>) = "UnpairDevicesSucceeded", false;
        UnpairDevicesFailed(DevicesList<UnpairFailedDevice>) = "UnpairDevicesFailed", false;
        ConnectByDeviceIdsSucceeded(RequesterDevices) = "ConnectByDeviceIdsSucceeded", false;
        ConnectByDeviceIdsFailed(RequesterDevicesFailed) = "ConnectByDeviceIdsFailed", false;
        ConnectByProfileSucceeded(ProfileConnected) = "ConnectByProfileSucceeded", false;
        ConnectByProfileFailed(ProfileConnectFailed) = "ConnectByProfileFailed", false;
        DisconnectDevicesSucceeded(RequesterDevices) = "DisconnectDevicesSucceeded", false;
        DisconnectDevicesFailed(RequesterDevicesFailed) = "DisconnectDevicesFailed", false;
        StreamingStarted(StreamingPayload) = "StreamingStarted", true;
        StreamingEnded(StreamingPayload) = "StreamingEnded", true;
        MediaControlPlaySucceeded(MediaDevice) = "MediaControlPlaySucceeded", false;
        MediaControlPlayFailed(MediaFailed) = "MediaControlPlayFailed", false;
        MediaControlStopSucceeded(MediaDevice) = "MediaControlStopSucceeded", false;
        MediaControlStopFailed(MediaFailed) = "MediaControlStopFailed", false;
        MediaControlNextSucceeded(MediaDevice) = "MediaControlNextSucceeded", false;
        MediaControlNextFailed(MediaFailed) = "MediaControlNextFailed", false;
        MediaControlPreviousSucceeded(MediaDevice) = "MediaControlPreviousSucceeded", false;
        MediaControlPreviousFailed(MediaFailed) = "MediaControlPreviousFailed", false;
    }
}
