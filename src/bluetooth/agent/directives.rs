//! The directive rules and the outcome of each operation (success / failure events).

use crate::bluetooth::model::{
    CategorizedDevice, ConnectedDeviceFailed, DevicesList, Directive, DiscoveredDevice, Empty,
    EventV2, FailedCategoryDevice, MediaAction, MediaDevice, MediaFailed, Metadata,
    PairFailedDevice, PairedDeviceInfo, ProfileConnectFailed, ProfileConnected, ProfileKind,
    ProfileRef, ReceivedDirective, Requester, RequesterDevices, RequesterDevicesFailed, ScanFailed,
    ScanReport, StreamingState,
};

use super::backend::{BackendError, BackendErrorKind};
use super::core::{
    Action, AgentCore, BackendCall, ConnectOrigin, DisconnectOrigin, Pending, PendingKind,
    SimpleCall,
};

/// `XX:XX:XX:XX:AB:CD`: the first 8 hex digits masked.
pub fn truncate_mac(mac: &str) -> String {
    let tail: Vec<&str> = mac.split(':').skip(4).collect();
    format!("XX:XX:XX:XX:{}", tail.join(":"))
}

impl AgentCore {
    pub(super) fn on_directive(&mut self, d: ReceivedDirective, out: &mut Vec<Action>) {
        match d.directive {
            Directive::ScanDevices => self.scan(out),
            Directive::EnterDiscoverableMode { duration_seconds } => {
                let timeout_s = u32::try_from(duration_seconds).unwrap_or(u32::MAX);
                self.start_simple(
                    SimpleCall::Discoverable,
                    BackendCall::SetDiscoverable {
                        on: true,
                        timeout_s,
                    },
                    out,
                );
            }
            Directive::ExitDiscoverableMode => {
                self.discoverable = false;
                self.call(
                    None,
                    BackendCall::SetDiscoverable {
                        on: false,
                        timeout_s: 0,
                    },
                    out,
                );
                if self.scanning {
                    self.scanning = false;
                    self.call(None, BackendCall::StopScan, out);
                    self.report(false, out);
                }
            }
            Directive::PairDevices { ids } => {
                for id in ids {
                    self.pair(id, out);
                }
            }
            Directive::UnpairDevices { ids } => {
                for id in ids {
                    self.unpair(id, out);
                }
            }
            Directive::ConnectByDeviceIds { ids } => {
                for id in ids {
                    self.connect_by_id(id, out);
                }
            }
            Directive::ConnectByProfile { profile_name } => {
                self.connect_by_profile(profile_name, out)
            }
            Directive::DisconnectDevices { ids } => {
                for id in ids {
                    self.disconnect_by_id(id, out);
                }
            }
            Directive::SetDeviceCategories { devices } => self.set_categories(devices, out),
            Directive::MediaControl { action, id } => self.media(action, id, out),
        }
    }

    /// The MAC of a known id whose device the stack still knows.
    fn resolve(&self, id: &str) -> Option<String> {
        let r = self.registry.by_id(id)?;
        self.devices.contains_key(&r.mac).then(|| r.mac.clone())
    }

    fn scan(&mut self, out: &mut Vec<Action>) {
        // Drop stored ids of MACs the stack no longer knows.
        let known: std::collections::HashSet<String> = self.devices.keys().cloned().collect();
        if let Err(e) = self.registry.retain_macs(|m| known.contains(m)) {
            tracing::warn!("bluetooth registry: {e}");
        }
        if self.scanning {
            self.report(true, out);
        } else {
            self.start_simple(SimpleCall::Scan, BackendCall::StartScan, out);
        }
    }

    /// ScanDevicesReport with the full list of unpaired devices.
    pub(super) fn report(&mut self, has_more: bool, out: &mut Vec<Action>) {
        let macs: Vec<String> = self
            .seen
            .iter()
            .filter(|m| self.devices.get(*m).is_some_and(|d| !d.info.paired))
            .cloned()
            .collect();
        let mut list = Vec::new();
        for mac in macs {
            let id = self.id_of_mac(&mac);
            let Some(d) = self.devices.get(&mac) else {
                continue;
            };
            list.push(DiscoveredDevice {
                unique_device_id: id,
                friendly_name: d.info.name.clone(),
                truncated_mac_address: Some(truncate_mac(&mac)),
                metadata: self.metadata(&mac),
            });
        }
        self.emit(
            EventV2::ScanDevicesReport(ScanReport {
                discovered_devices: list,
                has_more,
            }),
            out,
        );
    }

    fn metadata(&self, mac: &str) -> Metadata {
        let d = self.devices.get(mac);
        Metadata {
            class_of_device: d.and_then(|d| d.info.class).map(i64::from).unwrap_or(0),
            vendor_id: d.and_then(|d| d.info.vendor_product).map(|v| v.0),
            product_id: d.and_then(|d| d.info.vendor_product).map(|v| v.1),
            vendor_device_sig_id: None,
            vendor_device_id: None,
        }
    }

    fn pair(&mut self, id: String, out: &mut Vec<Action>) {
        let Some(mac) = self.resolve(&id) else {
            let ev = EventV2::PairDevicesFailed(DevicesList {
                devices: vec![PairFailedDevice {
                    unique_device_id: id,
                    error_code: None,
                }],
            });
            return self.emit(ev, out);
        };
        if self.devices.get(&mac).is_some_and(|d| d.info.paired) {
            let p = Pending {
                mac,
                id,
                kind: PendingKind::Pair,
            };
            return self.succeed(p, out);
        }
        if self.scanning {
            self.scanning = false;
            self.resume_scan_after_pair = true;
            self.call(None, BackendCall::StopScan, out);
        }
        if self.discoverable {
            self.discoverable = false;
            self.call(
                None,
                BackendCall::SetDiscoverable {
                    on: false,
                    timeout_s: 0,
                },
                out,
            );
        }
        self.start(
            Pending {
                mac: mac.clone(),
                id,
                kind: PendingKind::Pair,
            },
            BackendCall::Pair(mac),
            out,
        );
    }

    fn unpair(&mut self, id: String, out: &mut Vec<Action>) {
        if self.registry.by_id(&id).is_none() {
            let ev = EventV2::UnpairDevicesFailed(DevicesList {
                devices: vec![PairFailedDevice {
                    unique_device_id: id,
                    error_code: None,
                }],
            });
            return self.emit(ev, out);
        }
        let Some(mac) = self.resolve(&id) else {
            // The stack no longer knows it: counts as removed.
            let ev = EventV2::UnpairDevicesSucceeded(DevicesList {
                devices: vec![Self::device_id_payload(&id)],
            });
            return self.emit(ev, out);
        };
        let connected = self.devices.get(&mac).is_some_and(|d| d.info.connected);
        if connected {
            self.start(
                Pending {
                    mac: mac.clone(),
                    id,
                    kind: PendingKind::Disconnect(DisconnectOrigin::Unpair),
                },
                BackendCall::Disconnect(mac),
                out,
            );
        } else {
            self.start_remove(mac, id, out);
        }
    }

    fn start_remove(&mut self, mac: String, id: String, out: &mut Vec<Action>) {
        self.start(
            Pending {
                mac: mac.clone(),
                id,
                kind: PendingKind::Remove,
            },
            BackendCall::Remove(mac),
            out,
        );
    }

    fn connect_by_id(&mut self, id: String, out: &mut Vec<Action>) {
        let Some(mac) = self.resolve(&id) else {
            let ev = EventV2::ConnectByDeviceIdsFailed(RequesterDevicesFailed {
                devices: vec![ConnectedDeviceFailed {
                    friendly_name: self.name_of_id(&id),
                    unique_device_id: id,
                    error_code: None,
                }],
                requester: Requester::Cloud,
            });
            return self.emit(ev, out);
        };
        let p = Pending {
            mac: mac.clone(),
            id,
            kind: PendingKind::Connect(ConnectOrigin::Directive),
        };
        if self.devices.get(&mac).is_some_and(|d| d.info.connected) {
            return self.succeed(p, out);
        }
        self.start(p, BackendCall::Connect(mac), out);
    }

    fn connect_by_profile(&mut self, profile_name: String, out: &mut Vec<Action>) {
        let upper = profile_name.trim().to_ascii_uppercase();
        let wanted: Vec<ProfileKind> = if upper == "A2DP" {
            vec![ProfileKind::A2dpSource, ProfileKind::A2dpSink]
        } else {
            ProfileKind::parse(&upper).into_iter().collect()
        };
        let mut candidates: Vec<String> = self
            .registry
            .records()
            .iter()
            .filter(|r| {
                self.devices.get(&r.mac).is_some_and(|d| {
                    d.info.paired && d.info.profiles.iter().any(|p| wanted.contains(p))
                })
            })
            .map(|r| r.mac.clone())
            .take(self.settings.profile_attempts.max(1))
            .collect();
        if candidates.is_empty() {
            let ev = EventV2::ConnectByProfileFailed(ProfileConnectFailed {
                requester: Requester::Cloud,
                profile_name,
                error_code: None,
            });
            return self.emit(ev, out);
        }
        let first = candidates.remove(0);
        self.connect_candidate(first, profile_name, candidates, out);
    }

    fn connect_candidate(
        &mut self,
        mac: String,
        profile_name: String,
        rest: Vec<String>,
        out: &mut Vec<Action>,
    ) {
        let id = self.id_of_mac(&mac);
        let p = Pending {
            mac: mac.clone(),
            id,
            kind: PendingKind::Connect(ConnectOrigin::Profile { profile_name, rest }),
        };
        if self.devices.get(&mac).is_some_and(|d| d.info.connected) {
            return self.succeed(p, out);
        }
        self.start(p, BackendCall::Connect(mac), out);
    }

    fn disconnect_by_id(&mut self, id: String, out: &mut Vec<Action>) {
        let Some(mac) = self.resolve(&id) else {
            let ev = EventV2::DisconnectDevicesFailed(RequesterDevicesFailed {
                devices: vec![ConnectedDeviceFailed {
                    friendly_name: self.name_of_id(&id),
                    unique_device_id: id,
                    error_code: None,
                }],
                requester: Requester::Cloud,
            });
            return self.emit(ev, out);
        };
        let p = Pending {
            mac: mac.clone(),
            id,
            kind: PendingKind::Disconnect(DisconnectOrigin::Directive),
        };
        if !self.devices.get(&mac).is_some_and(|d| d.info.connected) {
            return self.succeed(p, out);
        }
        self.start(p, BackendCall::Disconnect(mac), out);
    }

    fn set_categories(&mut self, devices: Vec<CategorizedDevice>, out: &mut Vec<Action>) {
        let mut ok = Vec::new();
        let mut failed = Vec::new();
        for d in devices {
            match self
                .registry
                .set_category(&d.unique_device_id, d.device_category)
            {
                Ok(true) => ok.push(d),
                Ok(false) => failed.push(FailedCategoryDevice {
                    unique_device_id: d.unique_device_id,
                    metadata: Metadata::default(),
                }),
                Err(e) => {
                    tracing::warn!("bluetooth registry: {e}");
                    let mac = self
                        .registry
                        .by_id(&d.unique_device_id)
                        .map(|r| r.mac.clone())
                        .unwrap_or_default();
                    failed.push(FailedCategoryDevice {
                        metadata: self.metadata(&mac),
                        unique_device_id: d.unique_device_id,
                    });
                }
            }
        }
        if !ok.is_empty() {
            self.emit(
                EventV2::SetDeviceCategoriesSucceeded(DevicesList { devices: ok }),
                out,
            );
        }
        if !failed.is_empty() {
            self.emit(
                EventV2::SetDeviceCategoriesFailed(DevicesList { devices: failed }),
                out,
            );
        }
    }

    /// The connected A2DP-family device, most recent first (1.0 media control has no id).
    fn active_mac(&self) -> Option<String> {
        self.registry
            .records()
            .iter()
            .find(|r| {
                r.category.is_a2dp_family()
                    && self.devices.get(&r.mac).is_some_and(|d| d.info.connected)
            })
            .map(|r| r.mac.clone())
    }

    fn media(&mut self, action: MediaAction, id: Option<String>, out: &mut Vec<Action>) {
        let mac = match &id {
            Some(id) => self.resolve(id),
            None => self.active_mac(),
        };
        let id = match (&id, &mac) {
            (Some(id), _) => id.clone(),
            (None, Some(mac)) => self.id_of_mac(mac),
            (None, None) => String::new(),
        };
        let Some(mac) = mac.filter(|m| self.devices.get(m).is_some_and(|d| d.info.connected))
        else {
            return self.media_outcome(action, id, false, out);
        };
        if action == MediaAction::Play && self.streaming_state_of(&mac) == StreamingState::Active {
            // Some phones treat play as a toggle: never send it while already playing.
            return self.media_outcome(action, id, true, out);
        }
        self.start_simple(
            SimpleCall::Media {
                action,
                id: id.clone(),
            },
            BackendCall::Media(mac, action),
            out,
        );
    }

    fn media_outcome(&mut self, action: MediaAction, id: String, ok: bool, out: &mut Vec<Action>) {
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
                let connected = self.devices.get(&p.mac).is_some_and(|d| d.info.connected);
                if category.connect_after_pair() && !connected {
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
