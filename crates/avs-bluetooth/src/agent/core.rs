//! The agent's rules as a pure state machine: [`AgentCore::handle`] takes one [`Input`]
//! (a directive, a stack event, a call result, a timer) and returns the [`Action`]s to take
//! (events to send, stack calls to make, timers to start). It does no I/O except persisting the
//! registry, so every rule is testable without BlueZ.
//!
//! **Guarantees** (bluetooth-reference.md): pair/unpair/connect/disconnect succeed only on the
//! confirming stack event, never on the call's return; every such operation fails after the
//! operation timeout; a connect or disconnect nobody asked for is reported once with requester
//! DEVICE; at most one A2DP-family device stays connected; StreamingEnded comes before the
//! disconnect event of a device that was streaming. Each directive is handled at once, whatever
//! else is pending.

use std::collections::HashMap;

use crate::model::{
    DeviceCategory, DeviceId, DeviceIdName, Event, EventV2, InterfaceVersion, StreamingState,
};
use crate::pairing_policy::PairingWindow;
use crate::registry::Registry;
use crate::streaming::StreamTracker;

use super::backend::{BackendError, BackendEvent, DeviceInfo};
use super::output::{build_context, to_v1, ContextDevice, LocalEvent, OutEvent, PeerRef};
use super::state::{
    Action, AgentCore, AgentSettings, AgentStats, BackendCall, Dev, Input, Pending, PendingKind,
    ResetRun, SimpleCall,
};

impl AgentCore {
    /// New rules over `registry`.
    pub fn new(settings: AgentSettings, registry: Registry) -> Self {
        Self {
            settings,
            registry,
            alias: String::new(),
            devices: HashMap::new(),
            seen: Vec::new(),
            scanning: false,
            discoverable: false,
            resume_scan_after_pair: false,
            pending: HashMap::new(),
            simple: HashMap::new(),
            reset: None,
            resetting: HashMap::new(),
            next_token: 1,
            stats: AgentStats::default(),
        }
    }

    /// Counters.
    pub fn stats(&self) -> AgentStats {
        AgentStats {
            pending: (self.pending.len()
                + self.simple.len()
                + self.reset.as_ref().map_or(0, ResetRun::len)) as u64,
            ..self.stats
        }
    }

    /// The registry (for `devices`).
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// When the pairing agent admits a peer's pairing: discoverable, and the devices a
    /// PairDevices directive is pairing (`pairing_policy` decides what that admits).
    pub fn pairing_window(&self) -> PairingWindow {
        let mut pairing: Vec<String> = self
            .pending
            .values()
            .filter(|p| matches!(p.kind, PendingKind::Pair))
            .map(|p| p.mac.clone())
            .collect();
        pairing.sort_unstable();
        pairing.dedup();
        PairingWindow {
            discoverable: self.discoverable,
            pairing,
        }
    }

    /// Discoverable, or a PairDevices directive running.
    pub fn pairing_window_open(&self) -> bool {
        self.pairing_window().is_open()
    }

    /// The context as it is now.
    pub fn context(&self) -> crate::model::ContextObject {
        let devices: Vec<ContextDevice> = self
            .registry
            .records()
            .iter()
            .filter_map(|r| {
                let d = self.devices.get(&r.mac)?;
                d.info.paired.then(|| ContextDevice {
                    id: r.unique_device_id.clone(),
                    name: d.info.name.clone(),
                    category: r.category,
                    profiles: d.info.profiles.clone(),
                    connected: d.info.connected,
                    streaming: d.stream_profile.map(|p| (p, d.stream.state())),
                })
            })
            .collect();
        build_context(self.settings.version, self.friendly_name(), &devices)
    }

    fn friendly_name(&self) -> &str {
        if self.settings.friendly_name.is_empty() {
            &self.alias
        } else {
            &self.settings.friendly_name
        }
    }

    /// Applies one input; returns what to do.
    pub fn handle(&mut self, input: Input) -> Vec<Action> {
        let mut out = Vec::new();
        match input {
            Input::Directive(d) => {
                self.stats.directives += 1;
                self.on_directive(d, &mut out);
            }
            Input::Backend(BackendEvent::Avrcp(command)) => {
                let device = self.active_mac().map(|mac| PeerRef {
                    unique_device_id: self.id_of_mac(&mac),
                    friendly_name: self
                        .devices
                        .get(&mac)
                        .map(|d| d.info.name.clone())
                        .unwrap_or_default(),
                });
                out.push(Action::Local(LocalEvent::Avrcp { command, device }));
            }
            Input::Backend(ev) => {
                if !self.reset_filters(&ev) {
                    self.on_backend(ev, &mut out);
                }
            }
            Input::Reset => self.start_reset(&mut out),
            Input::Snapshot { alias, devices } => {
                self.alias = alias;
                for info in devices {
                    self.upsert(info, true);
                }
            }
            Input::CallDone { token, result } => self.on_call_done(token, result, &mut out),
            Input::Timer { token } => {
                if self.reset_timer(token) {
                    return out;
                }
                if let Some(p) = self.pending.remove(&token) {
                    self.stats.timeouts += 1;
                    let err = BackendError::new(
                        super::backend::BackendErrorKind::Timeout,
                        "no confirmation from the stack in time",
                    );
                    self.fail(p, err, &mut out);
                }
            }
        }
        out
    }

    // ----- helpers shared with directives.rs -----

    pub(super) fn token(&mut self) -> u64 {
        let t = self.next_token;
        self.next_token += 1;
        t
    }

    pub(super) fn call(&mut self, token: Option<u64>, call: BackendCall, out: &mut Vec<Action>) {
        self.stats.calls += 1;
        out.push(Action::Call { token, call });
    }

    /// Starts a confirmation-based operation: the call and its deadline.
    pub(super) fn start(&mut self, p: Pending, call: BackendCall, out: &mut Vec<Action>) {
        let token = self.token();
        self.pending.insert(token, p);
        self.call(Some(token), call, out);
        out.push(Action::Timer {
            token,
            after: self.settings.op_timeout,
        });
    }

    pub(super) fn start_simple(&mut self, s: SimpleCall, call: BackendCall, out: &mut Vec<Action>) {
        let token = self.token();
        self.simple.insert(token, s);
        self.call(Some(token), call, out);
    }

    pub(super) fn name_of_id(&self, id: &str) -> String {
        self.registry
            .by_id(id)
            .and_then(|r| self.devices.get(&r.mac))
            .map(|d| d.info.name.clone())
            .unwrap_or_default()
    }

    pub(super) fn id_of_mac(&mut self, mac: &str) -> String {
        match self.registry.id_for_mac(mac) {
            Ok(id) => id,
            Err(e) => {
                tracing::warn!("bluetooth registry: {e}");
                self.registry
                    .by_mac(mac)
                    .map(|r| r.unique_device_id.clone())
                    .unwrap_or_default()
            }
        }
    }

    pub(super) fn category_of_mac(&self, mac: &str) -> DeviceCategory {
        self.registry
            .by_mac(mac)
            .map(|r| r.category)
            .unwrap_or_default()
    }

    pub(super) fn touch(&mut self, id: &str) {
        if let Err(e) = self.registry.touch(id) {
            tracing::warn!("bluetooth registry: {e}");
        }
    }

    pub(super) fn dn(&self, id: &str) -> DeviceIdName {
        DeviceIdName {
            unique_device_id: id.to_owned(),
            friendly_name: self.name_of_id(id),
        }
    }

    /// Sends a 2.0 event (converted to 1.0 when the engine asserts 1.0), with the context of
    /// the current state when the event carries it.
    pub(super) fn emit(&mut self, ev: EventV2, out: &mut Vec<Action>) {
        let failed = ev.name().ends_with("Failed");
        let events: Vec<Event> = match self.settings.version {
            InterfaceVersion::V2 => vec![Event::V2(ev)],
            InterfaceVersion::V1 => {
                let name_of = |id: &str| self.name_of_id(id);
                to_v1(ev, &name_of).into_iter().map(Event::V1).collect()
            }
        };
        for event in events {
            self.stats.events += 1;
            if failed {
                self.stats.failed_events += 1;
            }
            let context = event.carries_context().then(|| self.context());
            out.push(Action::Emit(OutEvent {
                event,
                message_id: uuid::Uuid::new_v4().to_string(),
                context,
            }));
        }
    }

    // ----- stack events: observe.rs -----

    pub(super) fn upsert(&mut self, info: DeviceInfo, full: bool) -> bool {
        let mac = info.mac.clone();
        let _ = self.id_of_mac(&mac);
        match self.devices.get_mut(&mac) {
            Some(d) => {
                let changed = d.info.name != info.name && !info.name.is_empty();
                if !info.name.is_empty() {
                    d.info.name = info.name;
                }
                if info.class.is_some() {
                    d.info.class = info.class;
                }
                if info.vendor_product.is_some() {
                    d.info.vendor_product = info.vendor_product;
                }
                if !info.profiles.is_empty() {
                    d.info.profiles = info.profiles;
                }
                if full {
                    d.info.paired = info.paired;
                    d.info.connected = info.connected;
                }
                changed
            }
            None => {
                self.seen.push(mac.clone());
                self.devices.insert(
                    mac,
                    Dev {
                        announced: full && info.connected && info.paired,
                        info,
                        stream: StreamTracker::default(),
                        stream_profile: None,
                    },
                );
                true
            }
        }
    }

    fn on_call_done(
        &mut self,
        token: u64,
        result: Result<(), BackendError>,
        out: &mut Vec<Action>,
    ) {
        if self.reset_call_done(token, &result, out) {
            return;
        }
        if let Some(s) = self.simple.remove(&token) {
            self.simple_done(s, result, out);
            return;
        }
        let Err(e) = result else {
            // Success waits for the confirming property change (or the timer), except for a
            // Connect on a link already up (a pairing's own link): Connected will not change,
            // so BlueZ's successful return (a profile connected) is the confirmation.
            let up = self.pending.get(&token).is_some_and(|p| {
                matches!(p.kind, PendingKind::Connect(_))
                    && self.devices.get(&p.mac).is_some_and(|d| d.info.connected)
            });
            if up {
                if let Some(p) = self.pending.remove(&token) {
                    let mac = p.mac.clone();
                    self.succeed(p, out);
                    if let Some(d) = self.devices.get_mut(&mac) {
                        d.announced = true;
                    }
                }
            }
            return;
        };
        if let Some(p) = self.pending.remove(&token) {
            self.fail(p, e, out);
        }
    }

    pub(super) fn device_id_payload(id: &str) -> DeviceId {
        DeviceId {
            unique_device_id: id.to_owned(),
        }
    }

    pub(super) fn streaming_state_of(&self, mac: &str) -> StreamingState {
        self.devices
            .get(mac)
            .map(|d| d.stream.state())
            .unwrap_or_default()
    }
}
