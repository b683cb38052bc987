//! Typed round trips against the sample messages of the interface text (placeholders filled:
//! strings "s", longs 7, booleans true). Every sample must parse into its typed payload and
//! serialize back to the same JSON, so a misspelt or missing field fails.

use serde_json::{json, Value};

use super::*;

fn round_trip(version: InterfaceVersion, sample: Value) {
    let ev = &sample["event"];
    let name = ev["header"]["name"].as_str().unwrap_or_default();
    let typed = Event::parse(version, name, ev["payload"].clone())
        .unwrap_or_else(|e| panic!("{name} ({version:?}): {e}"));
    assert_eq!(typed.name(), name);
    let back = typed.to_message("s", None);
    assert_eq!(back["event"]["payload"], ev["payload"], "{name}");
    assert_eq!(back["event"]["header"], ev["header"], "{name}");
}

fn dev() -> Value {
    json!({"uniqueDeviceId": "s"})
}
fn dev_name() -> Value {
    json!({"uniqueDeviceId": "s", "friendlyName": "s"})
}
fn meta() -> Value {
    json!({"classOfDevice": 7, "vendorId": 7, "productId": 7, "vendorDeviceSigId": 7,
           "vendorDeviceId": "s"})
}
fn event(name: &str, payload: Value) -> Value {
    json!({"event": {"header": {"namespace": "Bluetooth", "name": name, "messageId": "s"},
                     "payload": payload}})
}

#[test]
fn v2_event_samples_round_trip() {
    let samples = vec![
        event(
            "ScanDevicesReport",
            json!({"discoveredDevices": [{"uniqueDeviceId": "s",
            "friendlyName": "s", "truncatedMacAddress": "s", "metadata": meta()}],
            "hasMore": true}),
        ),
        event("ScanDevicesFailed", json!({"errorCode": 7})),
        event(
            "SetDeviceCategoriesSucceeded",
            json!({"devices": [{"uniqueDeviceId": "s",
            "deviceCategory": "PHONE"}]}),
        ),
        event(
            "SetDeviceCategoriesFailed",
            json!({"devices": [{"uniqueDeviceId": "s",
            "metadata": meta()}]}),
        ),
        event("EnterDiscoverableModeSucceeded", json!({})),
        event("EnterDiscoverableModeFailed", json!({})),
        event(
            "PairDevicesSucceeded",
            json!({"devices": [{"uniqueDeviceId": "s",
            "deviceCategory": "AUDIO_VIDEO", "friendlyName": "s",
            "profiles": [{"name": "A2DP_SOURCE", "version": "s"}]}]}),
        ),
        event(
            "PairDevicesFailed",
            json!({"devices": [{"uniqueDeviceId": "s", "errorCode": 7}]}),
        ),
        event("UnpairDevicesSucceeded", json!({"devices": [dev()]})),
        event(
            "UnpairDevicesFailed",
            json!({"devices": [{"uniqueDeviceId": "s", "errorCode": 7}]}),
        ),
        event(
            "ConnectByDeviceIdsSucceeded",
            json!({"devices": [dev_name()], "requester": "CLOUD"}),
        ),
        event(
            "ConnectByDeviceIdsFailed",
            json!({"devices": [{"uniqueDeviceId": "s",
            "friendlyName": "s", "errorCode": 7}], "requester": "DEVICE"}),
        ),
        event(
            "ConnectByProfileSucceeded",
            json!({"device": dev(), "profileName": "A2DP_SINK",
            "requester": "CLOUD"}),
        ),
        event(
            "ConnectByProfileFailed",
            json!({"requester": "CLOUD", "profileName": "A2DP",
            "errorCode": 7}),
        ),
        event(
            "DisconnectDevicesSucceeded",
            json!({"devices": [dev_name()], "requester": "DEVICE"}),
        ),
        event(
            "DisconnectDevicesFailed",
            json!({"devices": [{"uniqueDeviceId": "s",
            "friendlyName": "s", "errorCode": 7}], "requester": "CLOUD"}),
        ),
        event(
            "StreamingStarted",
            json!({"device": {"uniqueDeviceId": "s", "profileName": "s"}}),
        ),
        event(
            "StreamingEnded",
            json!({"device": {"uniqueDeviceId": "s", "profileName": "s"}}),
        ),
    ];
    let mut names: Vec<&str> = Vec::new();
    for s in &samples {
        names.push(s["event"]["header"]["name"].as_str().unwrap_or_default());
        round_trip(InterfaceVersion::V2, s.clone());
    }
    for action in ["Play", "Stop", "Next", "Previous"] {
        round_trip(
            InterfaceVersion::V2,
            event(
                &format!("MediaControl{action}Succeeded"),
                json!({"device": dev()}),
            ),
        );
        round_trip(
            InterfaceVersion::V2,
            event(
                &format!("MediaControl{action}Failed"),
                json!({"device": dev(), "errorCode": 7}),
            ),
        );
    }
    assert_eq!(EventV2::NAMES.len(), samples.len() + 8);
}

#[test]
fn v1_event_samples_round_trip() {
    let samples = vec![
        event(
            "ScanDevicesUpdated",
            json!({"discoveredDevices": [{"uniqueDeviceId": "s",
            "friendlyName": "s", "truncatedMacAddress": "s"}], "hasMore": true}),
        ),
        event("ScanDevicesFailed", json!({})),
        event("EnterDiscoverableModeSucceeded", json!({})),
        event("EnterDiscoverableModeFailed", json!({})),
        event("PairDeviceSucceeded", json!({"device": dev_name()})),
        event("PairDeviceFailed", json!({})),
        event("UnpairDeviceSucceeded", json!({"device": dev_name()})),
        event("UnpairDeviceFailed", json!({})),
        event(
            "ConnectByDeviceIdSucceeded",
            json!({"device": dev_name(), "requester": "CLOUD"}),
        ),
        event(
            "ConnectByDeviceIdFailed",
            json!({"device": dev_name(), "requester": "CLOUD"}),
        ),
        event(
            "ConnectByProfileSucceeded",
            json!({"device": dev_name(), "requester": "CLOUD",
            "profileName": "A2DP-SOURCE"}),
        ),
        event(
            "ConnectByProfileFailed",
            json!({"requester": "CLOUD", "profileName": "s"}),
        ),
        event(
            "DisconnectDeviceSucceeded",
            json!({"device": dev_name(), "requester": "DEVICE"}),
        ),
        event(
            "DisconnectDeviceFailed",
            json!({"device": dev_name(), "requester": "CLOUD"}),
        ),
        event("StreamingStarted", json!({"device": dev()})),
        event("StreamingEnded", json!({"device": dev()})),
    ];
    for s in &samples {
        round_trip(InterfaceVersion::V1, s.clone());
    }
    for action in ["Play", "Stop", "Next", "Previous"] {
        for r in ["Succeeded", "Failed"] {
            round_trip(
                InterfaceVersion::V1,
                event(&format!("MediaControl{action}{r}"), json!({})),
            );
        }
    }
    assert_eq!(EventV1::NAMES.len(), samples.len() + 8);
}

#[test]
fn misspelt_or_missing_fields_fail() {
    let bad = [
        (
            "ScanDevicesReport",
            json!({"discoveredDevices": [], "hasmore": true}),
        ),
        (
            "ConnectByDeviceIdsSucceeded",
            json!({"devices": [dev_name()], "requester": "cloud"}),
        ),
        (
            "StreamingStarted",
            json!({"device": {"uniqueDeviceId": "s"}}),
        ),
        (
            "PairDevicesSucceeded",
            json!({"devices": [{"uniqueDeviceId": "s",
            "deviceCategory": "AUDIO-VIDEO", "friendlyName": "s", "profiles": []}]}),
        ),
        (
            "UnpairDevicesSucceeded",
            json!({"devices": [{"uniqueDeviceID": "s"}]}),
        ),
    ];
    for (name, payload) in bad {
        assert!(
            EventV2::parse(name, payload.clone()).is_err(),
            "{name} {payload}"
        );
    }
    assert!(EventV2::parse("PairDeviceSucceeded", json!({"device": dev_name()})).is_err());
}

#[test]
fn context_samples_round_trip() {
    let v2 = json!({"header": {"namespace": "Bluetooth", "name": "BluetoothState"},
        "payload": {"alexaDevice": {"friendlyName": "s"}, "pairedDevices": [{
            "supportedProfiles": [{"name": "A2DP_SOURCE", "version": "s",
                                   "state": {"streaming": "ACTIVE"}},
                                  {"name": "AVRCP", "version": "s"}],
            "uniqueDeviceId": "s", "deviceCategory": "PHONE", "friendlyName": "s",
            "connectionState": "CONNECTED"}]}});
    let c = ContextObject::parse(InterfaceVersion::V2, v2.clone()).expect("v2 context");
    assert_eq!(c.to_value(), v2);
    let v1 = json!({"header": {"namespace": "Bluetooth", "name": "BluetoothState"},
        "payload": {"alexaDevice": {"friendlyName": "Echo-0ST"}, "pairedDevices": [{
            "uniqueDeviceId": "353088131600891", "friendlyName": "AVS Device 1",
            "supportedProfiles": [{"name": "A2DP-SOURCE", "version": "1.3"},
                                  {"name": "AVRCP", "version": "1.0"}]}],
            "activeDevice": {"uniqueDeviceId": "353088131600891", "friendlyName": "AVS Device 1",
            "supportedProfiles": [{"name": "A2DP-SOURCE", "version": "1.3"}],
            "streaming": "ACTIVE"}}});
    let c = ContextObject::parse(InterfaceVersion::V1, v1.clone()).expect("v1 context");
    assert_eq!(c.to_value(), v1);
    assert!(ContextObject::parse(InterfaceVersion::V2, v1).is_err());
}

#[test]
fn context_goes_only_on_events_that_carry_it() {
    let ctx = ContextObject::V2(BluetoothStateV2 {
        alexa_device: AlexaDevice {
            friendly_name: "me".into(),
        },
        paired_devices: vec![],
    });
    let started = Event::V2(EventV2::StreamingStarted(StreamingPayload {
        device: StreamingDevice {
            unique_device_id: "a".into(),
            profile_name: "A2DP_SOURCE".into(),
        },
    }));
    let m = started.to_message("m1", Some(&ctx));
    assert_eq!(m["context"][0]["header"]["name"], "BluetoothState");
    let scan = Event::V2(EventV2::ScanDevicesFailed(ScanFailed::default()));
    let m = scan.to_message("m2", Some(&ctx));
    assert!(m.get("context").is_none());
    assert_eq!(m["event"]["payload"], json!({}));
    let v1 = Event::V1(EventV1::PairDeviceFailed(Empty {}));
    assert!(v1.carries_context());
}

fn directive(name: &str, payload: Value) -> Value {
    json!({"header": {"namespace": "Bluetooth", "name": name, "messageId": "m-1"},
           "payload": payload})
}

#[test]
fn v2_directive_samples_parse() {
    use Directive as D;
    let v = InterfaceVersion::V2;
    let ok = |name: &str, payload: Value| {
        ReceivedDirective::parse(v, directive(name, payload))
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .directive
    };
    assert_eq!(ok("ScanDevices", json!({})), D::ScanDevices);
    assert_eq!(
        ok("EnterDiscoverableMode", json!({"durationInSeconds": 120})),
        D::EnterDiscoverableMode {
            duration_seconds: 120
        }
    );
    assert_eq!(
        ok("ExitDiscoverableMode", json!({})),
        D::ExitDiscoverableMode
    );
    let ids = json!({"devices": [{"uniqueDeviceId": "a"}, {"uniqueDeviceId": "b"}]});
    let ab = vec!["a".to_owned(), "b".to_owned()];
    assert_eq!(
        ok("PairDevices", ids.clone()),
        D::PairDevices { ids: ab.clone() }
    );
    assert_eq!(
        ok("UnpairDevices", ids.clone()),
        D::UnpairDevices { ids: ab.clone() }
    );
    assert_eq!(
        ok("ConnectByDeviceIds", ids.clone()),
        D::ConnectByDeviceIds { ids: ab.clone() }
    );
    assert_eq!(
        ok("DisconnectDevices", ids),
        D::DisconnectDevices { ids: ab }
    );
    assert_eq!(
        ok(
            "ConnectByProfile",
            json!({"profile": {"name": "A2DP_SOURCE", "version": "1.3"}})
        ),
        D::ConnectByProfile {
            profile_name: "A2DP_SOURCE".into()
        }
    );
    assert_eq!(
        ok(
            "SetDeviceCategories",
            json!({"devices": [{"uniqueDeviceId": "a",
            "deviceCategory": "GADGET"}]})
        ),
        D::SetDeviceCategories {
            devices: vec![CategorizedDevice {
                unique_device_id: "a".into(),
                device_category: DeviceCategory::Gadget
            }]
        }
    );
    assert_eq!(
        ok("Next", json!({"device": {"uniqueDeviceId": "a"}})),
        D::MediaControl {
            action: MediaAction::Next,
            id: Some("a".into())
        }
    );
}

#[test]
fn v1_directive_samples_parse_and_v2_names_are_refused() {
    let v = InterfaceVersion::V1;
    let one = json!({"device": {"uniqueDeviceId": "a"}});
    for (name, expect) in [
        (
            "PairDevice",
            Directive::PairDevices {
                ids: vec!["a".into()],
            },
        ),
        (
            "UnpairDevice",
            Directive::UnpairDevices {
                ids: vec!["a".into()],
            },
        ),
        (
            "ConnectByDeviceId",
            Directive::ConnectByDeviceIds {
                ids: vec!["a".into()],
            },
        ),
        (
            "DisconnectDevice",
            Directive::DisconnectDevices {
                ids: vec!["a".into()],
            },
        ),
    ] {
        let d = ReceivedDirective::parse(v, directive(name, one.clone())).expect(name);
        assert_eq!(d.directive, expect);
        assert!(
            ReceivedDirective::parse(InterfaceVersion::V2, directive(name, one.clone())).is_err()
        );
    }
    let play = ReceivedDirective::parse(v, directive("Play", json!({}))).expect("play");
    assert_eq!(
        play.directive,
        Directive::MediaControl {
            action: MediaAction::Play,
            id: None
        }
    );
    let plural = json!({"devices": [{"uniqueDeviceId": "a"}]});
    assert!(ReceivedDirective::parse(v, directive("PairDevices", plural)).is_err());
}

#[test]
fn malformed_directives_name_the_message_id() {
    let v = InterfaceVersion::V2;
    let cases = [
        directive("PairDevices", json!({})),
        directive("PairDevices", json!({"devices": []})),
        directive("ConnectByProfile", json!({"profile": {"version": "1"}})),
        directive("EnterDiscoverableMode", json!({"durationInSeconds": "ten"})),
        directive(
            "SetDeviceCategories",
            json!({"devices": [{"uniqueDeviceId": "a",
            "deviceCategory": "TOASTER"}]}),
        ),
        directive("Play", json!({})),
        directive("Launch", json!({})),
    ];
    for c in cases {
        let e = ReceivedDirective::parse(v, c.clone()).expect_err("must fail");
        assert_eq!(e.message_id.as_deref(), Some("m-1"), "{c}");
    }
    let e =
        ReceivedDirective::parse(v, json!({"header": {"name": "ScanDevices"}})).expect_err("no id");
    assert_eq!(e.message_id, None);
    let other_ns = json!({"header": {"namespace": "Speaker", "name": "ScanDevices",
        "messageId": "x"}, "payload": {}});
    assert!(ReceivedDirective::parse(v, other_ns).is_err());
}

#[test]
fn capability_assertion_matches_the_samples() {
    let v2 = capability_assertion(
        InterfaceVersion::V2,
        &[
            ProfileKind::Avrcp,
            ProfileKind::A2dpSink,
            ProfileKind::A2dpSource,
        ],
    );
    assert_eq!(
        v2,
        json!({"type": "AlexaInterface", "interface": "Bluetooth", "version": "2.0",
        "configurations": {"profiles": ["AVRCP", "A2DP_SINK", "A2DP_SOURCE"]}})
    );
    let v1 = capability_assertion(InterfaceVersion::V1, &[ProfileKind::Avrcp]);
    assert_eq!(
        v1,
        json!({"type": "AlexaInterface", "interface": "Bluetooth", "version": "1.0"})
    );
}
