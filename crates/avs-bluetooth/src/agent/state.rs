//! The agent's state and vocabulary: its inputs, the actions it asks for, and the data of
//! operations in flight. The rules that change it are `impl AgentCore` blocks in core.rs
//! (dispatch and shared helpers), directives.rs, observe.rs, outcome.rs and reset.rs; each of
//! those imports this module and none imports another, so the module graph has no cycle.

use std::collections::HashMap;
use std::time::Duration;

use crate::model::{InterfaceVersion, MediaAction, ProfileKind, ReceivedDirective};
use crate::registry::Registry;
use crate::streaming::StreamTracker;

use super::backend::{BackendError, BackendEvent, DeviceInfo};
use super::output::{LocalEvent, OutEvent, ResetReport};

/// Settings of the rules.
#[derive(Debug, Clone)]
pub struct AgentSettings {
    pub version: InterfaceVersion,
    /// Our friendlyName; empty to use the adapter alias.
    pub friendly_name: String,
    /// Timeout of each operation, call plus confirmation (reference: 45 s).
    pub op_timeout: Duration,
    /// ConnectByProfile tries at most this many most recent matches (reference: 2).
    pub profile_attempts: usize,
}

/// One input to the rules.
#[derive(Debug, Clone)]
pub enum Input {
    Directive(ReceivedDirective),
    Backend(BackendEvent),
    /// The stack's view at start: the adapter alias and every device.
    Snapshot {
        alias: String,
        devices: Vec<DeviceInfo>,
    },
    /// A call made with `token` returned.
    CallDone {
        token: u64,
        result: Result<(), BackendError>,
    },
    /// The timer started with `token` fired.
    Timer {
        token: u64,
    },
    /// The local logout/reset: stop scan, leave discoverable mode, unpair every device, empty
    /// the registry; answered with `Action::ResetDone`.
    Reset,
}

/// A stack call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendCall {
    StartScan,
    StopScan,
    SetDiscoverable { on: bool, timeout_s: u32 },
    Pair(String),
    Remove(String),
    Connect(String),
    Disconnect(String),
    Media(String, MediaAction),
}

/// What the driver must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Send this event to every client.
    Emit(OutEvent),
    /// Make this call; report its result as `Input::CallDone` when `token` is given.
    Call {
        token: Option<u64>,
        call: BackendCall,
    },
    /// Feed `Input::Timer { token }` after `after`.
    Timer { token: u64, after: Duration },
    /// Send this line to every local client (not an AVS event).
    Local(LocalEvent),
    /// The reset is over: answer whoever asked for it.
    ResetDone(ResetReport),
}

/// Counters, readable through the control socket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct AgentStats {
    pub directives: u64,
    pub events: u64,
    pub failed_events: u64,
    pub calls: u64,
    pub timeouts: u64,
    pub pending: u64,
}

#[derive(Debug, Clone)]
pub(super) struct Dev {
    pub info: DeviceInfo,
    pub stream: StreamTracker,
    pub stream_profile: Option<ProfileKind>,
}

#[derive(Debug, Clone)]
pub(super) enum ConnectOrigin {
    Directive,
    Profile {
        profile_name: String,
        rest: Vec<String>,
    },
    AfterPair,
}

#[derive(Debug, Clone)]
pub(super) enum DisconnectOrigin {
    Directive,
    Unpair,
    Rule,
}

#[derive(Debug, Clone)]
pub(super) enum PendingKind {
    Pair,
    Connect(ConnectOrigin),
    Disconnect(DisconnectOrigin),
    Remove,
}

#[derive(Debug, Clone)]
pub(super) struct Pending {
    pub mac: String,
    pub id: String,
    pub kind: PendingKind,
}

/// Calls whose return is their outcome (no property confirms them).
#[derive(Debug, Clone)]
pub(super) enum SimpleCall {
    Scan,
    Discoverable,
    Media { action: MediaAction, id: String },
}

/// The rules' state.
#[derive(Debug)]
pub struct AgentCore {
    pub(super) settings: AgentSettings,
    pub(super) registry: Registry,
    pub(super) alias: String,
    pub(super) devices: HashMap<String, Dev>,
    /// MACs in the order they were first seen (scan report order).
    pub(super) seen: Vec<String>,
    pub(super) scanning: bool,
    pub(super) discoverable: bool,
    pub(super) resume_scan_after_pair: bool,
    pub(super) pending: HashMap<u64, Pending>,
    pub(super) simple: HashMap<u64, SimpleCall>,
    /// The reset in progress.
    pub(super) reset: Option<ResetRun>,
    /// MACs a reset is removing, with the grace timer started once removed.
    pub(super) resetting: HashMap<String, Option<u64>>,
    pub(super) next_token: u64,
    pub(super) stats: AgentStats,
}

#[derive(Debug, Clone)]
pub(super) enum ResetStep {
    StopScan,
    Discoverable,
    Remove { mac: String, id: String },
}

/// A reset in progress: its calls not yet returned and the report so far.
#[derive(Debug, Default)]
pub(super) struct ResetRun {
    pub(super) steps: HashMap<u64, ResetStep>,
    pub(super) report: ResetReport,
}

impl ResetRun {
    /// Calls not yet returned.
    pub(super) fn len(&self) -> usize {
        self.steps.len()
    }
}
