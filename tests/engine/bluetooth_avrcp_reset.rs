//! Peers' AVRCP commands (through the media player the engine registers with
//! org.bluez.Media1) and the logout/reset, end to end: the engine binary against a private
//! dbus-daemon with python-dbusmock's bluez5 template, driven through the control socket.

use std::time::Instant;

use avs_bluetooth::model::InterfaceVersion;
use avs_bluetooth::registry::Registry;
use serde_json::{json, Value};

use crate::bluetooth_support::*;

const PHONE: &str = "AA:BB:CC:00:02:01";
const SPEAKER: &str = "AA:BB:CC:00:02:02";

fn avrcp_line(c: &mut Client, command: &str, device: &Value) {
    let line = c.wait_for(command, |v| v.get("avrcp").is_some());
    assert_eq!(
        line,
        json!({"avrcp": {"command": command, "device": device}}),
        "in order, naming the connected device"
    );
}

#[test]
fn peer_avrcp_commands_reach_every_client_in_order() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut mock = Mock::start();
    mock.add_paired(PHONE, "Phone");
    let engine = Engine::start(&mock, dir.path(), InterfaceVersion::V2);
    let mut a = engine.client();
    let mut b = engine.client();
    // Registered before the control socket opens.
    let players = mock.op(json!({"op": "registered_players"}));
    let players = players.as_array().cloned().unwrap_or_default();
    assert_eq!(players.len(), 1, "{players:?}");
    let p = &players[0];
    assert_eq!(p["path"], "/org/ama_engine/player");
    assert_eq!(p["adapter"], "/org/bluez/hci0");
    assert_eq!(p["properties"]["PlaybackStatus"], "Stopped");
    assert_eq!(p["properties"]["CanPlay"], true);
    assert_eq!(p["properties"]["CanGoNext"], true);

    mock.op(json!({"op": "monitor_player", "path": "/org/ama_engine/player"}));
    mock.op(json!({"op": "connect_peer", "mac": PHONE}));
    let connected = a.event("ConnectByDeviceIdsSucceeded");
    let device = json!({
        "uniqueDeviceId": connected["event"]["payload"]["devices"][0]["uniqueDeviceId"],
        "friendlyName": "Phone",
    });
    for (method, line) in [
        ("Play", "PLAY"),
        ("Next", "NEXT"),
        ("Pause", "PAUSE"),
        ("PlayPause", "PLAY_PAUSE"),
        ("Previous", "PREVIOUS"),
        ("Stop", "STOP"),
    ] {
        let r = mock.op(json!({"op": "avrcp", "method": method}));
        assert_eq!(r, 1, "{r}");
        for c in [&mut a, &mut b] {
            avrcp_line(c, line, &device);
        }
        if method == "PlayPause" {
            // Pause then PlayPause: playing again, as a peer reading our status sees it.
            let s = mock.op(json!({"op": "player_status"}));
            assert_eq!(s, "Playing");
        }
    }
    // Each change of PlaybackStatus is signalled (BlueZ keeps the peer's view from these).
    let want = json!(["Playing", "Paused", "Playing", "Stopped"]);
    let start = Instant::now();
    loop {
        let got = mock.op(json!({"op": "player_statuses"}));
        if got == want {
            break;
        }
        assert!(
            start.elapsed() < WAIT,
            "PlaybackStatus signals {got}, wanted {want}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // A method the player does not have is an error for the caller, not for the engine.
    let r = mock.try_op(json!({"op": "avrcp", "method": "Seek"}));
    assert!(r.is_err(), "{r:?}");
    assert!(a.command("context").get("context").is_some());
    let log = engine.log();
    assert!(!log.contains("cannot register our media player"), "{log}");
}

#[test]
fn without_media1_the_rest_still_works_and_it_is_logged_once() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut mock = Mock::start();
    mock.add_device(PHONE, "Phone");
    mock.fail(
        "adapter",
        "RegisterPlayer",
        "org.freedesktop.DBus.Error.UnknownMethod",
    );
    let engine = Engine::start(&mock, dir.path(), InterfaceVersion::V2);
    let mut c = engine.client();
    c.directive("ScanDevices", json!({}));
    let r = c.event("ScanDevicesReport");
    assert!(id_in_scan(&r, "Phone").is_some(), "{r}");
    let players = mock.op(json!({"op": "registered_players"}));
    assert_eq!(players, json!([]));
    let log = engine.log();
    assert_eq!(
        log.matches("cannot register our media player").count(),
        1,
        "{log}"
    );
}

fn paired_devices(ctx: &Value) -> Vec<Value> {
    ctx["context"][0]["payload"]["pairedDevices"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("no pairedDevices in {ctx}"))
}

fn wait_gone(mock: &mut Mock, mac: &str) {
    let start = Instant::now();
    while mock.op(json!({"op": "device_exists", "mac": mac})) == true {
        assert!(start.elapsed() < WAIT, "{mac} still known to the stack");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn reset_clears_scan_discoverable_pairings_and_the_registry_across_a_restart() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut mock = Mock::start();
    mock.add_paired(PHONE, "Phone");
    mock.add_paired(SPEAKER, "Speaker");
    let engine = Engine::start(&mock, dir.path(), InterfaceVersion::V2);
    let mut c = engine.client();
    mock.op(json!({"op": "connect_peer", "mac": PHONE}));
    c.event("ConnectByDeviceIdsSucceeded");
    let ctx = c.command("context");
    let mut ids: Vec<String> = ["Phone", "Speaker"]
        .iter()
        .map(|n| id_in_context(&ctx, n).unwrap_or_else(|| panic!("{n} in {ctx}")))
        .collect();
    ids.sort();
    c.directive("ScanDevices", json!({}));
    c.event("ScanDevicesReport");
    mock.wait_adapter("Discovering", json!(true));
    c.directive("EnterDiscoverableMode", json!({"durationInSeconds": 90}));
    c.event("EnterDiscoverableModeSucceeded");
    mock.wait_adapter("Discoverable", json!(true));
    let registry = dir.path().join("bluetooth-devices.json");
    assert!(Registry::open(&registry).expect("registry").records().len() >= 2);

    let r = c.command("reset");
    let report = &r["reset"];
    let mut unpaired: Vec<String> = report["unpaired"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    unpaired.sort();
    assert_eq!(unpaired, ids, "{r}");
    assert_eq!(report["failed"], json!([]), "{r}");
    assert_eq!(report["errors"], json!([]), "{r}");
    wait_gone(&mut mock, PHONE);
    wait_gone(&mut mock, SPEAKER);
    mock.wait_adapter("Discovering", json!(false));
    mock.wait_adapter("Discoverable", json!(false));
    mock.wait_adapter("Pairable", json!(false));
    assert!(paired_devices(&c.command("context")).is_empty());
    assert!(Registry::open(&registry)
        .expect("registry")
        .records()
        .is_empty());
    // A second reset has nothing left to unpair.
    let r = c.command("reset");
    assert_eq!(r["reset"]["unpaired"], json!([]), "{r}");

    drop(c);
    engine.stop();
    assert!(Registry::open(&registry)
        .expect("registry")
        .records()
        .is_empty());
    let engine = Engine::start(&mock, dir.path(), InterfaceVersion::V2);
    let mut c = engine.client();
    assert!(paired_devices(&c.command("context")).is_empty());
    assert!(Registry::open(&registry)
        .expect("registry")
        .records()
        .is_empty());
}
