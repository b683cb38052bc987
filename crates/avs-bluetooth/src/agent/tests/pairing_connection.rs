//! Pairing, unpairing, connection rules, ConnectByProfile, timeouts and unknown ids.

use super::*;

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

#[test]
fn a_device_never_announced_connected_gets_no_disconnect_event() {
    // Found on real bluetoothd (the lab): a phone appears already connected (it connects to
    // pair), so no connect event is sent; its disconnect must not be reported either.
    let mut h = v2(vec![]);
    let a = h.ev(BackendEvent::DeviceUpdated(info(NEW, "Phone", false, true)));
    assert!(!names(&a).contains(&"ConnectByDeviceIdsSucceeded".to_owned()));
    assert!(names(&h.connected(NEW, false)).is_empty(), "never paired");
    h.ev(BackendEvent::DeviceUpdated(info(NEW, "Phone", false, true)));
    h.ev(BackendEvent::Paired {
        mac: NEW.into(),
        paired: true,
    });
    let a = h.connected(NEW, false);
    assert!(
        !names(&a).contains(&"DisconnectDevicesSucceeded".to_owned()),
        "connected before it paired: {:?}",
        names(&a)
    );
    // Announced once it connects as a paired device: then its disconnect is reported.
    let a = h.connected(NEW, true);
    assert_eq!(names(&a), ["ConnectByDeviceIdsSucceeded"]);
    let a = h.connected(NEW, false);
    assert_eq!(names(&a), ["DisconnectDevicesSucceeded"]);
}

#[test]
fn the_link_a_board_initiated_pairing_opens_is_not_a_device_connect() {
    // Found on real bluetoothd (the lab, bluez suite): Device1.Pair opens an ACL link, so
    // Connected turns true while the pairing runs. That is not the phone connecting: no
    // ConnectByDeviceIdsSucceeded for it, and the category rule still connects the profiles
    // (BlueZ then drops the bare link as idle, leaving the phone unconnected otherwise).
    let mut h = v2(vec![info(NEW, "Phone", false, false)]);
    let id = h.id(NEW);
    let a = h.ids("PairDevices", &[&id]);
    let t = token_of(&a, &BackendCall::Pair(NEW.into()));
    assert!(
        names(&h.connected(NEW, true)).is_empty(),
        "the pairing's own link"
    );
    assert!(names(&h.ok(t)).is_empty());
    let a = h.ev(BackendEvent::Paired {
        mac: NEW.into(),
        paired: true,
    });
    assert_eq!(names(&a), ["PairDevicesSucceeded"]);
    // UNKNOWN connects after pairing, although the pairing's link is up.
    let t = token_of(&a, &BackendCall::Connect(NEW.into()));
    // Connected is already true, so no property change confirms it: the call's return does.
    let e = emitted(&h.ok(t));
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].name, "ConnectByDeviceIdsSucceeded");
    assert_eq!(e[0].payload["requester"], "DEVICE");
    // From now on it is announced: its disconnect is reported once.
    assert_eq!(
        names(&h.connected(NEW, false)),
        ["DisconnectDevicesSucceeded"]
    );
}

#[test]
fn a_pairing_link_that_drops_before_the_connect_is_not_reported() {
    let mut h = v2(vec![info(NEW, "Phone", false, false)]);
    let id = h.id(NEW);
    let a = h.ids("PairDevices", &[&id]);
    let _ = token_of(&a, &BackendCall::Pair(NEW.into()));
    h.connected(NEW, true);
    let a = h.ev(BackendEvent::Paired {
        mac: NEW.into(),
        paired: true,
    });
    let t = token_of(&a, &BackendCall::Connect(NEW.into()));
    assert!(
        names(&h.connected(NEW, false)).is_empty(),
        "never announced"
    );
    assert!(
        names(&h.ok(t)).is_empty(),
        "not connected: wait for Connected"
    );
    assert_eq!(
        names(&h.connected(NEW, true)),
        ["ConnectByDeviceIdsSucceeded"]
    );
}
