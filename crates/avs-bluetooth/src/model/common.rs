//! Types shared by directives, events and the context.

use serde::{Deserialize, Serialize};

/// The interface namespace.
pub const NAMESPACE: &str = "Bluetooth";

/// Which version of the interface the engine asserts (and so which names and payloads it uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum InterfaceVersion {
    #[serde(rename = "1.0")]
    V1,
    #[default]
    #[serde(rename = "2.0")]
    V2,
}

impl InterfaceVersion {
    /// "1.0" or "2.0".
    pub fn as_str(self) -> &'static str {
        match self {
            InterfaceVersion::V1 => "1.0",
            InterfaceVersion::V2 => "2.0",
        }
    }
}

/// A message header: namespace, name, messageId.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Header {
    pub namespace: String,
    pub name: String,
    pub message_id: String,
}

impl Header {
    /// A Bluetooth header.
    pub fn new(name: &str, message_id: &str) -> Self {
        Self {
            namespace: NAMESPACE.to_owned(),
            name: name.to_owned(),
            message_id: message_id.to_owned(),
        }
    }
}

/// Category of a Bluetooth device (context, SetDeviceCategories, PairDevicesSucceeded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeviceCategory {
    RemoteControl,
    Gadget,
    AudioVideo,
    Phone,
    Other,
    #[default]
    Unknown,
}

impl DeviceCategory {
    /// Categories that use A2DP: at most one of them is connected at a time
    /// (bluetooth-reference.md, "Connection rules").
    pub fn is_a2dp_family(self) -> bool {
        matches!(
            self,
            DeviceCategory::AudioVideo
                | DeviceCategory::Phone
                | DeviceCategory::Other
                | DeviceCategory::Unknown
        )
    }

    /// Whether a device of this category is connected right after pairing.
    pub fn connect_after_pair(self) -> bool {
        self.is_a2dp_family()
    }

    /// The wire string, e.g. `AUDIO_VIDEO`.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceCategory::RemoteControl => "REMOTE_CONTROL",
            DeviceCategory::Gadget => "GADGET",
            DeviceCategory::AudioVideo => "AUDIO_VIDEO",
            DeviceCategory::Phone => "PHONE",
            DeviceCategory::Other => "OTHER",
            DeviceCategory::Unknown => "UNKNOWN",
        }
    }
}

/// Who started a connection change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Requester {
    /// The peer or the engine itself (connection rules).
    Device,
    /// A directive from AVS.
    Cloud,
}

/// Connection state of a paired device (v2 context).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConnectionState {
    Connected,
    Disconnected,
}

/// A2DP streaming state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StreamingState {
    #[default]
    Inactive,
    Active,
    Paused,
}

/// The Bluetooth profiles the interface names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProfileKind {
    A2dpSource,
    A2dpSink,
    Avrcp,
    Hfp,
    Hid,
    Spp,
}

impl ProfileKind {
    /// The profile name as `version` spells it: 2.0 `A2DP_SOURCE`, 1.0 `A2DP-SOURCE`.
    pub fn wire_name(self, version: super::InterfaceVersion) -> &'static str {
        let v1 = version == super::InterfaceVersion::V1;
        match self {
            ProfileKind::A2dpSource if v1 => "A2DP-SOURCE",
            ProfileKind::A2dpSource => "A2DP_SOURCE",
            ProfileKind::A2dpSink if v1 => "A2DP-SINK",
            ProfileKind::A2dpSink => "A2DP_SINK",
            ProfileKind::Avrcp => "AVRCP",
            ProfileKind::Hfp => "HFP",
            ProfileKind::Hid => "HID",
            ProfileKind::Spp => "SPP",
        }
    }

    /// Parses either spelling (`A2DP_SOURCE` or `A2DP-SOURCE`), case-insensitive.
    pub fn parse(name: &str) -> Option<Self> {
        let n = name.trim().to_ascii_uppercase().replace('-', "_");
        Some(match n.as_str() {
            "A2DP_SOURCE" => ProfileKind::A2dpSource,
            "A2DP_SINK" => ProfileKind::A2dpSink,
            "AVRCP" => ProfileKind::Avrcp,
            "HFP" => ProfileKind::Hfp,
            "HID" => ProfileKind::Hid,
            "SPP" => ProfileKind::Spp,
            _ => return None,
        })
    }

    /// Whether this is one of the A2DP roles.
    pub fn is_a2dp(self) -> bool {
        matches!(self, ProfileKind::A2dpSource | ProfileKind::A2dpSink)
    }

    /// The version we report for a profile BlueZ advertises (BlueZ does not expose the peer's
    /// profile version; these are the versions BlueZ 5 implements).
    pub fn default_version(self) -> &'static str {
        match self {
            ProfileKind::A2dpSource | ProfileKind::A2dpSink => "1.3",
            ProfileKind::Avrcp => "1.6",
            ProfileKind::Hfp => "1.7",
            ProfileKind::Hid => "1.1",
            ProfileKind::Spp => "1.2",
        }
    }
}

/// `{"uniqueDeviceId": ..}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DeviceId {
    pub unique_device_id: String,
}

/// `{"uniqueDeviceId": .., "friendlyName": ..}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DeviceIdName {
    pub unique_device_id: String,
    pub friendly_name: String,
}

/// `{"name": .., "version": ..}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileRef {
    pub name: String,
    pub version: String,
}

/// Device metadata (ScanDevicesReport, SetDeviceCategoriesFailed).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Metadata {
    /// Required: the class of device as a base-10 integer.
    pub class_of_device: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_device_sig_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_device_id: Option<String>,
}
