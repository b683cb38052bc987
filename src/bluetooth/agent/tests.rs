//! The rules, exercised on the pure core with scripted stack events and call results.

use std::time::Duration;

use serde_json::{json, Value};

use super::*;
use crate::bluetooth::model::{InterfaceVersion, MediaAction, ProfileKind, ReceivedDirective};
use crate::bluetooth::registry::Registry;
use crate::bluetooth::streaming::TransportState;

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

#[test]
fn pair_succeeds_only_on_confirmation_then_connects_by_category() {
    let mut h = v2(vec![info(NEW, "Phone", false, false)]);
    let id = h.id(NEW);
    let a = h.ids("PairDevices", &[&id]);
    assert!(names(&a).is_empty());
    let t = token_of(&a, &BackendCall::Pair(NEW.into()));
    assert!(h.core.pairing_window_open());
    assert!(
        names(&h.ok(t)).is_empty(),
        "call return is not a confirmation"
    );
    let a = h.ev(BackendEvent::Paired {
        mac: NEW.into(),
        paired: true,
    });
    let e = emitted(&a);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].name, "PairDevicesSucceeded");
    assert_eq!(e[0].payload["devices"][0]["uniqueDeviceId"], id);
    assert_eq!(e[0].payload["devices"][0]["deviceCategory"], "UNKNOWN");
    assert_eq!(
        e[0].payload["devices"][0]["profiles"][0]["name"],
        "A2DP_SOURCE"
    );
    assert!(e[0].context.is_none());
    // UNKNOWN connects after pairing.
    let t = token_of(&a, &BackendCall::Connect(NEW.into()));
    assert!(names(&h.ok(t)).is_empty());
    let e = emitted(&h.connected(NEW, true));
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].name, "ConnectByDeviceIdsSucceeded");
    assert_eq!(e[0].payload["requester"], "DEVICE");
    assert!(!h.core.pairing_window_open());
}

#[test]
fn gadget_is_not_connected_after_pairing() {
    let mut h = v2(vec![info(NEW, "Button", false, false)]);
    let id = h.id(NEW);
    h.dir(
        "SetDeviceCategories",
        json!({"devices": [{"uniqueDeviceId": id, "deviceCategory": "GADGET"}]}),
    );
    let a = h.ids("PairDevices", &[&id]);
    let _ = token_of(&a, &BackendCall::Pair(NEW.into()));
    let a = h.ev(BackendEvent::Paired {
        mac: NEW.into(),
        paired: true,
    });
    assert_eq!(names(&a), vec!["PairDevicesSucceeded"]);
    assert!(calls(&a).is_empty());
}

#[test]
fn pair_failure_reports_and_resumes_scanning_silently() {
    let mut h = v2(vec![info(NEW, "Phone", false, false)]);
    let a = h.dir("ScanDevices", json!({}));
    let t = token_of(&a, &BackendCall::StartScan);
    assert_eq!(names(&h.ok(t)), vec!["ScanDevicesReport"]);
    let id = h.id(NEW);
    let a = h.ids("PairDevices", &[&id]);
    assert!(calls(&a).iter().any(|(_, c)| *c == BackendCall::StopScan));
    assert!(
        names(&a).is_empty(),
        "stopping the scan for pairing sends no report"
    );
    let t = token_of(&a, &BackendCall::Pair(NEW.into()));
    let a = h.err(t, BackendErrorKind::Failed);
    let e = emitted(&a);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].name, "PairDevicesFailed");
    assert_eq!(e[0].payload, json!({"devices": [{"uniqueDeviceId": id}]}));
    assert!(calls(&a).iter().any(|(_, c)| *c == BackendCall::StartScan));
}

#[test]
fn operations_time_out_as_failures() {
    let mut h = v2(vec![info(PHONE, "Phone", true, false)]);
    let id = h.id(PHONE);
    let a = h.ids("ConnectByDeviceIds", &[&id]);
    let t = token_of(&a, &BackendCall::Connect(PHONE.into()));
    assert!(a.iter().any(|x| matches!(x, Action::Timer { token, after }
        if *token == t && *after == Duration::from_secs(45))));
    h.ok(t);
    let a = h.core.handle(Input::Timer { token: t });
    assert_eq!(names(&a), vec!["ConnectByDeviceIdsFailed"]);
    assert_eq!(emitted(&a)[0].payload["requester"], "CLOUD");
    // A late confirmation is then reported as the peer's doing, once.
    assert_eq!(
        names(&h.connected(PHONE, true)),
        vec!["ConnectByDeviceIdsSucceeded"]
    );
    assert!(names(&h.connected(PHONE, true)).is_empty());
    assert_eq!(h.core.stats().timeouts, 1);
}

#[test]
fn unknown_ids_fail_for_every_directive_that_takes_one() {
    let mut h = v2(vec![]);
    let u = "00000000-0000-4000-8000-000000000000";
    for (d, expect) in [
        ("PairDevices", "PairDevicesFailed"),
        ("UnpairDevices", "UnpairDevicesFailed"),
        ("ConnectByDeviceIds", "ConnectByDeviceIdsFailed"),
        ("DisconnectDevices", "DisconnectDevicesFailed"),
    ] {
        let a = h.ids(d, &[u]);
        let e = emitted(&a);
        assert_eq!(e.len(), 1, "{d}");
        assert_eq!(e[0].name, expect);
        assert_eq!(e[0].payload["devices"][0]["uniqueDeviceId"], u);
        assert!(calls(&a).is_empty());
    }
    let a = h.dir(
        "SetDeviceCategories",
        json!({"devices": [{"uniqueDeviceId": u, "deviceCategory": "PHONE"}]}),
    );
    assert_eq!(names(&a), vec!["SetDeviceCategoriesFailed"]);
    for m in ["Play", "Stop", "Next", "Previous"] {
        let a = h.dir(m, json!({"device": {"uniqueDeviceId": u}}));
        assert_eq!(names(&a), vec![format!("MediaControl{m}Failed")]);
    }
    let a = h.dir(
        "ConnectByProfile",
        json!({"profile": {"name": "A2DP_SINK", "version": "1"}}),
    );
    assert_eq!(names(&a), vec!["ConnectByProfileFailed"]);
}

#[test]
fn peer_connects_and_disconnects_are_reported_once_as_device() {
    let mut h = v2(vec![info(PHONE, "Phone", true, false)]);
    let e = emitted(&h.connected(PHONE, true));
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].name, "ConnectByDeviceIdsSucceeded");
    assert_eq!(e[0].payload["requester"], "DEVICE");
    assert_eq!(e[0].payload["devices"][0]["friendlyName"], "Phone");
    assert!(emitted(&h.connected(PHONE, true)).is_empty());
    let e = emitted(&h.connected(PHONE, false));
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].name, "DisconnectDevicesSucceeded");
    assert_eq!(e[0].payload["requester"], "DEVICE");
    assert!(emitted(&h.connected(PHONE, false)).is_empty());
}

#[test]
fn already_connected_connect_succeeds_at_once() {
    let mut h = v2(vec![info(PHONE, "Phone", true, true)]);
    let id = h.id(PHONE);
    let a = h.ids("ConnectByDeviceIds", &[&id]);
    assert_eq!(names(&a), vec!["ConnectByDeviceIdsSucceeded"]);
    assert!(calls(&a).is_empty());
}

#[test]
fn second_a2dp_device_disconnects_the_first() {
    let mut h = v2(vec![
        info(PHONE, "Phone", true, true),
        info(SPEAKER, "Speaker", true, false),
    ]);
    let sid = h.id(SPEAKER);
    let pid = h.id(PHONE);
    let a = h.ids("ConnectByDeviceIds", &[&sid]);
    let t = token_of(&a, &BackendCall::Connect(SPEAKER.into()));
    h.ok(t);
    let a = h.connected(SPEAKER, true);
    assert_eq!(names(&a), vec!["ConnectByDeviceIdsSucceeded"]);
    assert_eq!(emitted(&a)[0].payload["requester"], "CLOUD");
    let _ = token_of(&a, &BackendCall::Disconnect(PHONE.into()));
    let e = emitted(&h.connected(PHONE, false));
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].name, "DisconnectDevicesSucceeded");
    assert_eq!(
        e[0].payload,
        json!({"devices": [{"uniqueDeviceId": pid, "friendlyName": "Phone"}],
                                    "requester": "DEVICE"})
    );
}

#[test]
fn phone_and_gadget_may_be_connected_together() {
    let mut h = v2(vec![
        info(PHONE, "Phone", true, true),
        info(SPEAKER, "Button", true, false),
    ]);
    let gid = h.id(SPEAKER);
    h.dir(
        "SetDeviceCategories",
        json!({"devices": [{"uniqueDeviceId": gid, "deviceCategory": "GADGET"}]}),
    );
    let a = h.connected(SPEAKER, true);
    assert_eq!(names(&a), vec!["ConnectByDeviceIdsSucceeded"]);
    assert!(calls(&a).is_empty());
}

#[test]
fn connect_by_profile_tries_the_two_most_recent_matches() {
    let mut h = v2(vec![
        info(PHONE, "Phone", true, false),
        info(PHONE2, "Phone 2", true, false),
        info(NEW, "Phone 3", true, false),
    ]);
    // Most recent first: NEW, then PHONE2, then PHONE.
    let (p1, p2, p3) = (h.id(PHONE), h.id(PHONE2), h.id(NEW));
    for id in [&p1, &p2, &p3] {
        h.core.registry.touch(id).expect("touch");
    }
    let a = h.dir(
        "ConnectByProfile",
        json!({"profile": {"name": "A2DP", "version": "9"}}),
    );
    let t = token_of(&a, &BackendCall::Connect(NEW.into()));
    let a = h.err(t, BackendErrorKind::Failed);
    assert!(names(&a).is_empty());
    let t = token_of(&a, &BackendCall::Connect(PHONE2.into()));
    let a = h.err(t, BackendErrorKind::Failed);
    assert_eq!(names(&a), vec!["ConnectByProfileFailed"]);
    assert_eq!(
        emitted(&a)[0].payload,
        json!({"requester": "CLOUD", "profileName": "A2DP"})
    );
    assert!(calls(&a).is_empty(), "a third match is never tried");
    // Fallback succeeds on the second.
    let a = h.dir(
        "ConnectByProfile",
        json!({"profile": {"name": "A2DP_SOURCE"}}),
    );
    let t = token_of(&a, &BackendCall::Connect(NEW.into()));
    let a = h.err(t, BackendErrorKind::Failed);
    let t2 = token_of(&a, &BackendCall::Connect(PHONE2.into()));
    h.ok(t2);
    let e = emitted(&h.connected(PHONE2, true));
    assert_eq!(e[0].name, "ConnectByProfileSucceeded");
    assert_eq!(
        e[0].payload,
        json!({"device": {"uniqueDeviceId": p2}, "profileName": "A2DP_SOURCE",
                                    "requester": "CLOUD"})
    );
    assert_eq!(h.core.registry().records()[0].unique_device_id, p2);
}

#[test]
fn unpair_of_a_connected_device_disconnects_first() {
    let mut h = v2(vec![info(PHONE, "Phone", true, true)]);
    let id = h.id(PHONE);
    let a = h.ids("UnpairDevices", &[&id]);
    let t = token_of(&a, &BackendCall::Disconnect(PHONE.into()));
    h.ok(t);
    let a = h.connected(PHONE, false);
    assert_eq!(names(&a), vec!["DisconnectDevicesSucceeded"]);
    assert_eq!(emitted(&a)[0].payload["requester"], "CLOUD");
    let t = token_of(&a, &BackendCall::Remove(PHONE.into()));
    assert!(names(&h.ok(t)).is_empty());
    let a = h.ev(BackendEvent::DeviceRemoved { mac: PHONE.into() });
    assert_eq!(names(&a), vec!["UnpairDevicesSucceeded"]);
    assert_eq!(
        emitted(&a)[0].payload,
        json!({"devices": [{"uniqueDeviceId": id}]})
    );
}

#[test]
fn unpair_of_a_device_the_stack_forgot_counts_as_removed() {
    let mut h = v2(vec![info(PHONE, "Phone", true, false)]);
    let id = h.id(PHONE);
    let a = h.ids("UnpairDevices", &[&id]);
    let t = token_of(&a, &BackendCall::Remove(PHONE.into()));
    assert_eq!(
        names(&h.err(t, BackendErrorKind::DoesNotExist)),
        vec!["UnpairDevicesSucceeded"]
    );
}

#[test]
fn disconnect_by_cloud_waits_for_confirmation() {
    let mut h = v2(vec![info(PHONE, "Phone", true, true)]);
    let id = h.id(PHONE);
    let a = h.ids("DisconnectDevices", &[&id]);
    let t = token_of(&a, &BackendCall::Disconnect(PHONE.into()));
    assert!(names(&h.ok(t)).is_empty());
    let e = emitted(&h.connected(PHONE, false));
    assert_eq!(e[0].name, "DisconnectDevicesSucceeded");
    assert_eq!(e[0].payload["requester"], "CLOUD");
    let a = h.ids("DisconnectDevices", &[&id]);
    let a2 = h.ids("ConnectByDeviceIds", &[&id]);
    let t = token_of(&a2, &BackendCall::Connect(PHONE.into()));
    assert_eq!(
        names(&a),
        vec!["DisconnectDevicesSucceeded"],
        "already disconnected"
    );
    assert_eq!(
        names(&h.err(t, BackendErrorKind::Failed)),
        vec!["ConnectByDeviceIdsFailed"]
    );
}

fn transport(mac: &str, state: TransportState) -> BackendEvent {
    BackendEvent::Transport {
        mac: mac.into(),
        peer_profile: ProfileKind::A2dpSource,
        state,
    }
}

#[test]
fn streaming_events_follow_transitions_exactly_with_context() {
    let mut h = v2(vec![info(PHONE, "Phone", true, true)]);
    let id = h.id(PHONE);
    let mut all = Vec::new();
    for s in [
        TransportState::Idle,
        TransportState::Pending,
        TransportState::Active,
        TransportState::Active,
        TransportState::Idle,
        TransportState::Idle,
        TransportState::Active,
    ] {
        all.extend(emitted(&h.ev(transport(PHONE, s))));
    }
    let n: Vec<&str> = all.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        n,
        vec!["StreamingStarted", "StreamingEnded", "StreamingStarted"]
    );
    assert_eq!(
        all[0].payload,
        json!({"device": {"uniqueDeviceId": id, "profileName": "A2DP_SOURCE"}})
    );
    let ctx = all[1].context.clone().expect("context");
    assert_eq!(
        ctx["payload"]["pairedDevices"][0]["supportedProfiles"][0]["state"]["streaming"],
        "PAUSED"
    );
    assert_eq!(
        ctx["payload"]["pairedDevices"][0]["connectionState"],
        "CONNECTED"
    );
    // Disconnect while ACTIVE: StreamingEnded first, with the device still connected.
    let e = emitted(&h.connected(PHONE, false));
    let n: Vec<&str> = e.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(n, vec!["StreamingEnded", "DisconnectDevicesSucceeded"]);
    let ctx = e[0].context.clone().expect("context");
    assert_eq!(
        ctx["payload"]["pairedDevices"][0]["connectionState"],
        "CONNECTED"
    );
    let after = h.core.context().to_value();
    assert_eq!(
        after["payload"]["pairedDevices"][0]["connectionState"],
        "DISCONNECTED"
    );
    assert_eq!(
        after["payload"]["pairedDevices"][0]["supportedProfiles"][0]["state"]["streaming"],
        "INACTIVE"
    );
}

#[test]
fn media_control_rules() {
    let mut h = v2(vec![
        info(PHONE, "Phone", true, true),
        info(SPEAKER, "Off", true, false),
    ]);
    let id = h.id(PHONE);
    let dev = json!({"device": {"uniqueDeviceId": id}});
    h.ev(transport(PHONE, TransportState::Active));
    let a = h.dir("Play", dev.clone());
    assert_eq!(names(&a), vec!["MediaControlPlaySucceeded"]);
    assert!(calls(&a).is_empty(), "no AVRCP play while ACTIVE");
    let a = h.dir("Stop", dev.clone());
    let t = token_of(&a, &BackendCall::Media(PHONE.into(), MediaAction::Stop));
    let e = emitted(&h.ok(t));
    assert_eq!(e[0].name, "MediaControlStopSucceeded");
    assert_eq!(e[0].payload, dev);
    let a = h.dir("Next", dev.clone());
    let t = token_of(&a, &BackendCall::Media(PHONE.into(), MediaAction::Next));
    let e = emitted(&h.err(t, BackendErrorKind::NotAvailable));
    assert_eq!(e[0].name, "MediaControlNextFailed");
    let off = h.id(SPEAKER);
    let a = h.dir("Previous", json!({"device": {"uniqueDeviceId": off}}));
    assert_eq!(
        names(&a),
        vec!["MediaControlPreviousFailed"],
        "not connected"
    );
}

#[test]
fn scan_reports_the_full_list_and_has_more() {
    let mut h = v2(vec![
        info(PHONE, "Paired", true, false),
        info(NEW, "", false, false),
    ]);
    let a = h.dir("ScanDevices", json!({}));
    let t = token_of(&a, &BackendCall::StartScan);
    let e = emitted(&h.ok(t));
    assert_eq!(e[0].payload["hasMore"], true);
    let list = e[0].payload["discoveredDevices"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(list.len(), 1, "paired devices are not listed");
    assert_eq!(list[0]["truncatedMacAddress"], "XX:XX:XX:XX:00:04");
    assert_eq!(list[0]["friendlyName"], "");
    assert_eq!(list[0]["metadata"]["classOfDevice"], 5_898_764);
    let e = emitted(&h.ev(BackendEvent::DeviceUpdated(info(
        SPEAKER, "Speaker", false, false,
    ))));
    assert_eq!(
        e[0].payload["discoveredDevices"].as_array().map(Vec::len),
        Some(2)
    );
    let e = emitted(&h.ev(BackendEvent::Discovering(false)));
    assert_eq!(e[0].payload["hasMore"], false);
    assert!(emitted(&h.ev(BackendEvent::Discovering(false))).is_empty());
    // Failure to start.
    let a = h.dir("ScanDevices", json!({}));
    let t = token_of(&a, &BackendCall::StartScan);
    let e = emitted(&h.err(t, BackendErrorKind::Failed));
    assert_eq!(e[0].name, "ScanDevicesFailed");
    assert_eq!(e[0].payload, json!({}));
}

#[test]
fn discoverable_enter_and_exit() {
    let mut h = v2(vec![]);
    let a = h.dir("EnterDiscoverableMode", json!({"durationInSeconds": 30}));
    let t = token_of(
        &a,
        &BackendCall::SetDiscoverable {
            on: true,
            timeout_s: 30,
        },
    );
    assert_eq!(names(&h.ok(t)), vec!["EnterDiscoverableModeSucceeded"]);
    assert!(h.core.pairing_window_open());
    let a = h.dir("ExitDiscoverableMode", json!({}));
    assert!(calls(&a).iter().any(|(_, c)| *c
        == BackendCall::SetDiscoverable {
            on: false,
            timeout_s: 0
        }));
    assert!(!h.core.pairing_window_open());
    let a = h.dir("EnterDiscoverableMode", json!({"durationInSeconds": 30}));
    let t = token_of(
        &a,
        &BackendCall::SetDiscoverable {
            on: true,
            timeout_s: 30,
        },
    );
    assert_eq!(
        names(&h.err(t, BackendErrorKind::Failed)),
        vec!["EnterDiscoverableModeFailed"]
    );
}

#[test]
fn set_device_categories_persists_and_reports_both_lists() {
    let mut h = v2(vec![info(PHONE, "Phone", true, false)]);
    let id = h.id(PHONE);
    let a = h.dir(
        "SetDeviceCategories",
        json!({"devices": [
        {"uniqueDeviceId": id, "deviceCategory": "PHONE"},
        {"uniqueDeviceId": "nope", "deviceCategory": "GADGET"}]}),
    );
    let e = emitted(&a);
    assert_eq!(e[0].name, "SetDeviceCategoriesSucceeded");
    assert_eq!(
        e[0].payload,
        json!({"devices": [{"uniqueDeviceId": id, "deviceCategory": "PHONE"}]})
    );
    assert_eq!(e[1].name, "SetDeviceCategoriesFailed");
    assert_eq!(e[1].payload["devices"][0]["uniqueDeviceId"], "nope");
    assert!(e[0].context.is_some() && e[1].context.is_some());
    assert_eq!(
        e[0].context
            .as_ref()
            .map(|c| c["payload"]["pairedDevices"][0]["deviceCategory"].clone()),
        Some(json!("PHONE"))
    );
}

#[test]
fn directives_are_handled_while_others_are_pending() {
    let mut h = v2(vec![
        info(NEW, "New", false, false),
        info(PHONE, "Phone", true, false),
    ]);
    let (nid, pid) = (h.id(NEW), h.id(PHONE));
    let a = h.ids("PairDevices", &[&nid]);
    let tp = token_of(&a, &BackendCall::Pair(NEW.into()));
    let a = h.ids("ConnectByDeviceIds", &[&pid]);
    let tc = token_of(&a, &BackendCall::Connect(PHONE.into()));
    h.ok(tc);
    assert_eq!(
        names(&h.connected(PHONE, true)),
        vec!["ConnectByDeviceIdsSucceeded"]
    );
    assert_eq!(
        names(&h.err(tp, BackendErrorKind::Failed)),
        vec!["PairDevicesFailed"]
    );
}

#[test]
fn v1_uses_singular_names_and_context_on_every_event() {
    let mut h = H::new(InterfaceVersion::V1, vec![info(NEW, "Phone", false, false)]);
    let id = h.id(NEW);
    let a = h.dir("PairDevice", json!({"device": {"uniqueDeviceId": id}}));
    let t = token_of(&a, &BackendCall::Pair(NEW.into()));
    h.ok(t);
    let a = h.ev(BackendEvent::Paired {
        mac: NEW.into(),
        paired: true,
    });
    let e = emitted(&a);
    assert_eq!(e[0].name, "PairDeviceSucceeded");
    assert_eq!(
        e[0].payload,
        json!({"device": {"uniqueDeviceId": id, "friendlyName": "Phone"}})
    );
    assert!(e[0].context.is_some());
    let t = token_of(&a, &BackendCall::Connect(NEW.into()));
    h.ok(t);
    let e = emitted(&h.connected(NEW, true));
    assert_eq!(e[0].name, "ConnectByDeviceIdSucceeded");
    let ctx = e[0].context.clone().expect("context");
    assert_eq!(ctx["payload"]["activeDevice"]["uniqueDeviceId"], id);
    assert_eq!(
        ctx["payload"]["activeDevice"]["supportedProfiles"][0]["name"],
        "A2DP-SOURCE"
    );
    let a = h.dir("Play", json!({}));
    let t = token_of(&a, &BackendCall::Media(NEW.into(), MediaAction::Play));
    let e = emitted(&h.err(t, BackendErrorKind::Failed));
    assert_eq!(e[0].name, "MediaControlPlayFailed");
    assert_eq!(e[0].payload, json!({}));
    let e = emitted(&h.ev(transport(NEW, TransportState::Active)));
    assert_eq!(e[0].payload, json!({"device": {"uniqueDeviceId": id}}));
}
