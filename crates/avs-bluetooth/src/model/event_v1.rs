//! Version 1.0 events: singular names, `device` objects, context on every event.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::event::{event_enum, Empty};
use super::{DeviceId, DeviceIdName, Requester};

/// One entry of ScanDevicesUpdated.discoveredDevices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DiscoveredDeviceV1 {
    pub unique_device_id: String,
    pub friendly_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncated_mac_address: Option<String>,
}

/// ScanDevicesUpdated payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScanUpdatedV1 {
    pub discovered_devices: Vec<DiscoveredDeviceV1>,
    pub has_more: bool,
}

/// `{"device": {"uniqueDeviceId", "friendlyName"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SingleDeviceV1 {
    pub device: DeviceIdName,
}

/// `{"device": {"uniqueDeviceId"}}` (StreamingStarted/Ended in 1.0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceOnlyV1 {
    pub device: DeviceId,
}

/// `{"device": {..}, "requester": ..}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceRequesterV1 {
    pub device: DeviceIdName,
    pub requester: Requester,
}

/// ConnectByProfileSucceeded payload (1.0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProfileConnectedV1 {
    pub device: DeviceIdName,
    pub requester: Requester,
    pub profile_name: String,
}

/// ConnectByProfileFailed payload (1.0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProfileConnectFailedV1 {
    pub requester: Requester,
    pub profile_name: String,
}

event_enum! {
    /// A version 1.0 event (every one carries context).
    EventV1 {
        ScanDevicesUpdated(ScanUpdatedV1) = "ScanDevicesUpdated", true;
        ScanDevicesFailed(Empty) = "ScanDevicesFailed", true;
        EnterDiscoverableModeSucceeded(Empty) = "EnterDiscoverableModeSucceeded", true;
        EnterDiscoverableModeFailed(Empty) = "EnterDiscoverableModeFailed", true;
        PairDeviceSucceeded(SingleDeviceV1) = "PairDeviceSucceeded", true;
        PairDeviceFailed(Empty) = "PairDeviceFailed", true;
        UnpairDeviceSucceeded(SingleDeviceV1) = "UnpairDeviceSucceeded", true;
        UnpairDeviceFailed(Empty) = "UnpairDeviceFailed", true;
        ConnectByDeviceIdSucceeded(DeviceRequesterV1) = "ConnectByDeviceIdSucceeded", true;
        ConnectByDeviceIdFailed(DeviceRequesterV1) = "ConnectByDeviceIdFailed", true;
        ConnectByProfileSucceeded(ProfileConnectedV1) = "ConnectByProfileSucceeded", true;
        ConnectByProfileFailed(ProfileConnectFailedV1) = "ConnectByProfileFailed", true;
        DisconnectDeviceSucceeded(DeviceRequesterV1) = "DisconnectDeviceSucceeded", true;
        DisconnectDeviceFailed(DeviceRequesterV1) = "DisconnectDeviceFailed", true;
        StreamingStarted(DeviceOnlyV1) = "StreamingStarted", true;
        StreamingEnded(DeviceOnlyV1) = "StreamingEnded", true;
        MediaControlPlaySucceeded(Empty) = "MediaControlPlaySucceeded", true;
        MediaControlPlayFailed(Empty) = "MediaControlPlayFailed", true;
        MediaControlStopSucceeded(Empty) = "MediaControlStopSucceeded", true;
        MediaControlStopFailed(Empty) = "MediaControlStopFailed", true;
        MediaControlNextSucceeded(Empty) = "MediaControlNextSucceeded", true;
        MediaControlNextFailed(Empty) = "MediaControlNextFailed", true;
        MediaControlPreviousSucceeded(Empty) = "MediaControlPreviousSucceeded", true;
        MediaControlPreviousFailed(Empty) = "MediaControlPreviousFailed", true;
    }
}
