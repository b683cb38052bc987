//! Version 1.0 names and payloads, ids kept across restarts, and a kill of the engine while it
//! rewrites the registry: all end to end against the BlueZ mock.

use avs_bluetooth::model::InterfaceVersion;
use avs_bluetooth::registry::Registry;
use serde_json::json;

use crate::bluetooth_support::*;

const PHONE: &str = "AA:BB:CC:00:01:01";
const NEW: &str = "AA:BB:CC:00:01:02";

#[test]
fn v1_names_payloads_and_context_on_every_event() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut mock = Mock::start();
    mock.add_device(NEW, "Phone");
    let engine = Engine::start(&mock, dir.path(), InterfaceVersion::V1);
    let mut c = engine.client();
    c.directive("ScanDevices", json!({}));
    let r = c.event("ScanDevicesUpdated");
    assert!(r.get("context").is_some());
    let id = id_in_scan(&r, "Phone").expect("id");
    c.ids("PairDevice", &[&id]);
    let e = c.event("PairDeviceSucceeded");
    assert_eq!(
        e["event"]["payload"],
        json!({"device": {"uniqueDeviceId": id, "friendlyName": "Phone"}})
    );
    let e = c.event("ConnectByDeviceIdSucceeded");
    assert_eq!(e["event"]["payload"]["requester"], "DEVICE");
    let active = &e["context"][0]["payload"]["activeDevice"];
    assert_eq!(active["uniqueDeviceId"], id.as_str());
    assert_eq!(active["streaming"], "INACTIVE");
    let names: Vec<&str> = active["supportedProfiles"]
        .as_array()
        .map(|a| a.iter().filter_map(|p| p["name"].as_str()).collect())
        .unwrap_or_default();
    assert!(names.contains(&"A2DP-SOURCE"), "{e}");
    // Streaming in 1.0: device.uniqueDeviceId only.
    mock.op(json!({"op": "add_transport", "mac": NEW, "state": "active"}));
    let e = c.event("StreamingStarted");
    assert_eq!(
        e["event"]["payload"],
        json!({"device": {"uniqueDeviceId": id}})
    );
    assert_eq!(
        e["context"][0]["payload"]["activeDevice"]["streaming"],
        "ACTIVE"
    );
    // Media control without an id, empty payloads.
    c.directive("Next", json!({}));
    let e = c.event("MediaControlNextFailed");
    assert_eq!(e["event"]["payload"], json!({}));
    mock.op(json!({"op": "add_player", "mac": NEW}));
    c.directive("Next", json!({}));
    let e = c.event("MediaControlNextSucceeded");
    assert_eq!(e["event"]["payload"], json!({}));
    // 2.0 plural names are unknown in 1.0.
    let mid = c.ids("DisconnectDevice", &[&id]);
    let _ = mid;
    let e = c.event("DisconnectDeviceSucceeded");
    assert_eq!(e["event"]["payload"]["requester"], "CLOUD");
    assert!(
        e["context"][0]["payload"].get("activeDevice").is_none(),
        "no active device: {e}"
    );
    let mid = c.directive("PairDevices", json!({"devices": [{"uniqueDeviceId": id}]}));
    let err = c.error();
    assert_eq!(
        err["error"]["payload"]["error"]["type"],
        "UNEXPECTED_INFORMATION_RECEIVED"
    );
    assert_eq!(err["error"]["payload"]["messageId"], mid.as_str());
    c.ids("UnpairDevice", &["00000000-0000-4000-8000-000000000000"]);
    let e = c.event("UnpairDeviceFailed");
    assert_eq!(e["event"]["payload"], json!({}));
}

#[test]
fn restart_keeps_the_ids() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut mock = Mock::start();
    mock.add_paired(PHONE, "Phone");
    mock.add_device(NEW, "New");
    let engine = Engine::start(&mock, dir.path(), InterfaceVersion::V2);
    let mut c = engine.client();
    let phone = id_in_context(&c.command("context"), "Phone").expect("phone");
    c.directive("ScanDevices", json!({}));
    let new = id_in_scan(&c.event("ScanDevicesReport"), "New").expect("new");
    drop(c);
    engine.stop();
    let engine = Engine::start(&mock, dir.path(), InterfaceVersion::V2);
    let mut c = engine.client();
    assert_eq!(
        id_in_context(&c.command("context"), "Phone").as_deref(),
        Some(phone.as_str())
    );
    c.directive("ScanDevices", json!({}));
    assert_eq!(
        id_in_scan(&c.event("ScanDevicesReport"), "New").as_deref(),
        Some(new.as_str())
    );
}

#[test]
fn kill_during_a_registry_write_keeps_a_readable_registry_and_the_ids() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut mock = Mock::start();
    mock.add_paired(PHONE, "Phone");
    let engine = Engine::start(&mock, dir.path(), InterfaceVersion::V2);
    let mut c = engine.client();
    let phone = id_in_context(&c.command("context"), "Phone").expect("phone");
    drop(c);
    engine.stop();
    let path = dir.path().join("bluetooth-devices.json");
    for round in 0..6u64 {
        let engine = Engine::start(&mock, dir.path(), InterfaceVersion::V2);
        let mut c = engine.client();
        assert_eq!(
            id_in_context(&c.command("context"), "Phone").as_deref(),
            Some(phone.as_str()),
            "round {round}"
        );
        // Each SetDeviceCategories with a new category rewrites the registry.
        for i in 0..(20 + round * 7) {
            let cat = if i % 2 == 0 { "PHONE" } else { "AUDIO_VIDEO" };
            c.directive(
                "SetDeviceCategories",
                json!({"devices": [{"uniqueDeviceId": phone, "deviceCategory": cat}]}),
            );
        }
        engine.kill();
        let r = Registry::open(&path).unwrap_or_else(|e| panic!("round {round}: {e}"));
        assert_eq!(
            r.by_mac(PHONE).map(|x| x.unique_device_id.clone()),
            Some(phone.clone())
        );
    }
}
