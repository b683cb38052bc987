//! The pairing agent: our `org.bluez.Agent1`, registered as BlueZ's default agent with
//! capability NoInputNoOutput (headsets and speakers have neither display nor keyboard).
//!
//! BlueZ consults such an agent: just-works pairing from a phone raises
//! `RequestAuthorization`, numeric comparison `RequestConfirmation`, legacy pairing
//! `RequestPinCode`, and a bonded but untrusted device opening A2DP raises `AuthorizeService`.
//! Every method is answered by [`avs_bluetooth::pairing_policy::decide`] and logged with the
//! device and the reason. A device whose pairing we granted is marked Trusted once BlueZ says
//! it is paired, so its later connections (A2DP, AVRCP, AMA) are not asked about again, also
//! while the engine restarts. The adapter's Pairable property follows
//! [`avs_bluetooth::pairing_policy::pairable`].
//!
//! Served with dbus-crossroads on a system-bus connection of its own (bluer's agent derives the
//! capability from the callbacks set, so it cannot be NoInputNoOutput and still answer, and it
//! does not expose Release). Not real-time safe (async side only).

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use avs_bluetooth::pairing_policy::{self, AgentRequest, Decision, PairingPolicy, PairingWindow};
use dbus::channel::{MatchingReceiver, Sender};
use dbus::message::MatchRule;
use dbus::nonblock::stdintf::org_freedesktop_dbus::Properties;
use dbus::nonblock::{Proxy, SyncConnection};
use dbus::Path;
use dbus_crossroads::{Context, Crossroads, IfaceBuilder, MethodErr};
use tokio::sync::watch;

use crate::view::{mac_of_path, BLUEZ};
use crate::{BluezBackend, BluezError};

/// Where our agent object lives.
pub const AGENT_PATH: &str = "/org/ama_engine/agent";
const DEVICE_IFACE: &str = "org.bluez.Device1";
const AGENT_MANAGER: &str = "org.bluez.AgentManager1";
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a granted pairing may take to show up as Paired before we stop waiting to trust.
const TRUST_WAIT: Duration = Duration::from_secs(60);
const TRUST_POLL: Duration = Duration::from_millis(250);

/// Keeps the agent registered while alive; dropping it closes the agent's bus connection,
/// which unregisters the agent in BlueZ.
pub struct PairingAgent {
    resource: tokio::task::JoinHandle<()>,
    pairable: tokio::task::JoinHandle<()>,
    _conn: Arc<SyncConnection>,
}

impl std::fmt::Debug for PairingAgent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PairingAgent")
    }
}

impl Drop for PairingAgent {
    fn drop(&mut self) {
        self.pairable.abort();
        self.resource.abort();
    }
}

/// What every method handler needs.
struct AgentState {
    policy: PairingPolicy,
    window: watch::Receiver<PairingWindow>,
    conn: Arc<SyncConnection>,
    /// Devices whose granted pairing we are waiting on, to trust them once paired.
    trusting: Mutex<HashSet<String>>,
}

impl AgentState {
    fn device(&self, path: &Path<'static>) -> Proxy<'static, Arc<SyncConnection>> {
        Proxy::new(BLUEZ, path.clone(), CALL_TIMEOUT, self.conn.clone())
    }

    /// BlueZ's Paired property of the device; false when it cannot be read.
    async fn bonded(&self, path: &Path<'static>) -> bool {
        self.device(path)
            .get::<bool>(DEVICE_IFACE, "Paired")
            .await
            .unwrap_or(false)
    }

    /// Whether no task waits to trust `mac` yet (and now one will).
    fn start_trusting(&self, mac: &str) -> bool {
        self.trusting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(mac.to_owned())
    }

    /// Decides, logs and, for a granted pairing, starts trusting the device once paired.
    async fn answer(
        self: Arc<Self>,
        request: AgentRequest,
        path: Path<'static>,
    ) -> Result<Decision, MethodErr> {
        let mac = mac_of_path(&path).ok_or_else(|| rejected("not a device path"))?;
        let bonded = request == AgentRequest::AuthorizeService && self.bonded(&path).await;
        let window = self.window.borrow().clone();
        let decision = pairing_policy::decide(self.policy, &window, request, &mac, bonded);
        let reason = decision.reason();
        if decision.granted() {
            tracing::info!(device = %mac, "pairing agent: {} accepted ({reason})", request.method());
        } else {
            tracing::info!(device = %mac, "pairing agent: {} rejected ({reason})", request.method());
        }
        let pairing = matches!(
            request,
            AgentRequest::RequestAuthorization
                | AgentRequest::RequestConfirmation
                | AgentRequest::RequestPinCode
        );
        if decision.granted() && pairing && self.start_trusting(&mac) {
            tokio::spawn(trust_when_paired(self.clone(), path, mac));
        }
        Ok(decision)
    }
}

fn rejected(why: &str) -> MethodErr {
    MethodErr::from(("org.bluez.Error.Rejected", why))
}

/// Waits (bounded) for the device to be paired, then marks it Trusted.
async fn trust_when_paired(state: Arc<AgentState>, path: Path<'static>, mac: String) {
    let deadline = tokio::time::Instant::now() + TRUST_WAIT;
    let mut paired = false;
    while !paired && tokio::time::Instant::now() < deadline {
        paired = state.bonded(&path).await;
        if !paired {
            tokio::time::sleep(TRUST_POLL).await;
        }
    }
    if paired {
        match state.device(&path).set(DEVICE_IFACE, "Trusted", true).await {
            Ok(()) => tracing::info!(device = %mac, "pairing agent: paired, marked trusted"),
            Err(e) => tracing::warn!(device = %mac, "pairing agent: cannot mark trusted: {e}"),
        }
    } else {
        tracing::info!(device = %mac, "pairing agent: granted pairing did not complete");
    }
    state
        .trusting
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .remove(&mac);
}

/// Registers a method taking the device path first; `reply` turns a granted decision into
/// the method's return value.
fn request_method<IA, OA>(
    b: &mut IfaceBuilder<Arc<AgentState>>,
    request: AgentRequest,
    input: IA::strs,
    output: OA::strs,
    device_of: fn(&IA) -> Path<'static>,
    reply: fn(Decision) -> OA,
) where
    IA: dbus::arg::ArgAll + dbus::arg::ReadAll + Send + 'static,
    OA: dbus::arg::ArgAll + dbus::arg::AppendAll + Send + 'static,
{
    b.method_with_cr_async(
        request.method(),
        input,
        output,
        move |mut ctx: Context, cr: &mut Crossroads, args: IA| {
            let state = cr
                .data_mut::<Arc<AgentState>>(ctx.path())
                .map(|s| s.clone());
            let device = device_of(&args);
            async move {
                let result = match state {
                    Some(state) => state.answer(request, device).await.and_then(|d| {
                        if d.granted() {
                            Ok(reply(d))
                        } else {
                            Err(rejected(&d.reason().to_string()))
                        }
                    }),
                    None => Err(rejected("no agent state")),
                };
                ctx.reply(result)
            }
        },
    );
}

fn agent_iface(b: &mut IfaceBuilder<Arc<AgentState>>) {
    type Dev = (Path<'static>,);
    request_method::<Dev, ()>(
        b,
        AgentRequest::RequestAuthorization,
        ("device",),
        (),
        |a| a.0.clone(),
        |_| (),
    );
    request_method::<(Path<'static>, u32), ()>(
        b,
        AgentRequest::RequestConfirmation,
        ("device", "passkey"),
        (),
        |a| a.0.clone(),
        |_| (),
    );
    request_method::<Dev, (String,)>(
        b,
        AgentRequest::RequestPinCode,
        ("device",),
        ("pincode",),
        |a| a.0.clone(),
        |d| match d {
            Decision::Pin(pin, _) => (pin.to_owned(),),
            _ => (pairing_policy::LEGACY_PIN.to_owned(),),
        },
    );
    request_method::<Dev, (u32,)>(
        b,
        AgentRequest::RequestPasskey,
        ("device",),
        ("passkey",),
        |a| a.0.clone(),
        |_| (0,),
    );
    request_method::<(Path<'static>, u32, u16), ()>(
        b,
        AgentRequest::DisplayPasskey,
        ("device", "passkey", "entered"),
        (),
        |a| a.0.clone(),
        |_| (),
    );
    request_method::<(Path<'static>, String), ()>(
        b,
        AgentRequest::DisplayPinCode,
        ("device", "pincode"),
        (),
        |a| a.0.clone(),
        |_| (),
    );
    request_method::<(Path<'static>, String), ()>(
        b,
        AgentRequest::AuthorizeService,
        ("device", "uuid"),
        (),
        |a| a.0.clone(),
        |_| (),
    );
    // Every request is answered at once, so there is nothing in flight to cancel.
    b.method("Cancel", (), (), |_, _: &mut Arc<AgentState>, ()| {
        tracing::info!("pairing agent: BlueZ cancelled a request (already answered)");
        Ok(())
    });
    b.method("Release", (), (), |_, _: &mut Arc<AgentState>, ()| {
        tracing::warn!("pairing agent: released by BlueZ; peers' pairing is no longer answered");
        Ok(())
    });
}

fn bus(what: &str, e: impl std::fmt::Display) -> BluezError {
    BluezError::Bluez(format!("pairing agent: {what}: {e}"))
}

/// Serves the agent, registers it as BlueZ's default agent, and keeps the adapter's Pairable
/// property in line with `policy` and `window`.
pub async fn start(
    backend: &BluezBackend,
    policy: PairingPolicy,
    window: watch::Receiver<PairingWindow>,
) -> Result<PairingAgent, BluezError> {
    let (resource, conn) = tokio::task::spawn_blocking(dbus_tokio::connection::new_system_sync)
        .await
        .map_err(|e| bus("connecting", e))?
        .map_err(|e| bus("connecting", e))?;
    let resource = tokio::spawn(async move {
        let err = resource.await;
        tracing::warn!("pairing agent: bus connection lost: {err}");
    });
    let mut cr = Crossroads::new();
    let sender: Arc<dyn Sender + Send + Sync> = conn.clone();
    cr.set_async_support(Some((
        sender,
        Box::new(|fut| {
            tokio::spawn(fut);
        }),
    )));
    let iface = cr.register("org.bluez.Agent1", agent_iface);
    let state = Arc::new(AgentState {
        policy,
        window: window.clone(),
        conn: conn.clone(),
        trusting: Mutex::new(HashSet::new()),
    });
    cr.insert(AGENT_PATH, &[iface], state);
    conn.start_receive(
        MatchRule::new_method_call(),
        Box::new(move |msg, conn| {
            if cr.handle_message(msg, conn).is_err() {
                tracing::debug!("pairing agent: a call could not be answered");
            }
            true
        }),
    );
    let manager = Proxy::new(BLUEZ, "/org/bluez", CALL_TIMEOUT, conn.clone());
    let register = || {
        manager.method_call::<(), _, _, _>(
            AGENT_MANAGER,
            "RegisterAgent",
            (Path::from(AGENT_PATH), "NoInputNoOutput"),
        )
    };
    if let Err(first) = register().await {
        // BlueZ forgets an agent when its connection closes; a stand-in that does not keeps
        // our path registered from an earlier run and refuses it: take the path over once.
        let _ = manager
            .method_call::<(), _, _, _>(AGENT_MANAGER, "UnregisterAgent", (Path::from(AGENT_PATH),))
            .await;
        register().await.map_err(|_| bus("RegisterAgent", first))?;
    }
    manager
        .method_call::<(), _, _, _>(
            AGENT_MANAGER,
            "RequestDefaultAgent",
            (Path::from(AGENT_PATH),),
        )
        .await
        .map_err(|e| bus("RequestDefaultAgent", e))?;
    tracing::info!("pairing agent: registered (NoInputNoOutput, default, policy {policy:?})");
    let pairable = tokio::spawn(follow_pairable(backend.adapter().clone(), policy, window));
    Ok(PairingAgent {
        resource,
        pairable,
        _conn: conn,
    })
}

/// Sets Pairable on every change of the window.
async fn follow_pairable(
    adapter: bluer::Adapter,
    policy: PairingPolicy,
    mut window: watch::Receiver<PairingWindow>,
) {
    loop {
        let pairable = pairing_policy::pairable(policy, &window.borrow_and_update());
        if let Err(e) = adapter.set_pairable(pairable).await {
            tracing::warn!("cannot set Pairable={pairable}: {e}");
        }
        if window.changed().await.is_err() {
            break;
        }
    }
}
