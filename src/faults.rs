//! The test-only fault switch: with `AMA_ENGINE_TEST_FAULTS=1` in the environment, `run` arms
//! a [`FaultSwitch`] around the capture PCM and wires it to signals: SIGUSR1 stalls every
//! capture read from then on (the real-time loop stops making progress, so the watchdog pings
//! stop), SIGUSR2 makes the next read fail with an xrun (`EPIPE`) that the engine's own
//! recovery handles and counts, SIGURG makes the AMA sender task block for good (a stuck link
//! task: its heartbeat stops). Never armed otherwise.

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, OnceLock};

use rt_core::audio::alsa::FaultSwitch;

/// Set by SIGURG when armed: the AMA sender blocks in its next heartbeat.
static LINK_STUCK: OnceLock<Arc<AtomicBool>> = OnceLock::new();

/// Called by the AMA sender on each turn: blocks the task for good once SIGURG asked for it.
pub fn link_stuck_if_asked() {
    if let Some(stuck) = LINK_STUCK.get() {
        while stuck.load(Relaxed) {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

/// The environment variable that arms the switch (value `1`).
pub const ENV: &str = "AMA_ENGINE_TEST_FAULTS";

/// Arms the switch when [`ENV`] is `1`; `None` otherwise (or if the signals cannot be taken).
pub fn arm() -> Option<FaultSwitch> {
    if std::env::var(ENV).ok().as_deref() != Some("1") {
        return None;
    }
    let faults = FaultSwitch::default();
    let stall = signal_hook::flag::register(signal_hook::consts::SIGUSR1, faults.stall.clone());
    let xrun = signal_hook::flag::register(signal_hook::consts::SIGUSR2, faults.xrun.clone());
    let stuck = Arc::new(AtomicBool::new(false));
    let link = signal_hook::flag::register(signal_hook::consts::SIGURG, stuck.clone());
    let _ = LINK_STUCK.set(stuck);
    match (stall, xrun.and(link)) {
        (Ok(_), Ok(_)) => {
            tracing::warn!("{ENV}=1: test fault switch armed (SIGUSR1 stalls the capture, SIGUSR2 injects an xrun, SIGURG sticks the AMA sender)");
            Some(faults)
        }
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!("{ENV}=1 but the signals cannot be taken: {e}");
            None
        }
    }
}
