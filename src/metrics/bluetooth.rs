//! What the Bluetooth interface publishes for the exporter: paired and connected devices (from
//! the agent's context) and the agent's counters (directives received, events sent, of which
//! failed, operations timed out, pending), and whether music is playing (an A2DP stream is
//! ACTIVE: the StreamingStarted/Ended state the agent tracks, the echo canceller's hint). A
//! task on the async side polls the agent once a second; the exporter reads the copy.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::Duration;

use avs_bluetooth::agent::{AgentHandle, AgentStats};
use avs_bluetooth::model::{ConnectionState, ContextObject, StreamingState};

static PAIRED: AtomicU64 = AtomicU64::new(0);
static CONNECTED: AtomicU64 = AtomicU64::new(0);
static STREAMING: AtomicU64 = AtomicU64::new(0);
static STATS: Mutex<Option<AgentStats>> = Mutex::new(None);

/// Paired and connected devices in `ctx` (a v1 context has no per-device state: its active
/// device counts as the connected one).
pub fn device_counts(ctx: &ContextObject) -> (u64, u64) {
    match ctx {
        ContextObject::V2(s) => (
            s.paired_devices.len() as u64,
            s.paired_devices
                .iter()
                .filter(|d| d.connection_state == ConnectionState::Connected)
                .count() as u64,
        ),
        ContextObject::V1(s) => (
            s.paired_devices.len() as u64,
            u64::from(s.active_device.is_some()),
        ),
    }
}

/// Whether a device streams A2DP audio to or from the board in `ctx` (StreamingStarted
/// without its StreamingEnded): music is playing.
pub fn a2dp_streaming(ctx: &ContextObject) -> bool {
    match ctx {
        ContextObject::V2(s) => s.paired_devices.iter().any(|d| {
            d.supported_profiles.iter().any(|p| {
                p.state
                    .as_ref()
                    .is_some_and(|st| st.streaming == StreamingState::Active)
            })
        }),
        ContextObject::V1(s) => s
            .active_device
            .as_ref()
            .is_some_and(|d| d.streaming == StreamingState::Active),
    }
}

/// Polls the agent until it stops.
pub async fn watch(handle: AgentHandle) {
    let context = handle.watch_context();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let (paired, connected) = device_counts(&context.borrow());
        PAIRED.store(paired, Relaxed);
        CONNECTED.store(connected, Relaxed);
        let streaming = a2dp_streaming(&context.borrow());
        STREAMING.store(u64::from(streaming), Relaxed);
        let Some(stats) = handle.stats().await else {
            break;
        };
        if let Ok(mut s) = STATS.lock() {
            *s = Some(stats);
        }
    }
}

/// Whether music is playing (A2DP streaming) as of the last poll: None before the Bluetooth
/// interface ran.
pub fn music_playing() -> Option<bool> {
    STATS.lock().ok().and_then(|s| *s)?;
    Some(STREAMING.load(Relaxed) != 0)
}

/// The figures as of the last poll: None before the Bluetooth interface ran.
pub fn snapshot() -> Option<(u64, u64, AgentStats)> {
    let stats = STATS.lock().ok().and_then(|s| *s)?;
    Some((PAIRED.load(Relaxed), CONNECTED.load(Relaxed), stats))
}
