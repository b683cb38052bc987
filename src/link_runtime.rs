//! The async side of `run`: one tokio runtime serving the AMA link (with the real-time
//! thread's rings) and the Bluetooth interface with its control socket, bridged to each other,
//! and forwarding commands from the async side into the command ring.
//! Not real-time safe; never touched by the RT thread, which only sees the rings.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Context;
use engine_base::messages::{Command, Outbound};
use rt_core::realtime::LoopOutcome;
use rtrb::{Consumer, Producer};
use tokio::sync::{mpsc, watch};

use crate::ama::AmaService;
use crate::bridge::Bridge;
use crate::config::Config;

/// After the capture ends, how long the link may take to deliver what is in flight.
const DRAIN_GRACE: Duration = Duration::from_secs(3);
/// After a stop, the AMA sender gets this long to close its link (shut down, so the phone
/// learns it: bluetoothd holds its own descriptor of an RFCOMM link) and log its counters.
const SENDER_STOP: Duration = Duration::from_secs(3);

/// Pushes commands from the async side into the RT command ring. A full ring is retried a
/// few milliseconds later (the RT thread drains it every period): commands are never dropped.
pub async fn forward_commands(mut rx: mpsc::Receiver<Command>, mut ring: Producer<Command>) {
    while let Some(mut cmd) = rx.recv().await {
        loop {
            match ring.push(cmd) {
                Ok(()) => break,
                Err(rtrb::PushError::Full(c)) => {
                    cmd = c;
                    if ring.is_abandoned() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
            }
        }
    }
}

/// What the async side consumes of the RT thread.
pub struct RtSide {
    /// The outbound ring, when the AMA link takes it (else the caller records it).
    pub outbound: Option<Consumer<Outbound>>,
    pub commands: Producer<Command>,
    pub stop: Arc<AtomicBool>,
    pub join: JoinHandle<LoopOutcome>,
    /// Ducking (`[aec] duck_db`), handed to the AMA sender, which sees the streams.
    pub ducker: Option<crate::duck::Ducker>,
}

impl std::fmt::Debug for RtSide {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RtSide").finish_non_exhaustive()
    }
}

/// Serves the AMA link (when `rt.outbound` is given) and the Bluetooth interface (when
/// `[bluetooth] enabled`) until the capture ends (then a grace period for the link to deliver
/// what is in flight), the AMA sender stops by itself, or the stop flag is set. A Bluetooth
/// failure (no BlueZ) is logged and the audio side goes on. Returns the RT loop's outcome.
pub fn serve(cfg: &Config, rt: RtSide) -> anyhow::Result<LoopOutcome> {
    serve_with(cfg, rt, || {})
}

/// [`serve`], with `side_tasks` called inside the async runtime first (to spawn tasks that
/// live as long as it: the sd_notify watchdog, the metrics exporter).
pub fn serve_with(
    cfg: &Config,
    rt: RtSide,
    side_tasks: impl FnOnce(),
) -> anyhow::Result<LoopOutcome> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("ama-async")
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let cfg = Arc::new(cfg.clone());
    let RtSide {
        outbound,
        commands,
        stop,
        join,
        ducker,
    } = rt;
    let rt_thread = &join;
    let stop_ref = &stop;
    let served = runtime.block_on(async move {
        side_tasks();
        let (tx, rx) = mpsc::channel(64);
        tokio::spawn(forward_commands(rx, commands));
        let mut ama = outbound.map(|o| (AmaService::new(cfg.clone()), o));
        match (ama.as_mut(), ducker) {
            (Some((svc, _)), Some(d)) => svc.with_ducker(d),
            (None, Some(_)) => {
                tracing::warn!(
                    "ducking: [aec] duck_db needs an AMA link (the streams it ducks for); off"
                )
            }
            (_, None) => {}
        }
        if cfg.bluetooth.enabled {
            let bridge = ama.as_mut().map(|(svc, _)| Bridge {
                media: svc.media_controls(16),
                features: svc.feature_updates(16),
            });
            let (cfg, tx) = (cfg.clone(), tx.clone());
            tokio::spawn(async move {
                if let Err(e) = crate::bluetooth::serve_bridged(cfg, tx, bridge).await {
                    tracing::error!("Bluetooth interface stopped: {e}; audio goes on");
                }
            });
        }
        let grace = ama.is_some();
        let ended = async {
            while !stop_ref.load(Ordering::Relaxed) && !rt_thread.is_finished() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            if grace && !stop_ref.load(Ordering::Relaxed) {
                tokio::time::sleep(DRAIN_GRACE).await;
            }
        };
        match ama {
            Some((mut svc, outbound)) => {
                let (stop_sender, stopped) = watch::channel(false);
                svc.shutdown_on(stopped);
                let run = svc.run(outbound, tx);
                tokio::pin!(run);
                tokio::select! {
                    // The sender ends by itself once the capture has ended and the rest is sent.
                    r = &mut run => r.context("AMA link failed"),
                    () = ended => {
                        let _ = stop_sender.send(true);
                        match tokio::time::timeout(SENDER_STOP, &mut run).await {
                            Ok(r) => r.context("AMA link failed"),
                            Err(_) => Ok(()),
                        }
                    }
                }
            }
            None => {
                ended.await;
                Ok(())
            }
        }
    });
    stop.store(true, Ordering::Relaxed);
    runtime.shutdown_timeout(Duration::from_secs(1));
    let outcome = join
        .join()
        .map_err(|_| anyhow::anyhow!("the real-time thread panicked"))?;
    served?;
    Ok(outcome)
}
