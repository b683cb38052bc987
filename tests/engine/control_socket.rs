//! The control socket: mode 0600, several clients, error lines for bad input (and nothing
//! else happens), button commands, context and stats.

use std::os::unix::fs::PermissionsExt;

use avs_bluetooth::model::InterfaceVersion;
use engine_base::messages::Command;
use serde_json::json;

use crate::bluetooth_support::*;

#[test]
fn malformed_input_gets_error_lines_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut mock = Mock::start();
    mock.add_paired("AA:BB:CC:00:02:01", "Phone");
    let engine = Engine::start(&mock, dir.path(), InterfaceVersion::V2);
    let mode = std::fs::metadata(&engine.socket)
        .expect("socket")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let mut c = engine.client();
    let before = c.command("context");

    c.send_raw("{not json");
    let e = c.error();
    let p = &e["error"]["payload"];
    assert_eq!(p["error"]["type"], "UNEXPECTED_INFORMATION_RECEIVED");
    assert!(p.get("messageId").is_none());
    assert_eq!(e["error"]["header"]["name"], "ExceptionEncountered");

    let mid = c.directive("PairDevices", json!({}));
    let e = c.error();
    assert_eq!(e["error"]["payload"]["messageId"], mid.as_str());
    assert_eq!(
        e["error"]["payload"]["error"]["type"],
        "UNEXPECTED_INFORMATION_RECEIVED"
    );

    let mid = c.directive("ConnectByProfile", json!({"profile": {"version": "1"}}));
    assert_eq!(c.error()["error"]["payload"]["messageId"], mid.as_str());
    let mid = c.directive("SelfDestruct", json!({}));
    assert_eq!(c.error()["error"]["payload"]["messageId"], mid.as_str());
    c.send(
        &json!({"directive": {"header": {"namespace": "Speaker", "name": "SetVolume",
        "messageId": "x-1"}, "payload": {}}}),
    );
    assert_eq!(c.error()["error"]["payload"]["messageId"], "x-1");
    c.send(&json!({"hello": 1}));
    c.error();
    c.send(&json!({"command": "dance"}));
    c.error();
    c.send_raw(&"x".repeat(70_000));
    c.error();

    // Nothing changed, no event was sent, and the engine still works.
    assert_eq!(c.command("context"), before);
    assert!(c.queued_names().is_empty(), "{:?}", c.queued_names());
    c.directive("EnterDiscoverableMode", json!({"durationInSeconds": 10}));
    c.event("EnterDiscoverableModeSucceeded");
    let stats = c.command("stats");
    assert!(
        stats["stats"]["control"]["errors"].as_u64().unwrap_or(0) >= 8,
        "{stats}"
    );
}

#[test]
fn events_go_to_every_client() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut mock = Mock::start();
    mock.add_paired("AA:BB:CC:00:02:02", "Phone");
    let engine = Engine::start(&mock, dir.path(), InterfaceVersion::V2);
    let mut a = engine.client();
    let mut b = engine.client();
    let mut c = engine.client();
    mock.op(json!({"op": "connect_peer", "mac": "AA:BB:CC:00:02:02"}));
    for cl in [&mut a, &mut b, &mut c] {
        let e = cl.event("ConnectByDeviceIdsSucceeded");
        assert_eq!(e["event"]["payload"]["requester"], "DEVICE");
    }
    // Answers go to the asker only.
    b.command("stats");
    a.directive("ExitDiscoverableMode", json!({}));
    drop(b);
    a.directive("EnterDiscoverableMode", json!({"durationInSeconds": 5}));
    a.event("EnterDiscoverableModeSucceeded");
    c.event("EnterDiscoverableModeSucceeded");
    assert!(c.queued_names().is_empty());
}

#[test]
fn button_commands_reach_the_audio_side() {
    if !crate::support::in_own_process(module_path!(), "button_commands_reach_the_audio_side") {
        return;
    }
    // In-process: serve() with our own command channel, against the mock.
    let dir = tempfile::tempdir().expect("tmp");
    let mock = Mock::start();
    let socket = dir.path().join("control.sock");
    let text = format!(
        "[bluetooth]\nstate_dir = \"{}\"\n[control]\npath = \"{}\"\n",
        dir.path().display(),
        socket.display()
    );
    let cfg =
        ama_engine::config::Config::parse(&text, std::path::Path::new("t.toml")).expect("cfg");
    // DBUS_SYSTEM_BUS_ADDRESS is read by libdbus once per process, when the engine connects:
    // this test runs in a process of its own (above).
    std::env::set_var("DBUS_SYSTEM_BUS_ADDRESS", &mock.address);
    let rt = tokio::runtime::Runtime::new().expect("rt");
    let (tx, mut rx) = tokio::sync::mpsc::channel(8);
    rt.spawn(ama_engine::bluetooth::serve(std::sync::Arc::new(cfg), tx));
    let start = std::time::Instant::now();
    while std::os::unix::net::UnixStream::connect(&socket).is_err() {
        assert!(start.elapsed() < WAIT, "no socket");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let mut c = Client::connect(&socket, InterfaceVersion::V2);
    for (cmd, want) in [
        ("tap", Command::Tap),
        ("press", Command::Press),
        ("release", Command::Release),
    ] {
        assert_eq!(c.command(cmd), json!({"ok": cmd}));
        let got = rt.block_on(async { tokio::time::timeout(WAIT, rx.recv()).await.ok().flatten() });
        assert_eq!(got, Some(want));
    }
    let ctx = c.command("context");
    assert_eq!(ctx["context"][0]["header"]["name"], "BluetoothState");
}

#[test]
fn devices_command_lists_the_registry_and_bluez_view() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut mock = Mock::start();
    mock.add_paired("AA:BB:CC:00:02:03", "Listed Phone");
    let engine = Engine::start(&mock, dir.path(), InterfaceVersion::V2);
    let mut c = engine.client();
    let id = id_in_context(&c.command("context"), "Listed Phone").expect("id");
    drop(c);
    engine.stop();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ama-engine"))
        .args(["devices", "--config"])
        .arg(dir.path().join("engine.toml"))
        .env("DBUS_SYSTEM_BUS_ADDRESS", &mock.address)
        .output()
        .expect("run devices");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.contains(&id))
        .unwrap_or_else(|| panic!("{id} not listed: {text}"));
    assert!(
        line.contains("AA:BB:CC:00:02:03") && line.contains("Listed Phone"),
        "{line}"
    );
    assert!(
        line.contains("A2DP_SOURCE") && line.contains("UNKNOWN"),
        "{line}"
    );
}
