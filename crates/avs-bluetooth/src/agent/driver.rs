//! Runs [`AgentCore`] over a [`BluetoothBackend`]: one task owns the rules; each stack call and
//! each timer runs in its own task and reports back, so a slow call never holds up another
//! directive.

use std::sync::Arc;

use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::model::{ContextObject, ReceivedDirective};
use crate::pairing_policy::PairingWindow;

use super::backend::{BackendError, BackendErrorKind, BackendEvent, BluetoothBackend};
use super::output::ResetReport;
use super::output::{LocalEvent, OutEvent};
use super::state::{Action, AgentCore, AgentStats, BackendCall, Input};

/// A request to the agent task.
#[derive(Debug)]
pub enum AgentRequest {
    Directive(ReceivedDirective),
    Context(oneshot::Sender<ContextObject>),
    Stats(oneshot::Sender<AgentStats>),
    /// The logout/reset; answered when every call of it has returned.
    Reset(oneshot::Sender<ResetReport>),
}

/// A cheap handle to the running agent.
#[derive(Debug, Clone)]
pub struct AgentHandle {
    tx: mpsc::Sender<AgentRequest>,
    events: broadcast::Sender<OutEvent>,
    local: broadcast::Sender<LocalEvent>,
    pairing_window: watch::Receiver<PairingWindow>,
    context: watch::Receiver<ContextObject>,
}

/// Events kept for a slow subscriber before it starts missing some.
pub const EVENT_BUFFER: usize = 1024;

impl AgentHandle {
    /// Queues a directive; false when the agent has stopped.
    pub async fn directive(&self, d: ReceivedDirective) -> bool {
        self.tx.send(AgentRequest::Directive(d)).await.is_ok()
    }

    /// Every event sent from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<OutEvent> {
        self.events.subscribe()
    }

    /// Every local line (peer AVRCP commands) sent from now on.
    pub fn subscribe_local(&self) -> broadcast::Receiver<LocalEvent> {
        self.local.subscribe()
    }

    /// The context as it changes: updated after every input that changed it (events, resets,
    /// peer changes that send no event).
    pub fn watch_context(&self) -> watch::Receiver<ContextObject> {
        self.context.clone()
    }

    /// Runs the logout/reset (stop scan, leave discoverable mode, unpair every device, empty
    /// the registry); `None` when the agent has stopped.
    pub async fn reset(&self) -> Option<ResetReport> {
        let (tx, rx) = oneshot::channel();
        self.tx.send(AgentRequest::Reset(tx)).await.ok()?;
        rx.await.ok()
    }

    /// The current context.
    pub async fn context(&self) -> Option<ContextObject> {
        let (tx, rx) = oneshot::channel();
        self.tx.send(AgentRequest::Context(tx)).await.ok()?;
        rx.await.ok()
    }

    /// The counters.
    pub async fn stats(&self) -> Option<AgentStats> {
        let (tx, rx) = oneshot::channel();
        self.tx.send(AgentRequest::Stats(tx)).await.ok()?;
        rx.await.ok()
    }

    /// Whether a peer's pairing request may be accepted now (discoverable, or a PairDevices
    /// directive running); the BlueZ side turns it into the adapter's Pairable property.
    pub fn pairing_window(&self) -> watch::Receiver<PairingWindow> {
        self.pairing_window.clone()
    }
}

/// Starts the agent task. `backend_events` carries the stack's changes.
pub fn spawn<B: BluetoothBackend>(
    core: AgentCore,
    backend: Arc<B>,
    backend_events: mpsc::Receiver<BackendEvent>,
) -> (AgentHandle, JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(64);
    let (events, _) = broadcast::channel(EVENT_BUFFER);
    let (local, _) = broadcast::channel(EVENT_BUFFER);
    let (pairing_window, pairing_rx) = watch::channel(PairingWindow::default());
    let (context, context_rx) = watch::channel(core.context());
    let handle = AgentHandle {
        tx,
        events: events.clone(),
        local: local.clone(),
        pairing_window: pairing_rx,
        context: context_rx,
    };
    let task = tokio::spawn(run(
        core,
        backend,
        backend_events,
        rx,
        Outlets {
            events,
            local,
            context,
        },
        pairing_window,
    ));
    (handle, task)
}

async fn dispatch<B: BluetoothBackend>(b: &B, call: BackendCall) -> Result<(), BackendError> {
    match call {
        BackendCall::StartScan => b.start_scan().await,
        BackendCall::StopScan => b.stop_scan().await,
        BackendCall::SetDiscoverable { on, timeout_s } => b.set_discoverable(on, timeout_s).await,
        BackendCall::Pair(mac) => b.pair(mac).await,
        BackendCall::Remove(mac) => b.remove(mac).await,
        BackendCall::Connect(mac) => b.connect(mac).await,
        BackendCall::Disconnect(mac) => b.disconnect(mac).await,
        BackendCall::Media(mac, action) => b.media(mac, action).await,
    }
}

/// Where the agent's output goes.
struct Outlets {
    events: broadcast::Sender<OutEvent>,
    local: broadcast::Sender<LocalEvent>,
    context: watch::Sender<ContextObject>,
}

async fn run<B: BluetoothBackend>(
    mut core: AgentCore,
    backend: Arc<B>,
    mut backend_events: mpsc::Receiver<BackendEvent>,
    mut requests: mpsc::Receiver<AgentRequest>,
    outlets: Outlets,
    pairing_window: watch::Sender<PairingWindow>,
) {
    let Outlets {
        events,
        local,
        context,
    } = outlets;
    let publish = |core: &AgentCore| {
        let now = core.context();
        context.send_if_modified(|c| {
            let changed = *c != now;
            if changed {
                *c = now;
            }
            changed
        });
    };
    let mut reset_waiting: Vec<oneshot::Sender<ResetReport>> = Vec::new();
    let (int_tx, mut int_rx) = mpsc::unbounded_channel::<Input>();
    let timeout = core.settings.op_timeout;
    match backend.snapshot().await {
        Ok((alias, devices)) => {
            core.handle(Input::Snapshot { alias, devices });
            publish(&core);
        }
        Err(e) => tracing::warn!("bluetooth: cannot read the stack's devices: {e}"),
    }
    loop {
        let input = tokio::select! {
            biased;
            Some(i) = int_rx.recv() => i,
            Some(ev) = backend_events.recv() => Input::Backend(ev),
            r = requests.recv() => match r {
                None => break,
                Some(AgentRequest::Directive(d)) => Input::Directive(d),
                Some(AgentRequest::Context(tx)) => {
                    let _ = tx.send(core.context());
                    continue;
                }
                Some(AgentRequest::Stats(tx)) => {
                    let _ = tx.send(core.stats());
                    continue;
                }
                Some(AgentRequest::Reset(tx)) => {
                    reset_waiting.push(tx);
                    Input::Reset
                }
            },
        };
        tracing::debug!("bluetooth agent input: {input:?}");
        for action in core.handle(input) {
            match action {
                Action::Emit(ev) => {
                    tracing::debug!("bluetooth event: {}", ev.event.name());
                    // No subscriber is not an error: the event is simply not seen.
                    let _ = events.send(ev);
                }
                Action::Call { token, call } => {
                    let b = backend.clone();
                    let tx = int_tx.clone();
                    tokio::spawn(async move {
                        let result = match tokio::time::timeout(timeout, dispatch(&*b, call)).await
                        {
                            Ok(r) => r,
                            Err(_) => Err(BackendError::new(
                                BackendErrorKind::Timeout,
                                "the stack did not answer in time",
                            )),
                        };
                        if let Some(token) = token {
                            let _ = tx.send(Input::CallDone { token, result });
                        }
                    });
                }
                Action::Local(ev) => {
                    let _ = local.send(ev);
                }
                Action::ResetDone(report) => {
                    for tx in reset_waiting.drain(..) {
                        let _ = tx.send(report.clone());
                    }
                }
                Action::Timer { token, after } => {
                    let tx = int_tx.clone();
                    tokio::spawn(async move {
                        tokio::time::sleep(after).await;
                        let _ = tx.send(Input::Timer { token });
                    });
                }
            }
        }
        publish(&core);
        let window = core.pairing_window();
        pairing_window.send_if_modified(|v| {
            let changed = *v != window;
            *v = window;
            changed
        });
    }
}
