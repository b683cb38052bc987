//! The AVS Bluetooth interface on the wire: directives, events and the BluetoothState context,
//! in the exact JSON shape of the interface text (../shared/seeds/avs-bluetooth-interface.txt),
//! version 2.0 and the version 1.0 names and payloads.
//!
//! **Guarantees**: parsing never panics; every wire type rejects unknown fields, so a misspelt
//! field fails to parse (tests rely on this for typed round trips). This module does no I/O.

mod capability;
mod common;
mod context;
mod directive;
mod event;
mod event_v1;

pub use capability::capability_assertion;
pub use common::{
    ConnectionState, DeviceCategory, DeviceId, DeviceIdName, Header, InterfaceVersion, Metadata,
    ProfileKind, ProfileRef, Requester, StreamingState, NAMESPACE,
};
pub use context::{
    ActiveDeviceV1, AlexaDevice, BluetoothStateV1, BluetoothStateV2, ContextObject, PairedDeviceV1,
    PairedDeviceV2, ProfileState, ProfileStreaming, SupportedProfileV2,
};
pub use directive::{Directive, DirectiveError, MediaAction, ReceivedDirective};
pub use event::{
    CategorizedDevice, ConnectedDevice, ConnectedDeviceFailed, DevicesList, DiscoveredDevice,
    Empty, EventV2, FailedCategoryDevice, MediaDevice, MediaFailed, PairFailedDevice,
    PairedDeviceInfo, ProfileConnectFailed, ProfileConnected, RequesterDevices,
    RequesterDevicesFailed, ScanFailed, ScanReport, StreamingDevice, StreamingPayload,
    UnpairFailedDevice,
};
pub use event_v1::{
    DeviceOnlyV1, DeviceRequesterV1, DiscoveredDeviceV1, EventV1, ProfileConnectFailedV1,
    ProfileConnectedV1, ScanUpdatedV1, SingleDeviceV1,
};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An event of either interface version, ready to be framed as `{"event": ...}`.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    V2(EventV2),
    V1(EventV1),
}

impl Event {
    /// The header name (e.g. `PairDevicesSucceeded`).
    pub fn name(&self) -> &'static str {
        match self {
            Event::V2(e) => e.name(),
            Event::V1(e) => e.name(),
        }
    }

    /// Whether this event carries the BluetoothState context (v2: only StreamingStarted/Ended and
    /// SetDeviceCategories*; v1: every event).
    pub fn carries_context(&self) -> bool {
        match self {
            Event::V2(e) => e.carries_context(),
            Event::V1(_) => true,
        }
    }

    /// The payload as JSON.
    pub fn payload(&self) -> Value {
        match self {
            Event::V2(e) => e.payload(),
            Event::V1(e) => e.payload(),
        }
    }

    /// Parses an event of `version` from its header name and payload (strict: unknown or
    /// missing fields fail).
    pub fn parse(
        version: InterfaceVersion,
        name: &str,
        payload: Value,
    ) -> Result<Self, serde_json::Error> {
        match version {
            InterfaceVersion::V2 => EventV2::parse(name, payload).map(Event::V2),
            InterfaceVersion::V1 => EventV1::parse(name, payload).map(Event::V1),
        }
    }

    /// The whole message: `{"event": {"header": .., "payload": ..}}`, plus `"context": [..]`
    /// when the event carries context and `context` is given.
    pub fn to_message(&self, message_id: &str, context: Option<&ContextObject>) -> Value {
        let mut msg = serde_json::json!({
            "event": {
                "header": Header::new(self.name(), message_id),
                "payload": self.payload(),
            }
        });
        if let (true, Some(ctx), Some(obj)) = (self.carries_context(), context, msg.as_object_mut())
        {
            obj.insert("context".to_owned(), Value::Array(vec![ctx.to_value()]));
        }
        msg
    }
}

/// An event message as read back from the wire (used by clients and tests): the header and the
/// typed event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventEnvelope {
    pub header: Header,
    pub payload: Value,
}

#[cfg(test)]
mod tests;
