//! Issue 9: while the echo canceller's reference plays (music on the speaker), the pipeline
//! gives the wake-word detector its playback cutoff, and the detector's own cutoff again when
//! the reference falls silent; without `playback_cutoff`, or without the canceller, the
//! detector is never told. The pipeline runs at 16 kHz with the canceller in channel mode
//! (denoise off: only the canceller and the detector matter here).

use std::sync::{Arc, Mutex};

use dsp::wakeword::{Detection, WakeWordDetector};
use dsp::BLOCK_16K;
use engine_base::messages::Outbound;
use rt_core::aec::AecOptions;
use rt_core::options::PipelineOptions;
use rt_core::pipeline::{Pipeline, StageTimes};
use rt_core::telemetry::Telemetry;

/// Records, per block, the playback cutoff in force (what the real detector would decide with).
struct Probe {
    cutoff: Option<f32>,
    log: Arc<Mutex<Vec<Option<f32>>>>,
}

impl WakeWordDetector for Probe {
    fn process(&mut self, _: u64, _: &[f32; BLOCK_16K]) -> Option<Detection> {
        self.log.lock().unwrap().push(self.cutoff);
        None
    }
    fn reset(&mut self) {}
    fn max_lag_samples(&self) -> u32 {
        0
    }
    fn set_playback_cutoff(&mut self, cutoff: Option<f32>) {
        self.cutoff = cutoff;
    }
}

/// 2 s silent, 3 s of a played tone (and its echo), 4 s silent again: the cutoff in force for
/// each block.
fn run(aec: Option<AecOptions>) -> Vec<Option<f32>> {
    let log = Arc::new(Mutex::new(Vec::new()));
    let probe = Probe {
        cutoff: None,
        log: Arc::clone(&log),
    };
    let popts = PipelineOptions {
        denoise: false,
        aec,
        ..PipelineOptions::default()
    };
    let tel = Telemetry::default();
    let mut pipeline =
        Pipeline::new(&popts, 16_000, Some(Box::new(probe)), false).expect("pipeline");
    pipeline.warm_up_on_this_thread();
    let (mut tx, mut rx) = rtrb::RingBuffer::<Outbound>::new(4096);
    let mut times = StageTimes::default();
    for b in 0..900usize {
        let playing = (200..500).contains(&b);
        let reference: Vec<i16> = (0..BLOCK_16K)
            .map(|i| {
                let t = (b * BLOCK_16K + i) as f32 / 16_000.0;
                if playing {
                    (8_000.0 * (2.0 * std::f32::consts::PI * 440.0 * t).sin()) as i16
                } else {
                    0
                }
            })
            .collect();
        let mic: Vec<i16> = reference.iter().map(|r| r / 4).collect();
        pipeline.process_chunk_with_reference(
            &mic,
            Some(&reference),
            0,
            u64::MAX,
            &mut tx,
            &tel,
            &mut times,
        );
        while rx.pop().is_ok() {}
    }
    let log = log.lock().unwrap().clone();
    log
}

#[test]
fn the_detector_decides_with_the_playback_cutoff_while_the_reference_plays() {
    let heard = run(Some(AecOptions {
        playback_cutoff: Some(0.8),
        ..AecOptions::default()
    }));
    assert_eq!(heard.len(), 900);
    assert!(
        heard[..200].iter().all(Option::is_none),
        "silent reference: the own cutoff"
    );
    // The level is smoothed over about 1 s: in force within the first 100 ms of music, for
    // the rest of it, and gone within 3 s of silence.
    assert!(
        heard[210..500].iter().all(|c| *c == Some(0.8)),
        "while playing: {:?}",
        &heard[200..500]
    );
    assert!(
        heard[800..].iter().all(Option::is_none),
        "silent again: {:?}",
        &heard[500..]
    );
    let changes = heard.windows(2).filter(|w| w[0] != w[1]).count();
    assert_eq!(changes, 2, "one switch each way, no flapping");
}

#[test]
fn without_a_playback_cutoff_or_the_canceller_the_detector_is_never_told() {
    let off = run(Some(AecOptions {
        playback_cutoff: None,
        ..AecOptions::default()
    }));
    assert!(off.iter().all(Option::is_none));
    let no_canceller = run(None);
    assert!(no_canceller.iter().all(Option::is_none));
}
