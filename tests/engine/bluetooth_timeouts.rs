//! Overlapping directives and the operation timeout, end to end: the engine binary against a
//! private dbus-daemon with python-dbusmock's bluez5 template, driven through the control
//! socket. The mock accepts the phone's Connect but never confirms it (Connected stays false),
//! as a peer that walked out of range would, until the test lets the peer complete it.
//! No test depends on how fast anything runs: the overlap test uses a timeout far beyond the
//! test's own wait, and the timeout test orders nothing against the clock.

use avs_bluetooth::model::InterfaceVersion;
use serde_json::{json, Value};

use crate::bluetooth_support::*;

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

/// A mock with the phone and a speaker paired, the phone's Connect left unconfirmed, and the
/// engine started with `operation_timeout_s`. Returns the phone's id too.
fn start(dir: &std::path::Path, timeout_s: u64) -> (Mock, Engine, Client, String) {
    let mut mock = Mock::start();
    mock.add_paired(PHONE, "Phone");
    mock.add_paired(SPEAKER, "Speaker");
    mock.fail(PHONE, "Connect", "unconfirmed");
    let engine = Engine::start_with(
        &mock,
        dir,
        InterfaceVersion::V2,
        &format!("operation_timeout_s = {timeout_s}"),
    );
    let mut c = engine.client();
    let ctx = c.command("context");
    let phone = id_in_context(&ctx, "Phone").expect("phone in context");
    (mock, engine, c, phone)
}

#[test]
fn directives_are_answered_while_a_connect_waits_for_its_confirmation() {
    let dir = tempfile::tempdir().expect("tmp");
    // 600 s: far beyond the test's wait, so the connect is still pending throughout.
    let (mut mock, _engine, mut c, phone) = start(dir.path(), 600);
    c.ids("ConnectByDeviceIds", &[&phone]);
    c.directive("EnterDiscoverableMode", json!({"durationInSeconds": 30}));
    c.event("EnterDiscoverableModeSucceeded");
    let unknown = "00000000-0000-4000-8000-000000000000";
    c.ids("DisconnectDevices", &[unknown]);
    let failed = c.event("DisconnectDevicesFailed");
    assert_eq!(ids(&failed), vec![unknown.to_owned()]);
    assert!(
        !c.queued_names()
            .iter()
            .any(|n| n.starts_with("ConnectByDeviceIds")),
        "the connect has not been answered yet: {:?}",
        c.queued_names()
    );
    assert_eq!(mock.device_prop(PHONE, "Connected"), json!(false));

    // The peer completes the connection: the pending directive succeeds, for the cloud.
    mock.fail(PHONE, "Connect", "");
    mock.op(json!({"op": "connect_peer", "mac": PHONE}));
    let ok = c.event("ConnectByDeviceIdsSucceeded");
    assert_eq!(ids(&ok), vec![phone]);
    assert_eq!(ok["event"]["payload"]["requester"], "CLOUD");
}

#[test]
fn an_unconfirmed_connect_fails_at_the_timeout_and_a_late_completion_is_the_peers() {
    let dir = tempfile::tempdir().expect("tmp");
    let (mut mock, engine, mut c, phone) = start(dir.path(), 1);
    let mut other = engine.client();
    c.ids("ConnectByDeviceIds", &[&phone]);
    let seen = c.events_until("ConnectByDeviceIdsFailed");
    let names: Vec<&str> = seen.iter().map(name).collect();
    assert!(!names.contains(&"ConnectByDeviceIdsSucceeded"), "{names:?}");
    let failed = seen.last().expect("the failure");
    assert_eq!(ids(failed), vec![phone.clone()]);
    assert_eq!(failed["event"]["payload"]["requester"], "CLOUD");
    assert_eq!(mock.device_prop(PHONE, "Connected"), json!(false));

    // The peer completes the connection later: reported once, as the peer's doing.
    mock.fail(PHONE, "Connect", "");
    mock.op(json!({"op": "connect_peer", "mac": PHONE}));
    let late = c.event("ConnectByDeviceIdsSucceeded");
    assert_eq!(ids(&late), vec![phone]);
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
