//! The Prometheus/OpenMetrics exporter (`[telemetry] listen`): on each scrape, a
//! prometheus-client collector reads the atomics the engine already keeps ([`Telemetry`] of the
//! real-time loop, the AMA sender's heartbeat and counters in [`link`], the Bluetooth interface's in
//! [`bluetooth`]) and encodes them as
//! OpenMetrics text. It runs on the async side; the real-time thread never touches it.

pub mod bluetooth;
pub mod link;

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use engine_base::messages::Initiator;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, NoLabelSet};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;
use rt_core::telemetry::{Histogram, Stage, Telemetry, INITIATORS};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Upper bounds of the exported histogram buckets, in ns (50 µs .. 50 ms, then +Inf).
const BOUNDS_NS: [u64; 10] = [
    50_000, 100_000, 250_000, 500_000, 1_000_000, 2_000_000, 5_000_000, 10_000_000, 20_000_000,
    50_000_000,
];

/// The `initiator` label of a stream counter.
fn initiator_label(i: Initiator) -> &'static str {
    match i {
        Initiator::Wakeword => "wakeword",
        Initiator::Tap => "tap",
        Initiator::PressAndHold => "press_and_hold",
        Initiator::Continuation => "continuation",
        Initiator::Always => "always",
    }
}

/// What the exporter reads.
#[derive(Debug)]
pub struct EngineCollector {
    /// The real-time loop's counters and histograms.
    pub tel: Arc<Telemetry>,
    /// Whether an AMA link is configured (then the link metrics are exported).
    pub ama: bool,
}

fn counter(enc: &mut DescriptorEncoder, name: &str, help: &str, v: u64) -> std::fmt::Result {
    ConstCounter::new(v).encode(enc.encode_descriptor(name, help, None, MetricType::Counter)?)
}

fn gauge(enc: &mut DescriptorEncoder, name: &str, help: &str, v: f64) -> std::fmt::Result {
    ConstGauge::new(v).encode(enc.encode_descriptor(name, help, None, MetricType::Gauge)?)
}

/// A histogram in seconds from one of the engine's ns histograms (buckets per bucket, not
/// cumulative, as prometheus-client expects them).
fn buckets(h: &Histogram) -> (f64, u64, Vec<(f64, u64)>) {
    let (count, sum_ns, le) = h.cumulative(&BOUNDS_NS);
    let mut out = Vec::with_capacity(BOUNDS_NS.len() + 1);
    let mut prev = 0;
    for (bound, c) in BOUNDS_NS.iter().zip(&le) {
        out.push((*bound as f64 / 1e9, c - prev));
        prev = *c;
    }
    out.push((f64::INFINITY, count - prev));
    (sum_ns as f64 / 1e9, count, out)
}

impl Collector for EngineCollector {
    fn encode(&self, mut enc: DescriptorEncoder) -> std::fmt::Result {
        use std::sync::atomic::Ordering::Relaxed;
        let t = &self.tel;
        let e = &mut enc;
        counter(
            e,
            "ama_engine_periods",
            "Capture periods processed by the real-time loop",
            t.periods.load(Relaxed),
        )?;
        counter(
            e,
            "ama_engine_overruns",
            "Periods whose processing exceeded the budget",
            t.overruns.load(Relaxed),
        )?;
        counter(
            e,
            "ama_engine_xruns",
            "ALSA capture overruns (xruns) recovered",
            t.xruns.load(Relaxed),
        )?;
        counter(
            e,
            "ama_engine_suspends",
            "ALSA suspends recovered",
            t.suspends.load(Relaxed),
        )?;
        counter(
            e,
            "ama_engine_read_errors",
            "Other capture read errors recovered",
            t.read_errors.load(Relaxed),
        )?;
        counter(
            e,
            "ama_engine_reference_device_xruns",
            "Reference device xruns and errors recovered ([aec] reference = device)",
            t.reference_xruns.load(Relaxed),
        )?;
        counter(
            e,
            "ama_engine_reference_device_missing_frames",
            "Reference frames given as zeros: the reference device's FIFO ran dry",
            t.reference_missing_frames.load(Relaxed),
        )?;
        counter(
            e,
            "ama_engine_reference_device_dropped_frames",
            "Reference frames dropped: the reference device ran ahead",
            t.reference_dropped_frames.load(Relaxed),
        )?;
        counter(
            e,
            "ama_engine_dropped",
            "Frames and stream events dropped on a full outbound ring",
            t.dropped.load(Relaxed),
        )?;
        counter(
            e,
            "ama_engine_encode_errors",
            "Frames libopus failed to encode",
            t.encode_errors.load(Relaxed),
        )?;
        counter(
            e,
            "ama_engine_frames",
            "Opus frames encoded and handed over",
            t.frames.load(Relaxed),
        )?;
        counter(
            e,
            "ama_engine_detections",
            "Wake-word detections",
            t.detections.load(Relaxed),
        )?;
        counter(
            e,
            "ama_engine_alloc_violations",
            "Allocations caught in the real-time loop",
            t.alloc_violations.load(Relaxed),
        )?;
        gauge(
            e,
            "ama_engine_input_level_dbfs",
            "Input level of the last period",
            f64::from(t.level_dbfs()),
        )?;
        gauge(
            e,
            "ama_engine_period_budget_seconds",
            "Processing budget per period",
            t.budget_ns.load(Relaxed) as f64 / 1e9,
        )?;
        {
            let mut m = e.encode_descriptor(
                "ama_engine_streams",
                "Streams started, by initiator",
                None,
                MetricType::Counter,
            )?;
            for i in INITIATORS {
                ConstCounter::new(t.streams_by(i))
                    .encode(m.encode_family(&[("initiator", initiator_label(i))])?)?;
            }
        }
        {
            let mut m = e.encode_descriptor(
                "ama_engine_stage_seconds",
                "Processing time per period, by stage",
                None,
                MetricType::Histogram,
            )?;
            for s in Stage::ALL {
                let (sum, count, b) = buckets(t.stage(s));
                m.encode_family(&[("stage", s.name())])?
                    .encode_histogram::<NoLabelSet>(sum, count, &b, None)?;
            }
        }
        {
            let m = e.encode_descriptor(
                "ama_engine_capture_latency_seconds",
                "Capture to frame-ready latency of live frames",
                None,
                MetricType::Histogram,
            )?;
            let (sum, count, b) = buckets(&t.latency);
            let mut m = m;
            m.encode_histogram::<NoLabelSet>(sum, count, &b, None)?;
        }
        if self.ama {
            gauge(
                e,
                "ama_engine_ama_link_up",
                "1 while a phone is linked over AMA",
                if link::linked() { 1.0 } else { 0.0 },
            )?;
            counter(
                e,
                "ama_engine_ama_sender_ticks",
                "Turns of the AMA sender loop (its heartbeat)",
                link::ticks(),
            )?;
            if let Some(s) = link::stats() {
                for (name, help, v) in [
                    (
                        "ama_engine_ama_envelopes_in",
                        "AMA envelopes received",
                        s.envelopes_in,
                    ),
                    (
                        "ama_engine_ama_envelopes_out",
                        "AMA envelopes sent",
                        s.envelopes_out,
                    ),
                    (
                        "ama_engine_ama_bad_envelopes",
                        "AMA envelopes that failed to decode",
                        s.bad_envelopes,
                    ),
                    (
                        "ama_engine_ama_streams_started",
                        "Speech streams the phone accepted",
                        s.streams_started,
                    ),
                    (
                        "ama_engine_ama_streams_refused",
                        "Speech streams the phone refused",
                        s.streams_refused,
                    ),
                    (
                        "ama_engine_ama_streams_without_link",
                        "Streams started with no phone linked",
                        s.streams_without_link,
                    ),
                    (
                        "ama_engine_ama_opus_frames_out",
                        "Opus frames sent to the phone",
                        s.opus_frames_out,
                    ),
                    (
                        "ama_engine_ama_buffer_overflow_dropped",
                        "Frames dropped on the link's buffer",
                        s.buffer_overflow_dropped,
                    ),
                    (
                        "ama_engine_ama_speech_timeouts",
                        "Streams ended by the speech timeout",
                        s.speech_timeouts,
                    ),
                    (
                        "ama_engine_ama_links_dead",
                        "Links declared dead (no keepalive answer)",
                        s.links_dead,
                    ),
                ] {
                    counter(e, name, help, v)?;
                }
            }
        }
        encode_aec(e, t)?;
        if let Some(playing) = bluetooth::music_playing() {
            gauge(
                e,
                "ama_engine_music_playing",
                "1 while a device streams A2DP audio (StreamingStarted without its \
                 StreamingEnded): the echo canceller's music hint",
                f64::from(u8::from(playing)),
            )?;
        }
        if let Some((paired, connected, s)) = bluetooth::snapshot() {
            gauge(
                e,
                "ama_engine_bluetooth_paired_devices",
                "Devices paired with the board",
                paired as f64,
            )?;
            gauge(
                e,
                "ama_engine_bluetooth_connected_devices",
                "Paired devices connected now",
                connected as f64,
            )?;
            counter(
                e,
                "ama_engine_bluetooth_directives",
                "Bluetooth directives received",
                s.directives,
            )?;
            counter(
                e,
                "ama_engine_bluetooth_events",
                "Bluetooth events sent (directive outcomes and peer changes)",
                s.events,
            )?;
            counter(
                e,
                "ama_engine_bluetooth_failed_events",
                "Bluetooth events that report a failure",
                s.failed_events,
            )?;
            counter(
                e,
                "ama_engine_bluetooth_timeouts",
                "Operations the stack did not confirm in time",
                s.timeouts,
            )?;
            gauge(
                e,
                "ama_engine_bluetooth_pending_operations",
                "Operations waiting for the stack",
                s.pending as f64,
            )?;
        }
        Ok(())
    }
}

/// The echo canceller's state (issue 9), when one runs: each figure only once it is known.
fn encode_aec(e: &mut DescriptorEncoder, t: &Telemetry) -> std::fmt::Result {
    let Some(a) = t.aec.snapshot() else {
        return Ok(());
    };
    for (name, help, v) in [
        (
            "ama_engine_aec_erle_estimate_db",
            "AEC3's ERLE estimate of its linear filter, dB (a convergence indicator)",
            a.erle_estimate_db,
        ),
        (
            "ama_engine_aec_echo_removal_db",
            "Measured echo removal while the reference plays (mic over output energy, ~1 s), dB",
            a.echo_removal_db,
        ),
        (
            "ama_engine_aec_delay_ms",
            "Estimated echo delay behind the reference (AEC3's own estimate), ms",
            a.delay_ms,
        ),
        (
            "ama_engine_aec_gcc_phat_delay_ms",
            "Echo delay behind the reference measured by the GCC-PHAT worker, ms",
            a.external_delay_ms,
        ),
        (
            "ama_engine_aec_drift_ppm",
            "Clock drift between the reference and the microphone (GCC-PHAT worker), ppm",
            a.drift_ppm,
        ),
        (
            "ama_engine_aec_reference_dbfs",
            "Reference (played signal) level over the last second, dBFS",
            a.reference_dbfs,
        ),
    ] {
        if let Some(v) = v {
            gauge(e, name, help, f64::from(v))?;
        }
    }
    gauge(
        e,
        "ama_engine_aec_reference_playing",
        "1 while the reference carries sound (above -60 dBFS)",
        f64::from(u8::from(a.reference_playing)),
    )?;
    counter(
        e,
        "ama_engine_aec_worker_dropped",
        "Blocks the delay worker's ring had no room for",
        a.worker_dropped,
    )
}

/// A registry with the engine's collector.
pub fn registry(tel: Arc<Telemetry>, ama: bool) -> Registry {
    let mut r = Registry::default();
    r.register_collector(Box::new(EngineCollector { tel, ama }));
    r
}

/// The exposition text (OpenMetrics, ending in `# EOF`).
pub fn render(registry: &Registry) -> String {
    let mut text = String::new();
    if prometheus_client::encoding::text::encode(&mut text, registry).is_err() {
        text.clear();
        let _ = writeln!(text, "# EOF");
    }
    text
}

/// Serves the metrics over HTTP at `addr` (any GET path) until the runtime stops. A bind
/// failure is logged and the engine goes on without the exporter.
pub async fn serve(addr: SocketAddr, registry: Registry) {
    let listener = match TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!("telemetry: cannot listen on {addr}: {e}; no metrics");
            return;
        }
    };
    tracing::info!("telemetry: serving metrics on http://{addr}/metrics");
    let registry = Arc::new(registry);
    loop {
        let Ok((mut conn, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let registry = registry.clone();
        tokio::spawn(async move {
            // Read the request head (bounded in size and time); the answer is the same for any
            // path.
            let mut head = Vec::with_capacity(1024);
            let mut buf = [0u8; 1024];
            let read = tokio::time::timeout(Duration::from_secs(5), async {
                while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
                    match conn.read(&mut buf).await {
                        Ok(0) | Err(_) => return false,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                true
            })
            .await;
            if !matches!(read, Ok(true)) {
                return;
            }
            let body = render(&registry);
            let reply = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/openmetrics-text; version=1.0.0; charset=utf-8\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = conn.write_all(reply.as_bytes()).await;
            let _ = conn.shutdown().await;
        });
    }
}

#[cfg(test)]
mod tests;
