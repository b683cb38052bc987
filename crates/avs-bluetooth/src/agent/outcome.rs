//! The outcome of each operation: the success and failure events, and what follows them
//! (auto-connect after pairing, removal after an unpair's disconnect, the next
//! ConnectByProfile candidate).

use crate::model::{
    ConnectedDeviceFailed, DevicesList, Empty, EventV2, MediaAction, MediaDevice, MediaFailed,
    PairFailedDevice, PairedDeviceInfo, ProfileConnectFailed, ProfileConnected, ProfileRef,
    Requester, RequesterDevices, RequesterDevicesFailed, ScanFailed,
};

use super::backend::{BackendError, BackendErrorKind};
use super::state::{
    Action, AgentCore, BackendCall, ConnectOrigin, DisconnectOrigin, Pending, PendingKind,
    SimpleCall,
};

impl AgentCore {
    pub(super) fn media_outcome(
        &mut self,
        action: MediaAction,
        id: String,
        ok: bool,
        out: &mut Vec<Action>,
    ) {
        let device = Self::device_id_payload(&id);
        let ev = if ok {
            let p = MediaDevice { device };
            match action {
                MediaAction::Play => EventV2::MediaControlPlaySucceeded(p),
                MediaAction::Stop => EventV2::MediaControlStopSucceeded(p),
                MediaAction::Next => EventV2::MediaControlNextSucceeded(p),
                MediaAction::Previous => EventV2::MediaControlPreviousSucceeded(p),
            }
        } else {
            let p = MediaFailed {
                device,
                error_code: None,
            };
            match action {
                MediaAction::Play => EventV2::MediaControlPlayFailed(p),
                MediaAction::Stop => EventV2::MediaControlStopFailed(p),
                MediaAction::Next => EventV2::MediaControlNextFailed(p),
                MediaAction::Previous => EventV2::MediaControlPreviousFailed(p),
            }
        };
        self.emit(ev, out);
    }

    pub(super) fn simple_done(
        &mut self,
        s: SimpleCall,
        result: Result<(), BackendError>,
        out: &mut Vec<Action>,
    ) {
        match s {
            SimpleCall::Scan => match result {
                Ok(()) => {
                    self.scanning = true;
                    self.report(true, out);
                }
                Err(e) => {
                    tracing::info!("scan failed: {e}");
                    self.emit(EventV2::ScanDevicesFailed(ScanFailed::default()), out);
                }
            },
            SimpleCall::Discoverable => match result {
                Ok(()) => {
                    self.discoverable = true;
                    self.emit(EventV2::EnterDiscoverableModeSucceeded(Empty {}), out);
                }
                Err(e) => {
                    tracing::info!("discoverable failed: {e}");
                    self.emit(EventV2::EnterDiscoverableModeFailed(Empty {}), out);
                }
            },
            SimpleCall::Media { action, id } => {
                if let Err(e) = &result {
                    tracing::info!("media {} failed: {e}", action.as_str());
                }
                self.media_outcome(action, id, result.is_ok(), out);
            }
        }
    }

    /// The operation was confirmed.
    pub(super) fn succeed(&mut self, p: Pending, out: &mut Vec<Action>) {
        match p.kind {
            PendingKind::Pair => {
                let category = self.category_of_mac(&p.mac);
                let profiles = self
                    .devices
                    .get(&p.mac)
                    .map(|d| d.info.profiles.clone())
                    .unwrap_or_default();
                let ev = EventV2::PairDevicesSucceeded(DevicesList {
                    devices: vec![PairedDeviceInfo {
                        unique_device_id: p.id.clone(),
                        device_category: category,
                        friendly_name: self.name_of_id(&p.id),
                        profiles: profiles
                            .iter()
                            .map(|k| ProfileRef {
                                name: k.wire_name(self.settings.version).to_owned(),
                                version: k.default_version().to_owned(),
                            })
                            .collect(),
                    }],
                });
                self.emit(ev, out);
                // Only a connection AVS heard of counts: the link the pairing itself opened
                // (Connected true, not announced) has no profile connected yet.
                let announced = self
                    .devices
                    .get(&p.mac)
                    .is_some_and(|d| d.info.connected && d.announced);
                if category.connect_after_pair() && !announced {
                    self.start(
                        Pending {
                            mac: p.mac.clone(),
                            id: p.id,
                            kind: PendingKind::Connect(ConnectOrigin::AfterPair),
                        },
                        BackendCall::Connect(p.mac),
                        out,
                    );
                }
                self.resume_scan_after_pair = false;
            }
            PendingKind::Connect(origin) => {
                self.touch(&p.id);
                let ev = match origin {
                    ConnectOrigin::Directive | ConnectOrigin::AfterPair => {
                        EventV2::ConnectByDeviceIdsSucceeded(RequesterDevices {
                            devices: vec![self.dn(&p.id)],
                            requester: if matches!(origin, ConnectOrigin::Directive) {
                                Requester::Cloud
                            } else {
                                Requester::Device
                            },
                        })
                    }
                    ConnectOrigin::Profile { profile_name, .. } => {
                        EventV2::ConnectByProfileSucceeded(ProfileConnected {
                            device: Self::device_id_payload(&p.id),
                            profile_name,
                            requester: Requester::Cloud,
                        })
                    }
                };
                self.emit(ev, out);
            }
            PendingKind::Disconnect(origin) => {
                let requester = match origin {
                    DisconnectOrigin::Rule => Requester::Device,
                    _ => Requester::Cloud,
                };
                let ev = EventV2::DisconnectDevicesSucceeded(RequesterDevices {
                    devices: vec![self.dn(&p.id)],
                    requester,
                });
                self.emit(ev, out);
                if matches!(origin, DisconnectOrigin::Unpair) {
                    self.start_remove(p.mac, p.id, out);
                }
            }
            PendingKind::Remove => {
                let ev = EventV2::UnpairDevicesSucceeded(DevicesList {
                    devices: vec![Self::device_id_payload(&p.id)],
                });
                self.emit(ev, out);
            }
        }
    }

    /// The operation failed (call error or timeout).
    pub(super) fn fail(&mut self, p: Pending, e: BackendError, out: &mut Vec<Action>) {
        tracing::info!("bluetooth operation on {} failed: {e}", p.mac);
        match p.kind {
            PendingKind::Pair => {
                let ev = EventV2::PairDevicesFailed(DevicesList {
                    devices: vec![PairFailedDevice {
                        unique_device_id: p.id,
                        error_code: None,
                    }],
                });
                self.emit(ev, out);
                let others = self
                    .pending
                    .values()
                    .any(|q| matches!(q.kind, PendingKind::Pair));
                if self.resume_scan_after_pair && !others {
                    // Restart scanning silently (no report).
                    self.resume_scan_after_pair = false;
                    self.scanning = true;
                    self.call(None, BackendCall::StartScan, out);
                }
            }
            PendingKind::Connect(ConnectOrigin::Profile {
                profile_name,
                mut rest,
            }) => {
                if rest.is_empty() {
                    let ev = EventV2::ConnectByProfileFailed(ProfileConnectFailed {
                        requester: Requester::Cloud,
                        profile_name,
                        error_code: None,
                    });
                    self.emit(ev, out);
                } else {
                    let next = rest.remove(0);
                    self.connect_candidate(next, profile_name, rest, out);
                }
            }
            PendingKind::Connect(origin) => {
                let ev = EventV2::ConnectByDeviceIdsFailed(RequesterDevicesFailed {
                    devices: vec![ConnectedDeviceFailed {
                        friendly_name: self.name_of_id(&p.id),
                        unique_device_id: p.id,
                        error_code: None,
                    }],
                    requester: if matches!(origin, ConnectOrigin::Directive) {
                        Requester::Cloud
                    } else {
                        Requester::Device
                    },
                });
                self.emit(ev, out);
            }
            PendingKind::Disconnect(DisconnectOrigin::Unpair) => {
                let ev = EventV2::UnpairDevicesFailed(DevicesList {
                    devices: vec![PairFailedDevice {
                        unique_device_id: p.id,
                        error_code: None,
                    }],
                });
                self.emit(ev, out);
            }
            PendingKind::Disconnect(origin) => {
                let ev = EventV2::DisconnectDevicesFailed(RequesterDevicesFailed {
                    devices: vec![ConnectedDeviceFailed {
                        friendly_name: self.name_of_id(&p.id),
                        unique_device_id: p.id,
                        error_code: None,
                    }],
                    requester: match origin {
                        DisconnectOrigin::Rule => Requester::Device,
                        _ => Requester::Cloud,
                    },
                });
                self.emit(ev, out);
            }
            PendingKind::Remove if e.kind == BackendErrorKind::DoesNotExist => {
                self.devices.remove(&p.mac);
                self.seen.retain(|m| *m != p.mac);
                self.succeed(
                    Pending {
                        kind: PendingKind::Remove,
                        ..p
                    },
                    out,
                );
            }
            PendingKind::Remove => {
                let ev = EventV2::UnpairDevicesFailed(DevicesList {
                    devices: vec![PairFailedDevice {
                        unique_device_id: p.id,
                        error_code: None,
                    }],
                });
                self.emit(ev, out);
            }
        }
    }
}
