//! The rules, exercised on the pure core with scripted stack events and call results.

use std::time::Duration;

use serde_json::{json, Value};

use super::*;

mod pairing_connection;
mod reset_avrcp;
mod streaming_media_scan;
use crate::model::{InterfaceVersion, MediaAction, ProfileKind, ReceivedDirective};
use crate::registry::Registry;
use crate::streaming::TransportState;

const PHONE: &str = "AA:00:00:00:00:01";
const SPEAKER: &str = "AA:00:00:00:00:02";
const PHONE2: &str = "AA:00:00:00:00:03";
const NEW: &str = "AA:00:00:00:00:04";

fn info(mac: &str, name: &str, paired: bool, connected: bool) -> DeviceInfo {
    DeviceInfo {
        mac: mac.into(),
        name: name.into(),
        class: Some(5_898_764),
        vendor_product: Some((15, 4608)),
        profiles: vec![ProfileKind::A2dpSource, ProfileKind::Avrcp],
        paired,
        connected,
    }
}

struct H {
    core: AgentCore,
    version: InterfaceVersion,
}

#[derive(Debug)]
struct Emitted {
    name: String,
    payload: Value,
    context: Option<Value>,
}

fn emitted(actions: &[Action]) -> Vec<Emitted> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Emit(e) => Some(Emitted {
                name: e.event.name().to_owned(),
                payload: e.event.payload(),
                context: e.context.as_ref().map(|c| c.to_value()),
            }),
            _ => None,
        })
        .collect()
}

fn names(actions: &[Action]) -> Vec<String> {
    emitted(actions).into_iter().map(|e| e.name).collect()
}

fn calls(actions: &[Action]) -> Vec<(Option<u64>, BackendCall)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Call { token, call } => Some((*token, call.clone())),
            _ => None,
        })
        .collect()
}

fn token_of(actions: &[Action], want: &BackendCall) -> u64 {
    calls(actions)
        .into_iter()
        .find(|(_, c)| c == want)
        .and_then(|(t, _)| t)
        .unwrap_or_else(|| panic!("no call {want:?} in {actions:?}"))
}

impl H {
    fn new(version: InterfaceVersion, devices: Vec<DeviceInfo>) -> Self {
        let settings = AgentSettings {
            version,
            friendly_name: String::new(),
            op_timeout: Duration::from_secs(45),
            profile_attempts: 2,
        };
        let mut core = AgentCore::new(settings, Registry::in_memory());
        core.handle(Input::Snapshot {
            alias: "Headset".into(),
            devices,
        });
        Self { core, version }
    }

    fn id(&self, mac: &str) -> String {
        self.core
            .registry()
            .by_mac(mac)
            .map(|r| r.unique_device_id.clone())
            .unwrap_or_else(|| panic!("no id for {mac}"))
    }

    fn dir(&mut self, name: &str, payload: Value) -> Vec<Action> {
        let v = json!({"header": {"namespace": "Bluetooth", "name": name, "messageId": "m"},
                       "payload": payload});
        let d = ReceivedDirective::parse(self.version, v).expect("directive");
        self.core.handle(Input::Directive(d))
    }

    fn ids(&mut self, name: &str, ids: &[&str]) -> Vec<Action> {
        let devices: Vec<Value> = ids.iter().map(|i| json!({"uniqueDeviceId": i})).collect();
        self.dir(name, json!({"devices": devices}))
    }

    fn ev(&mut self, e: BackendEvent) -> Vec<Action> {
        self.core.handle(Input::Backend(e))
    }

    fn ok(&mut self, token: u64) -> Vec<Action> {
        self.core.handle(Input::CallDone {
            token,
            result: Ok(()),
        })
    }

    fn err(&mut self, token: u64, kind: BackendErrorKind) -> Vec<Action> {
        self.core.handle(Input::CallDone {
            token,
            result: Err(BackendError::new(kind, "test")),
        })
    }

    fn connected(&mut self, mac: &str, connected: bool) -> Vec<Action> {
        self.ev(BackendEvent::Connected {
            mac: mac.into(),
            connected,
        })
    }
}

fn v2(devices: Vec<DeviceInfo>) -> H {
    H::new(InterfaceVersion::V2, devices)
}
