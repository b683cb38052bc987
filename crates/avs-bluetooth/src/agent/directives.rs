//! The directive rules: what each directive starts (outcomes are in outcome.rs).

use crate::model::{
    CategorizedDevice, ConnectedDeviceFailed, DevicesList, Directive, DiscoveredDevice, EventV2,
    FailedCategoryDevice, MediaAction, Metadata, PairFailedDevice, ProfileConnectFailed,
    ProfileKind, ReceivedDirective, Requester, RequesterDevicesFailed, ScanReport, StreamingState,
};

use super::state::{
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
                self.leave_discoverable(out);
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
            self.leave_discoverable(out);
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

    /// Leaves discoverable mode; no event (ExitDiscoverableMode has none, pairing reports its own).
    fn leave_discoverable(&mut self, out: &mut Vec<Action>) {
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

    pub(super) fn start_remove(&mut self, mac: String, id: String, out: &mut Vec<Action>) {
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

    /// The Failed payload for a cloud directive naming an id the registry does not know.
    fn unknown_id_failed(&self, id: String) -> RequesterDevicesFailed {
        RequesterDevicesFailed {
            devices: vec![ConnectedDeviceFailed {
                friendly_name: self.name_of_id(&id),
                unique_device_id: id,
                error_code: None,
            }],
            requester: Requester::Cloud,
        }
    }

    fn connect_by_id(&mut self, id: String, out: &mut Vec<Action>) {
        let Some(mac) = self.resolve(&id) else {
            let ev = EventV2::ConnectByDeviceIdsFailed(self.unknown_id_failed(id));
            return self.emit(ev, out);
        };
        let p = Pending {
            mac,
            id,
            kind: PendingKind::Connect(ConnectOrigin::Directive),
        };
        self.connect_pending(p, out);
    }

    /// Starts a connect, or succeeds at once when the device is already connected.
    fn connect_pending(&mut self, p: Pending, out: &mut Vec<Action>) {
        if self.devices.get(&p.mac).is_some_and(|d| d.info.connected) {
            return self.succeed(p, out);
        }
        let mac = p.mac.clone();
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

    pub(super) fn connect_candidate(
        &mut self,
        mac: String,
        profile_name: String,
        rest: Vec<String>,
        out: &mut Vec<Action>,
    ) {
        let id = self.id_of_mac(&mac);
        let p = Pending {
            mac,
            id,
            kind: PendingKind::Connect(ConnectOrigin::Profile { profile_name, rest }),
        };
        self.connect_pending(p, out);
    }

    fn disconnect_by_id(&mut self, id: String, out: &mut Vec<Action>) {
        let Some(mac) = self.resolve(&id) else {
            let ev = EventV2::DisconnectDevicesFailed(self.unknown_id_failed(id));
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
    pub(super) fn active_mac(&self) -> Option<String> {
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
}
