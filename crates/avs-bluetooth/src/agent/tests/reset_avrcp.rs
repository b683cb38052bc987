//! The logout/reset flow and peers' AVRCP commands, on the pure core.

use super::*;

fn paired_count(h: &H) -> usize {
    h.core.context().to_value()["payload"]["pairedDevices"]
        .as_array()
        .map_or(usize::MAX, Vec::len)
}

fn reset_done(actions: &[Action]) -> Option<ResetReport> {
    actions.iter().find_map(|a| match a {
        Action::ResetDone(r) => Some(r.clone()),
        _ => None,
    })
}

#[test]
fn reset_stops_scan_leaves_discoverable_unpairs_all_and_empties_the_map() {
    let mut h = v2(vec![
        info(PHONE, "Phone", true, true),
        info(SPEAKER, "Speaker", true, false),
        info(NEW, "", false, false),
    ]);
    let (phone, speaker) = (h.id(PHONE), h.id(SPEAKER));
    let a = h.dir("ScanDevices", json!({}));
    let t = token_of(&a, &BackendCall::StartScan);
    h.ok(t);
    h.ev(BackendEvent::Discoverable(true));
    assert!(h.core.pairing_window_open());
    assert_eq!(paired_count(&h), 2);

    let a = h.core.handle(Input::Reset);
    assert!(names(&a).is_empty(), "no AVS event for a reset: {a:?}");
    let mut want = vec![
        BackendCall::StopScan,
        BackendCall::SetDiscoverable {
            on: false,
            timeout_s: 0,
        },
        BackendCall::Remove(PHONE.into()),
        BackendCall::Remove(SPEAKER.into()),
    ];
    let mut got: Vec<BackendCall> = calls(&a).into_iter().map(|(_, c)| c).collect();
    got.sort_by_key(|c| format!("{c:?}"));
    want.sort_by_key(|c| format!("{c:?}"));
    assert_eq!(got, want, "the unpaired NEW is not removed");
    assert!(h.core.registry().records().is_empty());
    assert_eq!(paired_count(&h), 0);
    assert!(!h.core.pairing_window_open());
    assert_eq!(h.core.stats().pending, 4);

    // The stack's late changes of a device being removed neither emit nor re-register it.
    assert!(names(&h.connected(PHONE, false)).is_empty());
    assert!(h
        .ev(BackendEvent::DeviceUpdated(info(
            PHONE, "Phone", true, false
        )))
        .is_empty());
    assert!(h.core.registry().records().is_empty());
    // Nor does the scan ending (it was stopped by the reset).
    assert!(names(&h.ev(BackendEvent::Discovering(false))).is_empty());

    let tokens: Vec<u64> = calls(&a).into_iter().filter_map(|(t, _)| t).collect();
    assert_eq!(tokens.len(), 4);
    let mut report = None;
    for (i, t) in tokens.iter().enumerate() {
        let r = if i == 2 {
            h.err(*t, BackendErrorKind::DoesNotExist)
        } else {
            h.ok(*t)
        };
        let done = reset_done(&r);
        assert_eq!(
            done.is_some(),
            i == 3,
            "answered only after the last call: {r:?}"
        );
        report = report.or(done);
    }
    let report = report.expect("report");
    let mut unpaired = report.unpaired.clone();
    unpaired.sort();
    let mut want_ids = vec![phone, speaker];
    want_ids.sort();
    assert_eq!(unpaired, want_ids);
    assert!(
        report.failed.is_empty() && report.errors.is_empty(),
        "{report:?}"
    );
    assert_eq!(h.core.stats().pending, 0);
    assert!(h.core.registry().records().is_empty());
    assert_eq!(paired_count(&h), 0);

    // Once removed from the stack, the MAC is a new device again (new id).
    h.ev(BackendEvent::DeviceRemoved { mac: PHONE.into() });
    h.ev(BackendEvent::DeviceUpdated(info(
        PHONE, "Phone", false, false,
    )));
    let new_id = h.id(PHONE);
    assert!(!report.unpaired.contains(&new_id));
}

#[test]
fn a_removal_the_stack_refuses_is_reported_and_the_device_stays_paired() {
    let mut h = v2(vec![info(PHONE, "Phone", true, false)]);
    let a = h.core.handle(Input::Reset);
    let remove = token_of(&a, &BackendCall::Remove(PHONE.into()));
    let scan = token_of(&a, &BackendCall::StopScan);
    let disc = token_of(
        &a,
        &BackendCall::SetDiscoverable {
            on: false,
            timeout_s: 0,
        },
    );
    h.ok(scan);
    h.err(disc, BackendErrorKind::Failed);
    let r = h.err(remove, BackendErrorKind::Failed);
    let report = reset_done(&r).expect("report");
    assert!(report.unpaired.is_empty());
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].unique_device_id, h.id(PHONE));
    assert_eq!(report.errors.len(), 1, "{report:?}");
    assert_eq!(paired_count(&h), 1, "still paired, under a new id");
    // Its events count again.
    assert_eq!(
        names(&h.connected(PHONE, true)),
        vec!["ConnectByDeviceIdsSucceeded"]
    );
}

#[test]
fn grace_timer_ends_the_ignoring_of_a_removed_device() {
    let mut h = v2(vec![info(PHONE, "Phone", true, false)]);
    let a = h.core.handle(Input::Reset);
    let remove = token_of(&a, &BackendCall::Remove(PHONE.into()));
    let r = h.ok(remove);
    let timer = r
        .iter()
        .find_map(|a| match a {
            Action::Timer { token, .. } => Some(*token),
            _ => None,
        })
        .expect("grace timer");
    assert!(h
        .ev(BackendEvent::DeviceUpdated(info(
            PHONE, "Phone", false, false
        )))
        .is_empty());
    assert!(h.core.registry().by_mac(PHONE).is_none());
    h.core.handle(Input::Timer { token: timer });
    h.ev(BackendEvent::DeviceUpdated(info(
        PHONE, "Phone", false, false,
    )));
    assert!(h.core.registry().by_mac(PHONE).is_some());
}

#[test]
fn a_second_reset_while_one_runs_is_answered_with_it() {
    let mut h = v2(vec![info(PHONE, "Phone", true, false)]);
    let a = h.core.handle(Input::Reset);
    let b = h.core.handle(Input::Reset);
    assert!(
        !calls(&b).contains(&(None, BackendCall::Remove(PHONE.into())))
            && !calls(&b)
                .iter()
                .any(|(_, c)| *c == BackendCall::Remove(PHONE.into())),
        "a device already being removed is not removed twice"
    );
    let mut done = 0;
    for (t, _) in calls(&a).into_iter().chain(calls(&b)) {
        if let Some(t) = t {
            done += usize::from(reset_done(&h.ok(t)).is_some());
        }
    }
    assert_eq!(done, 1);
}

#[test]
fn avrcp_commands_from_peers_become_local_lines_naming_the_connected_device() {
    let mut h = v2(vec![info(PHONE, "Phone", true, true)]);
    let id = h
        .core
        .registry()
        .by_mac(PHONE)
        .unwrap()
        .unique_device_id
        .clone();
    let phone = Some(PeerRef {
        unique_device_id: id.clone(),
        friendly_name: "Phone".into(),
    });
    for command in [AvrcpCommand::Play, AvrcpCommand::Next] {
        let a = h.ev(BackendEvent::Avrcp(command));
        assert_eq!(
            a,
            vec![Action::Local(LocalEvent::Avrcp {
                command,
                device: phone.clone()
            })]
        );
    }
    assert_eq!(
        LocalEvent::Avrcp {
            command: AvrcpCommand::PlayPause,
            device: phone
        }
        .to_json(),
        json!({"avrcp": {"command": "PLAY_PAUSE",
                         "device": {"uniqueDeviceId": id, "friendlyName": "Phone"}}})
    );
    // No connected device: the command is still reported, without a device.
    h.ev(BackendEvent::Connected {
        mac: PHONE.into(),
        connected: false,
    });
    let a = h.ev(BackendEvent::Avrcp(AvrcpCommand::Stop));
    let Action::Local(line) = &a[a.len() - 1] else {
        panic!("{a:?}")
    };
    assert_eq!(line.to_json(), json!({"avrcp": {"command": "STOP"}}));
}

#[test]
fn a_directive_pending_on_a_removed_device_fails_at_its_timeout() {
    let mut h = v2(vec![info(PHONE, "Phone", true, false)]);
    let id = h.id(PHONE);
    let a = h.ids("ConnectByDeviceIds", &[&id]);
    let connect = token_of(&a, &BackendCall::Connect(PHONE.into()));
    let r = h.core.handle(Input::Reset);
    for (t, _) in calls(&r) {
        h.ok(t.expect("token"));
    }
    // The connect's confirmation comes for a device being removed: ignored, no success.
    assert!(names(&h.connected(PHONE, true)).is_empty());
    h.ok(connect);
    let e = names(&h.core.handle(Input::Timer { token: connect }));
    assert_eq!(e, vec!["ConnectByDeviceIdsFailed"]);
    assert!(h.core.registry().records().is_empty(), "not re-registered");
}
