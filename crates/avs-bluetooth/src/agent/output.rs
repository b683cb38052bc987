//! Building what leaves the agent: the BluetoothState context of either version, and the 1.0
//! form of each 2.0 event.

use serde::Serialize;
use serde_json::Value;

use crate::model::{
    ActiveDeviceV1, AlexaDevice, BluetoothStateV1, BluetoothStateV2, ConnectionState,
    ContextObject, DeviceId, DeviceIdName, DeviceOnlyV1, DeviceRequesterV1, DiscoveredDeviceV1,
    Empty, Event, EventV1, EventV2, InterfaceVersion, PairedDeviceV1, PairedDeviceV2,
    ProfileConnectFailedV1, ProfileConnectedV1, ProfileKind, ProfileRef, ProfileStreaming,
    ScanUpdatedV1, SingleDeviceV1, StreamingState, SupportedProfileV2,
};

/// An event ready to be sent: the event, a fresh messageId, and the context when it carries one
/// (computed from the state just before the event is sent).
#[derive(Debug, Clone, PartialEq)]
pub struct OutEvent {
    pub event: Event,
    pub message_id: String,
    pub context: Option<ContextObject>,
}

impl OutEvent {
    /// `{"event": {..}}` plus `"context": [..]` when the event carries it.
    pub fn to_json(&self) -> Value {
        self.event
            .to_message(&self.message_id, self.context.as_ref())
    }
}

/// A line for local clients only (not an AVS event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalEvent {
    /// A peer's AVRCP command: `{"avrcp": {"command": "PLAY", "device": {"uniqueDeviceId":
    /// .., "friendlyName": ..}}}`. BlueZ does not say which peer called our player; `device`
    /// is the connected A2DP-family device (the one AVRCP rides on), absent when none is.
    Avrcp {
        command: super::backend::AvrcpCommand,
        device: Option<PeerRef>,
    },
}

/// A device as local lines name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerRef {
    pub unique_device_id: String,
    pub friendly_name: String,
}

impl LocalEvent {
    /// Its control-socket line.
    pub fn to_json(&self) -> Value {
        match self {
            Self::Avrcp { command, device } => {
                let mut avrcp = serde_json::json!({"command": command.as_str()});
                if let Some(d) = device {
                    avrcp["device"] = serde_json::json!({
                        "uniqueDeviceId": d.unique_device_id,
                        "friendlyName": d.friendly_name,
                    });
                }
                serde_json::json!({ "avrcp": avrcp })
            }
        }
    }
}

/// What the context needs to know about one paired device.
#[derive(Debug, Clone)]
pub struct ContextDevice {
    pub id: String,
    pub name: String,
    pub category: crate::model::DeviceCategory,
    pub profiles: Vec<ProfileKind>,
    pub connected: bool,
    /// The A2DP profile whose stream is tracked, and its state.
    pub streaming: Option<(ProfileKind, StreamingState)>,
}

/// Builds the context of `version` from paired devices in most-recent order.
pub fn build_context(
    version: InterfaceVersion,
    friendly_name: &str,
    devices: &[ContextDevice],
) -> ContextObject {
    let alexa_device = AlexaDevice {
        friendly_name: friendly_name.to_owned(),
    };
    let profile_refs = |d: &ContextDevice| -> Vec<ProfileRef> {
        d.profiles
            .iter()
            .map(|p| ProfileRef {
                name: p.wire_name(version).to_owned(),
                version: p.default_version().to_owned(),
            })
            .collect()
    };
    match version {
        InterfaceVersion::V2 => ContextObject::V2(BluetoothStateV2 {
            alexa_device,
            paired_devices: devices
                .iter()
                .map(|d| PairedDeviceV2 {
                    supported_profiles: d
                        .profiles
                        .iter()
                        .map(|p| SupportedProfileV2 {
                            name: p.wire_name(version).to_owned(),
                            version: p.default_version().to_owned(),
                            state: p.is_a2dp().then(|| ProfileStreaming {
                                streaming: match d.streaming {
                                    Some((sp, s)) if sp == *p && d.connected => s,
                                    _ => StreamingState::Inactive,
                                },
                            }),
                        })
                        .collect(),
                    unique_device_id: d.id.clone(),
                    device_category: d.category,
                    friendly_name: d.name.clone(),
                    connection_state: if d.connected {
                        ConnectionState::Connected
                    } else {
                        ConnectionState::Disconnected
                    },
                })
                .collect(),
        }),
        InterfaceVersion::V1 => {
            let active = devices
                .iter()
                .find(|d| d.connected && d.category.is_a2dp_family())
                .or_else(|| devices.iter().find(|d| d.connected));
            ContextObject::V1(BluetoothStateV1 {
                alexa_device,
                paired_devices: devices
                    .iter()
                    .map(|d| PairedDeviceV1 {
                        unique_device_id: d.id.clone(),
                        friendly_name: d.name.clone(),
                        supported_profiles: profile_refs(d),
                    })
                    .collect(),
                active_device: active.map(|d| ActiveDeviceV1 {
                    unique_device_id: d.id.clone(),
                    friendly_name: d.name.clone(),
                    supported_profiles: profile_refs(d),
                    streaming: d.streaming.map(|(_, s)| s).unwrap_or_default(),
                }),
            })
        }
    }
}

/// The 1.0 events for a 2.0 event (one per device for the list events; none for events that
/// 1.0 does not have). `name_of` gives a device's friendlyName.
pub fn to_v1(ev: EventV2, name_of: &dyn Fn(&str) -> String) -> Vec<EventV1> {
    let dn = |id: &str| DeviceIdName {
        unique_device_id: id.to_owned(),
        friendly_name: name_of(id),
    };
    match ev {
        EventV2::ScanDevicesReport(r) => vec![EventV1::ScanDevicesUpdated(ScanUpdatedV1 {
            discovered_devices: r
                .discovered_devices
                .into_iter()
                .map(|d| DiscoveredDeviceV1 {
                    unique_device_id: d.unique_device_id,
                    friendly_name: d.friendly_name,
                    truncated_mac_address: d.truncated_mac_address,
                })
                .collect(),
            has_more: r.has_more,
        })],
        EventV2::ScanDevicesFailed(_) => vec![EventV1::ScanDevicesFailed(Empty {})],
        EventV2::SetDeviceCategoriesSucceeded(_) | EventV2::SetDeviceCategoriesFailed(_) => {
            vec![]
        }
        EventV2::EnterDiscoverableModeSucceeded(e) => {
            vec![EventV1::EnterDiscoverableModeSucceeded(e)]
        }
        EventV2::EnterDiscoverableModeFailed(e) => vec![EventV1::EnterDiscoverableModeFailed(e)],
        EventV2::PairDevicesSucceeded(l) => l
            .devices
            .into_iter()
            .map(|d| {
                EventV1::PairDeviceSucceeded(SingleDeviceV1 {
                    device: DeviceIdName {
                        unique_device_id: d.unique_device_id,
                        friendly_name: d.friendly_name,
                    },
                })
            })
            .collect(),
        EventV2::PairDevicesFailed(l) => l
            .devices
            .iter()
            .map(|_| EventV1::PairDeviceFailed(Empty {}))
            .collect(),
        EventV2::UnpairDevicesSucceeded(l) => l
            .devices
            .iter()
            .map(|d| {
                EventV1::UnpairDeviceSucceeded(SingleDeviceV1 {
                    device: dn(&d.unique_device_id),
                })
            })
            .collect(),
        EventV2::UnpairDevicesFailed(l) => l
            .devices
            .iter()
            .map(|_| EventV1::UnpairDeviceFailed(Empty {}))
            .collect(),
        EventV2::ConnectByDeviceIdsSucceeded(p) => p
            .devices
            .into_iter()
            .map(|device| {
                EventV1::ConnectByDeviceIdSucceeded(DeviceRequesterV1 {
                    device,
                    requester: p.requester,
                })
            })
            .collect(),
        EventV2::ConnectByDeviceIdsFailed(p) => p
            .devices
            .into_iter()
            .map(|d| {
                EventV1::ConnectByDeviceIdFailed(DeviceRequesterV1 {
                    device: DeviceIdName {
                        unique_device_id: d.unique_device_id,
                        friendly_name: d.friendly_name,
                    },
                    requester: p.requester,
                })
            })
            .collect(),
        EventV2::ConnectByProfileSucceeded(p) => {
            vec![EventV1::ConnectByProfileSucceeded(ProfileConnectedV1 {
                device: dn(&p.device.unique_device_id),
                requester: p.requester,
                profile_name: p.profile_name,
            })]
        }
        EventV2::ConnectByProfileFailed(p) => {
            vec![EventV1::ConnectByProfileFailed(ProfileConnectFailedV1 {
                requester: p.requester,
                profile_name: p.profile_name,
            })]
        }
        EventV2::DisconnectDevicesSucceeded(p) => p
            .devices
            .into_iter()
            .map(|device| {
                EventV1::DisconnectDeviceSucceeded(DeviceRequesterV1 {
                    device,
                    requester: p.requester,
                })
            })
            .collect(),
        EventV2::DisconnectDevicesFailed(p) => p
            .devices
            .into_iter()
            .map(|d| {
                EventV1::DisconnectDeviceFailed(DeviceRequesterV1 {
                    device: DeviceIdName {
                        unique_device_id: d.unique_device_id,
                        friendly_name: d.friendly_name,
                    },
                    requester: p.requester,
                })
            })
            .collect(),
        EventV2::StreamingStarted(p) => vec![EventV1::StreamingStarted(DeviceOnlyV1 {
            device: DeviceId {
                unique_device_id: p.device.unique_device_id,
            },
        })],
        EventV2::StreamingEnded(p) => vec![EventV1::StreamingEnded(DeviceOnlyV1 {
            device: DeviceId {
                unique_device_id: p.device.unique_device_id,
            },
        })],
        EventV2::MediaControlPlaySucceeded(_) => vec![EventV1::MediaControlPlaySucceeded(Empty {})],
        EventV2::MediaControlPlayFailed(_) => vec![EventV1::MediaControlPlayFailed(Empty {})],
        EventV2::MediaControlStopSucceeded(_) => vec![EventV1::MediaControlStopSucceeded(Empty {})],
        EventV2::MediaControlStopFailed(_) => vec![EventV1::MediaControlStopFailed(Empty {})],
        EventV2::MediaControlNextSucceeded(_) => vec![EventV1::MediaControlNextSucceeded(Empty {})],
        EventV2::MediaControlNextFailed(_) => vec![EventV1::MediaControlNextFailed(Empty {})],
        EventV2::MediaControlPreviousSucceeded(_) => {
            vec![EventV1::MediaControlPreviousSucceeded(Empty {})]
        }
        EventV2::MediaControlPreviousFailed(_) => {
            vec![EventV1::MediaControlPreviousFailed(Empty {})]
        }
    }
}

/// The answer to a reset: `{"reset": {"unpaired": [..], "failed": [..], "errors": [..]}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ResetReport {
    /// uniqueDeviceIds (as they were before the reset) of the devices removed from the stack.
    pub unpaired: Vec<String>,
    /// Devices the stack refused to remove; they stay paired, under a new uniqueDeviceId.
    pub failed: Vec<ResetFailure>,
    /// Failures of stopping the scan or leaving discoverable mode.
    pub errors: Vec<String>,
}

/// One device the reset could not remove.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResetFailure {
    pub unique_device_id: String,
    pub error: String,
}
