//! Streaming transitions, media control, scan reports, discoverable mode, categories,
//! concurrency and the 1.0 forms.

use super::*;

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
