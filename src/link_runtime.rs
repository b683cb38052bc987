//! The async side of `run`: a tokio runtime that serves the AMA link with the real-time
//! thread's rings, and forwards commands from the async side into the command ring.
//! Not real-time safe; never touched by the RT thread, which only sees the rings.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Context;
use rtrb::{Consumer, Producer};
use tokio::sync::mpsc;

use crate::config::Config;
use crate::realtime::messages::{Command, Outbound};
use crate::realtime::LoopOutcome;

/// After the capture ends, how long the link may take to deliver what is in flight.
const DRAIN_GRACE: Duration = Duration::from_secs(3);

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

/// Serves the AMA link until the capture ends (then a grace period for the link to deliver
/// what is in flight), the sender stops by itself, or the stop flag is set. Returns the RT
/// loop's outcome.
pub fn serve_ama(
    cfg: &Config,
    outbound: Consumer<Outbound>,
    commands: Producer<Command>,
    stop: &Arc<AtomicBool>,
    rt_join: JoinHandle<LoopOutcome>,
) -> anyhow::Result<LoopOutcome> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("ama-async")
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let cfg = Arc::new(cfg.clone());
    let rt_thread = &rt_join;
    let served = runtime.block_on(async move {
        let (tx, rx) = mpsc::channel(64);
        tokio::spawn(forward_commands(rx, commands));
        let serve = crate::ama::serve(cfg, outbound, tx);
        let ended = async {
            while !stop.load(Ordering::Relaxed) && !rt_thread.is_finished() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            if !stop.load(Ordering::Relaxed) {
                tokio::time::sleep(DRAIN_GRACE).await;
            }
        };
        tokio::select! {
            // The sender ends by itself once the capture has ended and the rest is sent.
            r = serve => r,
            () = ended => Ok(()),
        }
    });
    stop.store(true, Ordering::Relaxed);
    runtime.shutdown_timeout(Duration::from_secs(1));
    let outcome = rt_join
        .join()
        .map_err(|_| anyhow::anyhow!("the real-time thread panicked"))?;
    served.context("AMA link failed")?;
    Ok(outcome)
}
