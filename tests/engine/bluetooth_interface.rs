//! The AVS Bluetooth interface (2.0) end to end: the engine binary against a private
//! dbus-daemon with python-dbusmock's bluez5 template, driven only through the control socket.
//! Every event read is checked by a typed round trip against the model (support::check_event).

use avs_bluetooth::model::InterfaceVersion;
use serde_json::{json, Value};

use crate::bluetooth_support::*;

const PHONE: &str = "AA:BB:CC:00:00:01";
const SPEAKER: &str = "AA:BB:CC:00:00:02";
const PHONE2: &str = "AA:BB:CC:00:00:03";
const UNKNOWN_ID: &str = "6b1e8c1c-0000-4000-8000-000000000000";

struct T {
    c: Client,
    engine: Engine,
    mock: Mock,
    _dir: tempfile::TempDir,
}

/// A mock with `paired` devices already paired, and the engine on top.
fn setup(paired: &[(&str, &str)]) -> T {
    let dir = tempfile::tempdir().expect("tmp");
    let mut mock = Mock::start();
    for (mac, name) in paired {
        mock.add_paired(mac, name);
    }
    let engine = Engine::start(&mock, dir.path(), InterfaceVersion::V2);
    let c = engine.client();
    T {
        _dir: dir,
        mock,
        engine,
        c,
    }
}

impl T {
    fn id(&mut self, name: &str) -> String {
        let ctx = self.c.command("context");
        id_in_context(&ctx, name).unwrap_or_else(|| panic!("{name} not in context: {ctx}"))
    }

    /// Waits for the event; checks its requester.
    fn expect(&mut self, name: &str, requester: Option<&str>) -> Value {
        let e = self.c.event(name);
        if let Some(r) = requester {
            assert_eq!(e["event"]["payload"]["requester"], r, "{e}");
        }
        e
    }
}

fn payload(v: &Value) -> &Value {
    &v["event"]["payload"]
}

fn device_ids(v: &Value) -> Vec<String> {
    payload(v)["devices"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|d| d["uniqueDeviceId"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn scan_reports_devices_as_they_appear_and_when_discovery_stops() {
    let mut t = setup(&[(PHONE2, "Paired Phone")]);
    t.mock.add_device(PHONE, "Phone");
    t.c.directive("ScanDevices", json!({}));
    let r = t.c.event("ScanDevicesReport");
    assert_eq!(payload(&r)["hasMore"], true);
    let list = payload(&r)["discoveredDevices"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(list.len(), 1, "only unpaired devices: {r}");
    assert_eq!(list[0]["friendlyName"], "Phone");
    assert_eq!(list[0]["truncatedMacAddress"], "XX:XX:XX:XX:00:01");
    let phone_id = id_in_scan(&r, "Phone").expect("id");
    assert_eq!(t.mock.adapter_prop("Discovering"), json!(true));
    // A device appears: the full list again.
    t.mock.add_device(SPEAKER, "Speaker");
    let r = t.c.event("ScanDevicesReport");
    assert_eq!(payload(&r)["hasMore"], true);
    assert_eq!(id_in_scan(&r, "Phone").as_deref(), Some(phone_id.as_str()));
    assert!(id_in_scan(&r, "Speaker").is_some());
    // Discovery stops by itself: hasMore false.
    t.mock
        .op(json!({"op": "set_adapter", "props": {"Discovering": false}}));
    let r = t.c.event("ScanDevicesReport");
    assert_eq!(payload(&r)["hasMore"], false);
    assert_eq!(
        payload(&r)["discoveredDevices"].as_array().map(Vec::len),
        Some(2)
    );
}

#[test]
fn scan_failure_is_reported() {
    let mut t = setup(&[]);
    t.mock
        .fail("adapter", "StartDiscovery", "org.bluez.Error.NotReady");
    t.c.directive("ScanDevices", json!({}));
    let e = t.c.event("ScanDevicesFailed");
    assert_eq!(payload(&e), &json!({}));
    assert!(t.engine.is_running());
}

#[test]
fn discoverable_mode_enter_and_exit() {
    let mut t = setup(&[]);
    assert_eq!(
        t.mock.adapter_prop("Pairable"),
        json!(false),
        "closed outside the window"
    );
    t.c.directive("EnterDiscoverableMode", json!({"durationInSeconds": 90}));
    t.c.event("EnterDiscoverableModeSucceeded");
    assert_eq!(t.mock.adapter_prop("Discoverable"), json!(true));
    assert_eq!(t.mock.adapter_prop("DiscoverableTimeout"), json!(90));
    t.mock.wait_adapter("Pairable", json!(true));
    t.c.directive("ExitDiscoverableMode", json!({}));
    t.mock.wait_adapter("Discoverable", json!(false));
    t.mock.wait_adapter("Pairable", json!(false));
}

#[test]
fn pair_success_then_auto_connect_and_pair_failure() {
    let mut t = setup(&[]);
    t.mock.add_device(PHONE, "Phone");
    t.mock.add_device(SPEAKER, "Speaker");
    t.c.directive("ScanDevices", json!({}));
    let r = t.c.event("ScanDevicesReport");
    let phone = id_in_scan(&r, "Phone").expect("phone id");
    let speaker = id_in_scan(&r, "Speaker").expect("speaker id");
    // Failure first: the scan restarts silently.
    t.mock
        .fail(SPEAKER, "Pair", "org.bluez.Error.AuthenticationFailed");
    t.c.ids("PairDevices", &[&speaker]);
    let e = t.c.event("PairDevicesFailed");
    assert_eq!(device_ids(&e), vec![speaker.clone()]);
    assert_eq!(t.mock.device_prop(SPEAKER, "Paired"), json!(false));
    // Success: only after BlueZ says Paired; then UNKNOWN category connects (requester DEVICE).
    t.c.ids("PairDevices", &[&phone]);
    let e = t.c.event("PairDevicesSucceeded");
    // Bonded: the adapter was Pairable when Device1.Pair ran (the mock, like the kernel,
    // pairs without bonding otherwise).
    assert_eq!(t.mock.device_prop(PHONE, "Bonded"), json!(true));
    let d = &payload(&e)["devices"][0];
    assert_eq!(d["uniqueDeviceId"], phone.as_str());
    assert_eq!(d["friendlyName"], "Phone");
    assert_eq!(d["deviceCategory"], "UNKNOWN");
    let profiles: Vec<&str> = d["profiles"]
        .as_array()
        .map(|a| a.iter().filter_map(|p| p["name"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        profiles.contains(&"A2DP_SOURCE") && profiles.contains(&"AVRCP"),
        "{e}"
    );
    let e = t.expect("ConnectByDeviceIdsSucceeded", Some("DEVICE"));
    assert_eq!(device_ids(&e), vec![phone.clone()]);
    assert_eq!(t.mock.device_prop(PHONE, "Paired"), json!(true));
    assert_eq!(t.mock.device_prop(PHONE, "Connected"), json!(true));
    let ctx = t.c.command("context");
    assert_eq!(
        ctx["context"][0]["payload"]["pairedDevices"][0]["connectionState"],
        "CONNECTED"
    );
}

#[test]
fn gadget_category_is_not_connected_after_pairing() {
    let mut t = setup(&[]);
    t.mock.add_device(SPEAKER, "Button");
    t.c.directive("ScanDevices", json!({}));
    let r = t.c.event("ScanDevicesReport");
    let id = id_in_scan(&r, "Button").expect("id");
    t.c.directive(
        "SetDeviceCategories",
        json!({"devices": [{"uniqueDeviceId": id, "deviceCategory": "GADGET"}]}),
    );
    t.c.event("SetDeviceCategoriesSucceeded");
    t.c.ids("PairDevices", &[&id]);
    t.c.event("PairDevicesSucceeded");
    // A marker directive answered at once: nothing else may come before it.
    t.c.ids("DisconnectDevices", &[UNKNOWN_ID]);
    let seen = t.c.events_until("DisconnectDevicesFailed");
    let names: Vec<&str> = seen.iter().map(name).collect();
    assert!(!names.contains(&"ConnectByDeviceIdsSucceeded"), "{names:?}");
    assert_eq!(t.mock.device_prop(SPEAKER, "Connected"), json!(false));
}

#[test]
fn unpair_of_a_connected_device_disconnects_first() {
    let mut t = setup(&[(PHONE, "Phone")]);
    t.mock.op(json!({"op": "connect_peer", "mac": PHONE}));
    let id = t.id("Phone");
    t.expect("ConnectByDeviceIdsSucceeded", Some("DEVICE"));
    t.c.ids("UnpairDevices", &[&id]);
    let seen = t.c.events_until("UnpairDevicesSucceeded");
    let names: Vec<&str> = seen.iter().map(name).collect();
    assert_eq!(
        names,
        vec!["DisconnectDevicesSucceeded", "UnpairDevicesSucceeded"]
    );
    assert_eq!(payload(&seen[0])["requester"], "CLOUD");
    assert_eq!(device_ids(&seen[1]), vec![id]);
    assert_eq!(
        t.mock.op(json!({"op": "device_exists", "mac": PHONE})),
        json!(false)
    );
}

#[test]
fn connect_and_disconnect_by_cloud_and_by_the_peer() {
    let mut t = setup(&[(PHONE, "Phone")]);
    let id = t.id("Phone");
    t.c.ids("ConnectByDeviceIds", &[&id]);
    let e = t.expect("ConnectByDeviceIdsSucceeded", Some("CLOUD"));
    assert_eq!(payload(&e)["devices"][0]["friendlyName"], "Phone");
    assert_eq!(t.mock.device_prop(PHONE, "Connected"), json!(true));
    // Already connected: immediate success, no second BlueZ call needed.
    t.c.ids("ConnectByDeviceIds", &[&id]);
    t.expect("ConnectByDeviceIdsSucceeded", Some("CLOUD"));
    t.c.ids("DisconnectDevices", &[&id]);
    t.expect("DisconnectDevicesSucceeded", Some("CLOUD"));
    assert_eq!(t.mock.device_prop(PHONE, "Connected"), json!(false));
    // The peer connects and disconnects: requester DEVICE, once each.
    t.mock.op(json!({"op": "connect_peer", "mac": PHONE}));
    t.expect("ConnectByDeviceIdsSucceeded", Some("DEVICE"));
    t.mock.op(json!({"op": "disconnect_peer", "mac": PHONE}));
    t.expect("DisconnectDevicesSucceeded", Some("DEVICE"));
    t.c.ids("DisconnectDevices", &[UNKNOWN_ID]);
    let rest = t.c.events_until("DisconnectDevicesFailed");
    assert_eq!(rest.len(), 1, "no duplicates: {rest:?}");
    // A BlueZ failure is a Failed event.
    t.mock.fail(PHONE, "Connect", "org.bluez.Error.Failed");
    t.c.ids("ConnectByDeviceIds", &[&id]);
    let e = t.expect("ConnectByDeviceIdsFailed", Some("CLOUD"));
    assert_eq!(device_ids(&e), vec![id]);
}

#[test]
fn unknown_ids_fail_for_every_directive_that_takes_one() {
    let mut t = setup(&[]);
    for (d, failed) in [
        ("PairDevices", "PairDevicesFailed"),
        ("UnpairDevices", "UnpairDevicesFailed"),
        ("ConnectByDeviceIds", "ConnectByDeviceIdsFailed"),
        ("DisconnectDevices", "DisconnectDevicesFailed"),
    ] {
        t.c.ids(d, &[UNKNOWN_ID]);
        let e = t.c.event(failed);
        assert_eq!(device_ids(&e), vec![UNKNOWN_ID.to_owned()]);
    }
    t.c.directive(
        "SetDeviceCategories",
        json!({"devices": [{"uniqueDeviceId": UNKNOWN_ID, "deviceCategory": "PHONE"}]}),
    );
    let e = t.c.event("SetDeviceCategoriesFailed");
    assert_eq!(device_ids(&e), vec![UNKNOWN_ID.to_owned()]);
    for m in ["Play", "Stop", "Next", "Previous"] {
        t.c.directive(m, json!({"device": {"uniqueDeviceId": UNKNOWN_ID}}));
        let e = t.c.event(&format!("MediaControl{m}Failed"));
        assert_eq!(payload(&e)["device"]["uniqueDeviceId"], UNKNOWN_ID);
    }
    assert!(t.engine.is_running());
    assert!(t.c.command("context").get("context").is_some());
}

#[test]
fn a_second_a2dp_device_disconnects_the_first() {
    let mut t = setup(&[(PHONE, "Phone"), (SPEAKER, "Speaker")]);
    let (phone, speaker) = (t.id("Phone"), t.id("Speaker"));
    t.c.ids("ConnectByDeviceIds", &[&phone]);
    t.expect("ConnectByDeviceIdsSucceeded", Some("CLOUD"));
    t.c.ids("ConnectByDeviceIds", &[&speaker]);
    let seen = t.c.events_until("DisconnectDevicesSucceeded");
    let names: Vec<&str> = seen.iter().map(name).collect();
    assert_eq!(
        names,
        vec!["ConnectByDeviceIdsSucceeded", "DisconnectDevicesSucceeded"]
    );
    assert_eq!(device_ids(&seen[0]), vec![speaker]);
    assert_eq!(device_ids(&seen[1]), vec![phone]);
    assert_eq!(payload(&seen[1])["requester"], "DEVICE");
    assert_eq!(t.mock.device_prop(PHONE, "Connected"), json!(false));
    assert_eq!(t.mock.device_prop(SPEAKER, "Connected"), json!(true));
}

#[test]
fn connect_by_profile_falls_back_to_the_second_most_recent() {
    let mut t = setup(&[(PHONE, "Phone"), (PHONE2, "Phone 2"), (SPEAKER, "Speaker")]);
    let (p1, p2) = (t.id("Phone"), t.id("Phone 2"));
    // Speaker is an A2DP sink only.
    t.mock.op(json!({"op": "set_device", "mac": SPEAKER,
        "props": {"UUIDs": ["0000110b-0000-1000-8000-00805f9b34fb"]}}));
    // Make Phone 2, then Phone, the most recent connections.
    for id in [&p2, &p1] {
        t.c.ids("ConnectByDeviceIds", &[id]);
        t.expect("ConnectByDeviceIdsSucceeded", Some("CLOUD"));
        t.c.ids("DisconnectDevices", &[id]);
        t.expect("DisconnectDevicesSucceeded", Some("CLOUD"));
    }
    t.mock.fail(PHONE, "Connect", "org.bluez.Error.Failed");
    t.c.directive(
        "ConnectByProfile",
        json!({"profile": {"name": "A2DP_SOURCE", "version": "1.3"}}),
    );
    let e = t.expect("ConnectByProfileSucceeded", Some("CLOUD"));
    assert_eq!(payload(&e)["device"]["uniqueDeviceId"], p2.as_str());
    assert_eq!(payload(&e)["profileName"], "A2DP_SOURCE");
    assert_eq!(t.mock.device_prop(PHONE2, "Connected"), json!(true));
    // No paired HFP-only... no device offers HID: Failed.
    t.c.directive(
        "ConnectByProfile",
        json!({"profile": {"name": "HID", "version": "1"}}),
    );
    let e = t.expect("ConnectByProfileFailed", Some("CLOUD"));
    assert_eq!(payload(&e)["profileName"], "HID");
}

#[test]
fn set_device_categories_is_persisted_and_reported_with_context() {
    let mut t = setup(&[(PHONE, "Phone")]);
    let id = t.id("Phone");
    t.c.directive(
        "SetDeviceCategories",
        json!({"devices": [
        {"uniqueDeviceId": id, "deviceCategory": "PHONE"},
        {"uniqueDeviceId": UNKNOWN_ID, "deviceCategory": "GADGET"}]}),
    );
    let ok = t.c.event("SetDeviceCategoriesSucceeded");
    assert_eq!(
        payload(&ok),
        &json!({"devices": [{"uniqueDeviceId": id, "deviceCategory": "PHONE"}]})
    );
    assert_eq!(
        ok["context"][0]["payload"]["pairedDevices"][0]["deviceCategory"],
        "PHONE"
    );
    let failed = t.c.event("SetDeviceCategoriesFailed");
    assert_eq!(device_ids(&failed), vec![UNKNOWN_ID.to_owned()]);
    let stored =
        std::fs::read_to_string(t.engine.dir.join("bluetooth-devices.json")).expect("registry");
    assert!(stored.contains("\"PHONE\""), "{stored}");
}

fn streaming_setup() -> (T, String) {
    let mut t = setup(&[(PHONE, "Phone")]);
    t.mock.op(json!({"op": "connect_peer", "mac": PHONE}));
    t.expect("ConnectByDeviceIdsSucceeded", Some("DEVICE"));
    let id = t.id("Phone");
    t.mock
        .op(json!({"op": "add_transport", "mac": PHONE, "state": "idle",
        "uuid": "0000110b-0000-1000-8000-00805f9b34fb"}));
    (t, id)
}

fn streaming_names(seen: &[Value]) -> Vec<String> {
    seen.iter()
        .map(|v| name(v).to_owned())
        .filter(|n| n.starts_with("Streaming"))
        .collect()
}

#[test]
fn streaming_started_paused_resumed_ended_with_exact_counts() {
    let (mut t, id) = streaming_setup();
    for s in [
        "pending", "active", "active", "pending", "idle", "idle", "active", "idle",
    ] {
        t.mock
            .op(json!({"op": "transport_state", "mac": PHONE, "state": s}));
    }
    // The last transition's event proves every earlier signal was handled; the marker catches
    // anything the last one produced twice.
    let mut seen = Vec::new();
    for _ in 0..2 {
        seen.extend(t.c.events_until("StreamingEnded"));
    }
    t.c.ids("DisconnectDevices", &[UNKNOWN_ID]);
    seen.extend(t.c.events_until("DisconnectDevicesFailed"));
    assert_eq!(
        streaming_names(&seen),
        vec![
            "StreamingStarted",
            "StreamingEnded",
            "StreamingStarted",
            "StreamingEnded"
        ]
    );
    let started = seen
        .iter()
        .find(|v| name(v) == "StreamingStarted")
        .expect("started");
    assert_eq!(
        payload(started),
        &json!({"device": {"uniqueDeviceId": id, "profileName": "A2DP_SOURCE"}})
    );
    let profile = &started["context"][0]["payload"]["pairedDevices"][0]["supportedProfiles"][0];
    assert_eq!(profile["name"], "A2DP_SOURCE");
    assert_eq!(profile["state"]["streaming"], "ACTIVE");
    let ended = seen
        .iter()
        .rev()
        .find(|v| name(v) == "StreamingEnded")
        .expect("ended");
    let profile = &ended["context"][0]["payload"]["pairedDevices"][0]["supportedProfiles"][0];
    assert_eq!(profile["state"]["streaming"], "PAUSED");
}

#[test]
fn disconnect_while_streaming_ends_the_stream_first() {
    let (mut t, id) = streaming_setup();
    t.mock
        .op(json!({"op": "transport_state", "mac": PHONE, "state": "active"}));
    t.c.event("StreamingStarted");
    t.mock.op(json!({"op": "disconnect_peer", "mac": PHONE}));
    let seen = t.c.events_until("DisconnectDevicesSucceeded");
    let names: Vec<&str> = seen.iter().map(name).collect();
    assert_eq!(names, vec!["StreamingEnded", "DisconnectDevicesSucceeded"]);
    assert_eq!(payload(&seen[0])["device"]["uniqueDeviceId"], id.as_str());
    let dev = &seen[0]["context"][0]["payload"]["pairedDevices"][0];
    assert_eq!(
        dev["connectionState"], "CONNECTED",
        "device still in context"
    );
    assert_eq!(payload(&seen[1])["requester"], "DEVICE");
    let ctx = t.c.command("context");
    let dev = &ctx["context"][0]["payload"]["pairedDevices"][0];
    assert_eq!(dev["connectionState"], "DISCONNECTED");
    assert_eq!(
        dev["supportedProfiles"][0]["state"]["streaming"],
        "INACTIVE"
    );
    // The transport going away afterwards reports nothing more.
    t.mock.op(json!({"op": "remove_transport", "mac": PHONE}));
    t.c.ids("DisconnectDevices", &[UNKNOWN_ID]);
    let rest = t.c.events_until("DisconnectDevicesFailed");
    assert!(streaming_names(&rest).is_empty(), "{rest:?}");
}

#[test]
fn media_control_success_and_failure_over_avrcp() {
    let (mut t, id) = streaming_setup();
    t.mock.op(json!({"op": "add_player", "mac": PHONE}));
    let dev = json!({"device": {"uniqueDeviceId": id}});
    let ok = |t: &mut T, m: &str| {
        t.c.directive(m, dev.clone());
        let e = t.c.event(&format!("MediaControl{m}Succeeded"));
        assert_eq!(payload(&e), &dev);
    };
    ok(&mut t, "Play");
    t.mock
        .op(json!({"op": "transport_state", "mac": PHONE, "state": "active"}));
    t.c.event("StreamingStarted");
    ok(&mut t, "Play"); // already ACTIVE: no AVRCP play sent
    ok(&mut t, "Next");
    ok(&mut t, "Stop");
    let calls = t.mock.op(json!({"op": "player_calls", "mac": PHONE}));
    assert_eq!(calls, json!(["Play", "Next", "Pause"]));
    t.mock
        .op(json!({"op": "fail_player", "mac": PHONE, "method": "Previous"}));
    t.c.directive("Previous", dev.clone());
    let e = t.c.event("MediaControlPreviousFailed");
    assert_eq!(payload(&e)["device"]["uniqueDeviceId"], id.as_str());
    assert!(t.engine.is_running());
}

#[test]
fn media_control_without_a_player_fails() {
    let (mut t, id) = streaming_setup();
    t.c.directive("Next", json!({"device": {"uniqueDeviceId": id}}));
    t.c.event("MediaControlNextFailed");
}

#[test]
fn exit_discoverable_mode_ends_a_running_scan() {
    let mut t = setup(&[]);
    t.mock.add_device(PHONE, "Phone");
    t.c.directive("ScanDevices", json!({}));
    assert_eq!(payload(&t.c.event("ScanDevicesReport"))["hasMore"], true);
    t.c.directive("ExitDiscoverableMode", json!({}));
    // A report for the discovered phone (hasMore true) may come first; the scan's end is the
    // report with hasMore false.
    let r = t.c.wait_for("the final ScanDevicesReport", |v| {
        name(v) == "ScanDevicesReport" && payload(v)["hasMore"] == false
    });
    assert!(id_in_scan(&r, "Phone").is_some());
    t.mock.wait_adapter("Discovering", json!(false));
}
