//! The pairing agent: a default org.bluez.Agent1 with capability NoInputNoOutput (headsets
//! have no display; just-works pairing). The acceptance policy is enforced through the
//! adapter's Pairable property, because BlueZ consults a NoInputNoOutput agent for nothing:
//! with `when-discoverable`, the adapter is pairable only while discoverable or while a
//! PairDevices directive runs.

use tokio::sync::watch;

use crate::{BluezBackend, BluezError};
use avs_bluetooth::pairing_policy::{pairable, PairingPolicy};

/// Keeps the agent registered while alive.
pub struct PairingAgent {
    _handle: bluer::agent::AgentHandle,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for PairingAgent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PairingAgent")
    }
}

impl Drop for PairingAgent {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Registers the agent and keeps Pairable in line with `policy` and `window`.
pub async fn start(
    backend: &BluezBackend,
    policy: PairingPolicy,
    mut window: watch::Receiver<bool>,
) -> Result<PairingAgent, BluezError> {
    let agent = bluer::agent::Agent {
        request_default: true,
        ..Default::default()
    };
    let handle = backend
        .session()
        .register_agent(agent)
        .await
        .map_err(|e| BluezError::Bluez(format!("cannot register the pairing agent: {e}")))?;
    let adapter = backend.adapter().clone();
    let task = tokio::spawn(async move {
        loop {
            let pairable = pairable(policy, *window.borrow_and_update());
            if let Err(e) = adapter.set_pairable(pairable).await {
                tracing::warn!("cannot set Pairable={pairable}: {e}");
            }
            if window.changed().await.is_err() {
                break;
            }
        }
    });
    Ok(PairingAgent {
        _handle: handle,
        task,
    })
}
