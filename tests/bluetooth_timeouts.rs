//! The operation timeout and overlapping directives, end to end: the engine binary against a
//! private dbus-daemon with python-dbusmock's bluez5 template, driven through the control
//! socket, with `operation_timeout_s = 1`. The mock accepts the phone's Connect but never
//! confirms it (Connected stays false), as a peer that walked out of range would.

#[path = "bluetooth_support/mod.rs"]
mod support;

use ama_engine::bluetooth::model::InterfaceVersion;
use serde_json::{json, Value};
use support::*;

const PHONE: &str = "AA:BB:CC:00:03:01";
const SPEAKER: &str = "AA:BB:CC:00:03:02";

fn name(v: &Value) -> &str {
    v["event"]["header"]["name"].as_str().unwrap_or("")
}

fn ids(e: &Value) -> Vec<String> {
    e["event"]["payload"]["devices"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["uniqueDeviceId"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn an_unconfirmed_connect_fails_at_the_timeout_while_other_directives_complete() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut mock = Mock::start();
    mock.add_paired(PHONE, "Phone");
    mock.add_paired(SPEAKER, "Speaker");
    mock.fail(PHONE, "Connect", "unconfirmed");
    let engine = Engine::start_with(
        &mock,
        dir.path(),
        InterfaceVersion::V2,
        "operation_timeout_s = 1",
    );
    let mut c = engine.client();
    let mut other = engine.client();
    let ctx = c.command("context");
    let phone = id_in_context(&ctx, "Phone").expect("phone in context");

    // The connect is pending (BlueZ returned, the confirmation never comes); meanwhile a
    // discoverable-mode directive and an unknown id are handled and answered.
    c.ids("ConnectByDeviceIds", &[&phone]);
    c.directive("EnterDiscoverableMode", json!({"durationInSeconds": 30}));
    let unknown = "00000000-0000-4000-8000-000000000000";
    c.ids("DisconnectDevices", &[unknown]);
    let seen = c.events_until("ConnectByDeviceIdsFailed");
    let names: Vec<&str> = seen.iter().map(name).collect();
    let at = |n: &str| names.iter().position(|x| *x == n);
    assert!(
        at("EnterDiscoverableModeSucceeded") < at("ConnectByDeviceIdsFailed")
            && at("DisconnectDevicesFailed") < at("ConnectByDeviceIdsFailed")
            && at("EnterDiscoverableModeSucceeded").is_some()
            && at("DisconnectDevicesFailed").is_some(),
        "the other directives were answered while the connect waited: {names:?}"
    );
    assert!(!names.contains(&"ConnectByDeviceIdsSucceeded"), "{names:?}");
    let failed = seen.last().expect("the failure");
    assert_eq!(ids(failed), vec![phone.clone()]);
    assert_eq!(failed["event"]["payload"]["requester"], "CLOUD");
    assert_eq!(mock.device_prop(PHONE, "Connected"), json!(false));

    // The peer completes the connection later: reported once, as the peer's doing.
    mock.fail(PHONE, "Connect", "");
    mock.op(json!({"op": "connect_peer", "mac": PHONE}));
    let late = c.event("ConnectByDeviceIdsSucceeded");
    assert_eq!(ids(&late), vec![phone.clone()]);
    assert_eq!(late["event"]["payload"]["requester"], "DEVICE");
    // Nothing else about the phone's connection follows: the next answer is the context.
    c.command("context");
    let after = c.queued_names();
    assert!(
        !after.iter().any(|n| n.starts_with("ConnectByDeviceIds")),
        "{after:?}"
    );
    // Every client saw the same story.
    let seen: Vec<String> = other
        .events_until("ConnectByDeviceIdsSucceeded")
        .iter()
        .map(|e| name(e).to_owned())
        .collect();
    assert!(
        seen.contains(&"ConnectByDeviceIdsFailed".to_owned()),
        "{seen:?}"
    );
    assert_eq!(mock.device_prop(PHONE, "Connected"), json!(true));
    let stats = c.command("stats");
    assert_eq!(stats["stats"]["bluetooth"]["timeouts"], 1, "{stats}");
}
