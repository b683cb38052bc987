//! Glue for `ama-engine run`: the AMA sender on its own thread (a tokio runtime), fed by the
//! real-time thread's outbound ring, its commands forwarded into the real-time command ring.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tracing::warn;

use crate::ama::session::SessionStats;
use crate::ama::{AmaError, AmaService};
use crate::config::Config;
use crate::realtime::messages::{Command, Outbound};

/// Starts the sender thread. It returns when the capture source ends (`SourceEnded`) or `stop`
/// is set. Commands for the real-time thread go through `commands` with `push` (wait-free); a
/// full ring is retried for up to 100 ms, then the command is dropped and logged. Not real-time
/// safe (it runs beside the real-time thread).
pub fn spawn_link(
    cfg: Arc<Config>,
    outbound: rtrb::Consumer<Outbound>,
    mut commands: rtrb::Producer<Command>,
    stop: Arc<AtomicBool>,
) -> std::io::Result<std::thread::JoinHandle<Result<SessionStats, AmaError>>> {
    std::thread::Builder::new()
        .name("ama-link".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| AmaError::Listen {
                    what: "tokio runtime".into(),
                    source: e,
                })?;
            rt.block_on(async move {
                let (cmd_tx, mut cmd_rx) = mpsc::channel::<Command>(64);
                let (sd_tx, sd_rx) = watch::channel(false);
                let mut svc = AmaService::new(cfg);
                svc.shutdown_on(sd_rx);
                let stats = svc.stats();
                tokio::spawn(async move {
                    while let Some(mut c) = cmd_rx.recv().await {
                        let mut tries = 0;
                        loop {
                            match commands.push(c) {
                                Ok(()) => break,
                                Err(rtrb::PushError::Full(back)) if tries < 50 => {
                                    c = back;
                                    tries += 1;
                                    tokio::time::sleep(Duration::from_millis(2)).await;
                                }
                                Err(rtrb::PushError::Full(back)) => {
                                    warn!("ama: command ring full; {back:?} dropped");
                                    break;
                                }
                            }
                        }
                    }
                });
                tokio::spawn(async move {
                    while !stop.load(Ordering::Relaxed) {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    let _ = sd_tx.send(true);
                });
                svc.run(outbound, cmd_tx).await?;
                let last = *stats.borrow();
                Ok(last)
            })
        })
}
