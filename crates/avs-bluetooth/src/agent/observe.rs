//! Stack events: the confirmations that complete operations, the peer's own connects and
//! disconnects (requester DEVICE), the connection rule, and streaming transitions.

use crate::model::{
    EventV2, ProfileKind, Requester, RequesterDevices, StreamingDevice, StreamingPayload,
};
use crate::streaming::StreamingTransition;

use super::backend::{BackendEvent, DeviceInfo};
use super::state::{Action, AgentCore, BackendCall, DisconnectOrigin, Pending, PendingKind};

impl AgentCore {
    pub(super) fn find_pending(
        &self,
        mac: &str,
        pred: impl Fn(&PendingKind) -> bool,
    ) -> Option<u64> {
        let mut v: Vec<u64> = self
            .pending
            .iter()
            .filter(|(_, p)| p.mac == mac && pred(&p.kind))
            .map(|(t, _)| *t)
            .collect();
        v.sort_unstable();
        v.first().copied()
    }

    pub(super) fn on_backend(&mut self, ev: BackendEvent, out: &mut Vec<Action>) {
        match ev {
            BackendEvent::DeviceUpdated(info) => {
                let mac = info.mac.clone();
                let changed = self.upsert(info, false);
                let unpaired = self.devices.get(&mac).is_some_and(|d| !d.info.paired);
                if changed && unpaired && self.scanning {
                    self.report(true, out);
                }
            }
            BackendEvent::DeviceRemoved { mac } => {
                if let Some(t) = self.find_pending(&mac, |k| matches!(k, PendingKind::Remove)) {
                    if let Some(p) = self.pending.remove(&t) {
                        self.succeed(p, out);
                    }
                }
                let was_unpaired = self.devices.remove(&mac).is_some_and(|d| !d.info.paired);
                self.seen.retain(|m| *m != mac);
                if was_unpaired && self.scanning {
                    self.report(true, out);
                }
            }
            BackendEvent::Paired { mac, paired } => {
                let Some(d) = self.devices.get_mut(&mac) else {
                    return;
                };
                let prev = std::mem::replace(&mut d.info.paired, paired);
                let want = |k: &PendingKind| {
                    if paired {
                        matches!(k, PendingKind::Pair)
                    } else {
                        matches!(k, PendingKind::Remove)
                    }
                };
                if let Some(t) = self.find_pending(&mac, want) {
                    if let Some(p) = self.pending.remove(&t) {
                        self.succeed(p, out);
                    }
                }
                if prev != paired && self.scanning {
                    self.report(true, out);
                }
            }
            BackendEvent::Connected { mac, connected } => {
                if connected {
                    self.on_connected(mac, out);
                } else {
                    self.on_disconnected(mac, out);
                }
            }
            BackendEvent::Discovering(on) => {
                if !on && self.scanning {
                    self.scanning = false;
                    self.report(false, out);
                }
            }
            BackendEvent::Discoverable(on) => self.discoverable = on,
            BackendEvent::Transport {
                mac,
                peer_profile,
                state,
            } => {
                let Some(d) = self.devices.get_mut(&mac) else {
                    return;
                };
                d.stream_profile = Some(peer_profile);
                let tr = d.stream.on_transport(state);
                self.streaming_event(&mac, tr, out);
            }
            // Handled before the rules (a local line).
            BackendEvent::Avrcp(_) => {}
            BackendEvent::TransportRemoved { mac } => {
                let Some(d) = self.devices.get_mut(&mac) else {
                    return;
                };
                let tr = d.stream.on_transport_removed();
                self.streaming_event(&mac, tr, out);
            }
        }
    }

    fn streaming_event(
        &mut self,
        mac: &str,
        tr: Option<StreamingTransition>,
        out: &mut Vec<Action>,
    ) {
        let Some(tr) = tr else { return };
        let id = self.id_of_mac(mac);
        let profile = self
            .devices
            .get(mac)
            .and_then(|d| d.stream_profile)
            .unwrap_or(ProfileKind::A2dpSource);
        let payload = StreamingPayload {
            device: StreamingDevice {
                unique_device_id: id,
                profile_name: profile.wire_name(self.settings.version).to_owned(),
            },
        };
        let ev = match tr {
            StreamingTransition::Started => EventV2::StreamingStarted(payload),
            StreamingTransition::Ended => EventV2::StreamingEnded(payload),
        };
        self.emit(ev, out);
    }

    fn on_connected(&mut self, mac: String, out: &mut Vec<Action>) {
        let prev = match self.devices.get_mut(&mac) {
            Some(d) => std::mem::replace(&mut d.info.connected, true),
            None => {
                self.upsert(
                    DeviceInfo {
                        mac: mac.clone(),
                        connected: true,
                        paired: true,
                        ..DeviceInfo::default()
                    },
                    true,
                );
                false
            }
        };
        let id = self.id_of_mac(&mac);
        // Device1.Pair opens a link of its own: not the device connecting (found by the lab
        // on real bluetoothd). Nothing is announced; the pairing's outcome decides.
        if self
            .find_pending(&mac, |k| matches!(k, PendingKind::Pair))
            .is_some()
        {
            return;
        }
        if let Some(t) = self.find_pending(&mac, |k| matches!(k, PendingKind::Connect(_))) {
            if let Some(p) = self.pending.remove(&t) {
                self.succeed(p, out);
                self.set_announced(&mac, true);
            }
        } else if !prev {
            self.touch(&id);
            let ev = EventV2::ConnectByDeviceIdsSucceeded(RequesterDevices {
                devices: vec![self.dn(&id)],
                requester: Requester::Device,
            });
            self.emit(ev, out);
            self.set_announced(&mac, true);
        }
        if !prev {
            self.apply_connection_rule(&mac, out);
        }
    }

    fn set_announced(&mut self, mac: &str, on: bool) {
        if let Some(d) = self.devices.get_mut(mac) {
            d.announced = on;
        }
    }

    /// At most one A2DP-family device connected: disconnect the others (requester DEVICE).
    fn apply_connection_rule(&mut self, mac: &str, out: &mut Vec<Action>) {
        if !self.category_of_mac(mac).is_a2dp_family() {
            return;
        }
        let mut others: Vec<String> = self
            .devices
            .iter()
            .filter(|(m, d)| *m != mac && d.info.connected)
            .map(|(m, _)| m.clone())
            .filter(|m| self.category_of_mac(m).is_a2dp_family())
            .collect();
        others.sort();
        for other in others {
            if self
                .find_pending(&other, |k| matches!(k, PendingKind::Disconnect(_)))
                .is_some()
            {
                continue;
            }
            let id = self.id_of_mac(&other);
            self.start(
                Pending {
                    mac: other.clone(),
                    id,
                    kind: PendingKind::Disconnect(DisconnectOrigin::Rule),
                },
                BackendCall::Disconnect(other),
                out,
            );
        }
    }

    fn on_disconnected(&mut self, mac: String, out: &mut Vec<Action>) {
        let Some(d) = self.devices.get_mut(&mac) else {
            return;
        };
        // StreamingEnded first, while the device is still connected in the context.
        let tr = d
            .stream
            .on_transport(crate::streaming::TransportState::Idle);
        self.streaming_event(&mac, tr, out);
        let Some(d) = self.devices.get_mut(&mac) else {
            return;
        };
        d.stream.on_disconnect();
        let prev = std::mem::replace(&mut d.info.connected, false);
        // A device AVS never heard connect (one that connected before it paired, or never
        // paired) gets no DEVICE disconnect event either.
        let announced = std::mem::replace(&mut d.announced, false);
        let id = self.id_of_mac(&mac);
        if let Some(t) = self.find_pending(&mac, |k| matches!(k, PendingKind::Disconnect(_))) {
            if let Some(p) = self.pending.remove(&t) {
                self.succeed(p, out);
            }
        } else if prev && announced {
            let ev = EventV2::DisconnectDevicesSucceeded(RequesterDevices {
                devices: vec![self.dn(&id)],
                requester: Requester::Device,
            });
            self.emit(ev, out);
        }
    }
}
