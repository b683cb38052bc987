//! systemd's notify protocol for `run` (through the sd-notify crate), on the async side:
//! `READY=1` once the real-time loop has processed its first period (so the capture device is
//! open and the loop runs); `WATCHDOG=1` every half `WATCHDOG_USEC`, sent only when the loop's
//! period counter advanced since the last check and, with an AMA link, the sender's heartbeat
//! did too (a stalled loop or a stuck link task stops the pings, and systemd restarts the
//! engine); `STATUS=` with the live status line; `STOPPING=1` on the way out. Without
//! `NOTIFY_SOCKET` it does nothing.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use rt_core::telemetry::Telemetry;
use sd_notify::NotifyState;

/// Longest time between two `STATUS=` updates when the watchdog is off (or slow).
const STATUS_EVERY: Duration = Duration::from_secs(5);

fn send(states: &[NotifyState]) {
    if let Err(e) = sd_notify::notify(false, states) {
        tracing::debug!("sd_notify: {e}");
    }
}

/// Runs the protocol until the runtime stops. `link`: an AMA sender runs and its heartbeat
/// counts for the watchdog; `status_line` renders `STATUS=`.
pub async fn serve(tel: Arc<Telemetry>, link: bool, status_line: fn(&Telemetry) -> String) {
    if std::env::var_os("NOTIFY_SOCKET").is_none() {
        return;
    }
    let mut usec = 0u64;
    let watchdog = sd_notify::watchdog_enabled(false, &mut usec);
    let every = if watchdog {
        Duration::from_micros(usec / 2).clamp(Duration::from_millis(10), STATUS_EVERY)
    } else {
        STATUS_EVERY
    };
    while tel.periods.load(Relaxed) == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let status = status_line(&tel);
    send(&[NotifyState::Ready, NotifyState::Status(&status)]);
    tracing::info!(
        watchdog_every_ms = watchdog.then_some(every.as_millis() as u64),
        "sd_notify: ready"
    );
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    let (mut periods, mut ticks) = (tel.periods.load(Relaxed), crate::metrics::link::ticks());
    let mut healthy = true;
    loop {
        tick.tick().await;
        let (p, t) = (tel.periods.load(Relaxed), crate::metrics::link::ticks());
        let looping = p > periods;
        let linked = !link || t > ticks;
        (periods, ticks) = (p, t);
        let status = status_line(&tel);
        if watchdog && looping && linked {
            send(&[NotifyState::Watchdog, NotifyState::Status(&status)]);
        } else {
            send(&[NotifyState::Status(&status)]);
        }
        let ok = looping && linked;
        if ok != healthy {
            if ok {
                tracing::info!(
                    "watchdog: the real-time loop and the link task make progress again"
                );
            } else {
                tracing::warn!(
                    loop_progress = looping,
                    link_progress = linked,
                    "watchdog: no progress; pings withheld"
                );
            }
            healthy = ok;
        }
    }
}

/// Tells the manager the engine is stopping (no-op without `NOTIFY_SOCKET`).
pub fn stopping() {
    if std::env::var_os("NOTIFY_SOCKET").is_some() {
        send(&[NotifyState::Stopping]);
    }
}
