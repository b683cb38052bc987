//! The pairing agent over D-Bus: the engine (`ama-engine bluetooth`) registers its Agent1 as
//! BlueZ's default agent with capability NoInputNoOutput, and the test plays bluetoothd's part
//! by calling the agent's methods as bluetoothd does when a phone pairs or opens a service.
//! The decisions follow the pairing window (EnterDiscoverableMode); a granted pairing makes
//! the device Trusted once paired. Real bluetoothd is exercised by the lab suite
//! (scripts/lab); the mock never calls the agent by itself.

use std::time::{Duration, Instant};

use avs_bluetooth::model::InterfaceVersion;
use serde_json::{json, Value};

use crate::bluetooth_support::*;

const PHONE: &str = "AA:BB:CC:00:00:01";
const STRANGER: &str = "AA:BB:CC:00:00:09";
const AGENT: &str = "/org/ama_engine/agent";
const A2DP_SINK: &str = "0000110b-0000-1000-8000-00805f9b34fb";

fn agent(mock: &mut Mock, method: &str, mac: &str, args: Value) -> Result<Value, String> {
    mock.try_op(json!({"op": "agent", "path": AGENT, "method": method, "mac": mac, "args": args}))
}

fn rejected(r: Result<Value, String>) -> bool {
    matches!(r, Err(e) if e.contains("org.bluez.Error.Rejected"))
}

fn wait_device(mock: &mut Mock, mac: &str, prop: &str, want: Value) {
    let start = Instant::now();
    loop {
        let got = mock.device_prop(mac, prop);
        if got == want {
            return;
        }
        assert!(start.elapsed() < WAIT, "{mac} {prop} stayed {got}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn agent_answers_every_method_by_the_pairing_window() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut mock = Mock::start();
    mock.add_device(PHONE, "Phone");
    mock.add_device(STRANGER, "Stranger");
    let engine = Engine::start(&mock, dir.path(), InterfaceVersion::V2);
    let mut c = engine.client();
    c.command("context");

    // Registered as the default agent, as a device without display or keyboard.
    let regs = mock.op(json!({"op": "agent_registrations"}));
    assert_eq!(
        regs[0],
        json!(["RegisterAgent", AGENT, "NoInputNoOutput"]),
        "{regs}"
    );
    assert_eq!(regs[1], json!(["RequestDefaultAgent", AGENT]), "{regs}");

    // Window closed: a phone's just-works pairing is refused; so is numeric comparison.
    mock.wait_adapter("Pairable", json!(false));
    assert!(rejected(agent(
        &mut mock,
        "RequestAuthorization",
        PHONE,
        json!([])
    )));
    assert!(rejected(agent(
        &mut mock,
        "RequestConfirmation",
        PHONE,
        json!([123456])
    )));
    assert!(rejected(agent(
        &mut mock,
        "RequestPinCode",
        PHONE,
        json!([])
    )));

    // Discoverable: pairing is granted.
    c.directive("EnterDiscoverableMode", json!({"durationInSeconds": 90}));
    c.event("EnterDiscoverableModeSucceeded");
    mock.wait_adapter("Pairable", json!(true));
    assert_eq!(
        agent(&mut mock, "RequestAuthorization", PHONE, json!([])),
        Ok(Value::Null)
    );
    assert_eq!(
        agent(&mut mock, "RequestConfirmation", PHONE, json!([123456])),
        Ok(Value::Null)
    );
    assert_eq!(
        agent(&mut mock, "RequestPinCode", PHONE, json!([])),
        Ok(json!("0000"))
    );
    // Never a passkey to type or a code to show, window or not.
    assert!(rejected(agent(
        &mut mock,
        "RequestPasskey",
        PHONE,
        json!([])
    )));
    assert!(rejected(agent(
        &mut mock,
        "DisplayPasskey",
        PHONE,
        json!([1, 0])
    )));
    assert!(rejected(agent(
        &mut mock,
        "DisplayPinCode",
        PHONE,
        json!(["1234"])
    )));

    // The pairing completes: the device is trusted and appears in the context with its id.
    assert_eq!(mock.device_prop(PHONE, "Trusted"), json!(false));
    mock.op(json!({"op": "pair_peer", "mac": PHONE}));
    wait_device(&mut mock, PHONE, "Trusted", json!(true));
    let ctx = c.command("context");
    let id = id_in_context(&ctx, "Phone").unwrap_or_else(|| panic!("Phone not in {ctx}"));
    assert_eq!(id.len(), 36, "{ctx}");

    // Services: granted for the bonded phone, refused for a stranger, window or not.
    assert_eq!(
        agent(&mut mock, "AuthorizeService", PHONE, json!([A2DP_SINK])),
        Ok(Value::Null)
    );
    assert!(rejected(agent(
        &mut mock,
        "AuthorizeService",
        STRANGER,
        json!([A2DP_SINK])
    )));

    // Window closed again: the stranger cannot pair; the bonded phone keeps its services.
    c.directive("ExitDiscoverableMode", json!({}));
    mock.wait_adapter("Discoverable", json!(false));
    mock.wait_adapter("Pairable", json!(false));
    assert!(rejected(agent(
        &mut mock,
        "RequestAuthorization",
        STRANGER,
        json!([])
    )));
    assert_eq!(mock.device_prop(STRANGER, "Trusted"), json!(false));
    assert_eq!(
        agent(&mut mock, "AuthorizeService", PHONE, json!([A2DP_SINK])),
        Ok(Value::Null)
    );

    // Cancel and Release are answered, and the engine goes on.
    assert_eq!(
        agent(&mut mock, "Cancel", PHONE, json!([])),
        Ok(Value::Null)
    );
    assert_eq!(
        agent(&mut mock, "Release", PHONE, json!([])),
        Ok(Value::Null)
    );
    let ctx = c.command("context");
    assert!(id_in_context(&ctx, "Phone").is_some(), "{ctx}");
    let log = engine.log();
    assert!(
        log.contains("RequestAuthorization rejected (not discoverable and no PairDevices running)"),
        "{log}"
    );
    assert!(
        log.contains("RequestAuthorization accepted (discoverable)"),
        "{log}"
    );
    assert!(
        log.contains("AuthorizeService rejected (not bonded)"),
        "{log}"
    );
    engine.stop();
}
