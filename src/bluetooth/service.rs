//! Running the whole Bluetooth interface: BlueZ backend, agent, pairing agent, control socket.

use std::sync::Arc;
use std::time::Duration;

use avs_bluetooth::agent::{driver, AgentCore, AgentSettings};
use avs_bluetooth::registry::Registry;
use avs_bluez::{pairing, BluezBackend};
use engine_base::messages::Command;
use tokio::sync::mpsc;

use crate::config::Config;

use super::error::BluetoothError;

/// Runs the Bluetooth interface and the control socket until the control socket fails.
/// Button commands from control clients are sent on `commands`. Call from the engine's tokio
/// runtime; never touches the real-time thread.
pub async fn serve(
    cfg: Arc<Config>,
    commands: mpsc::Sender<Command>,
) -> Result<(), BluetoothError> {
    serve_bridged(cfg, commands, None).await
}

/// [`serve`], also running the AMA bridge (media controls from the phone, A2DP state to the
/// phone's feature table) when given.
pub async fn serve_bridged(
    cfg: Arc<Config>,
    commands: mpsc::Sender<Command>,
    bridge: Option<crate::bridge::Bridge>,
) -> Result<(), BluetoothError> {
    let bt = &cfg.bluetooth;
    let (registry, err) = Registry::open_or_recover(&bt.registry_path());
    if let Some(e) = err {
        tracing::warn!("device registry moved aside, starting empty: {e}");
    }
    let (backend, events) = BluezBackend::connect(&bt.adapter).await?;
    let settings = AgentSettings {
        version: bt.interface_version,
        friendly_name: bt.friendly_name.clone(),
        op_timeout: Duration::from_secs(bt.operation_timeout_s),
        profile_attempts: bt.connect_by_profile_attempts as usize,
    };
    let core = AgentCore::new(settings, registry);
    let (handle, _task) = driver::spawn(core, backend.clone(), events);
    let _pairing = pairing::start(&backend, bt.pairing_policy, handle.pairing_window()).await?;
    if let Some(b) = bridge {
        tokio::spawn(crate::bridge::run(handle.clone(), b));
    }
    let listener = crate::control::bind(&cfg.control.path)?;
    tracing::info!(
        "Bluetooth interface {} on {}; control socket {}",
        bt.interface_version.as_str(),
        backend.adapter().name(),
        cfg.control.path.display()
    );
    crate::control::serve(
        &cfg.control,
        listener,
        handle,
        commands,
        bt.interface_version,
    )
    .await?;
    Ok(())
}
