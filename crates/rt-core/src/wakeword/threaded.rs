//! The detector on its own thread. The real-time side only pushes blocks into an SPSC ring
//! and pops detections from another: both are wait-free and allocation-free (rtrb). The
//! worker thread (SCHED_FIFO when allowed, through [`crate::thread::spawn`]) runs the model
//! and does the full resets (which reload the model and allocate) off the real-time thread.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use dsp::wakeword::{Detection, WakeWordDetector};
use dsp::BLOCK_16K;

use crate::options::ThreadOptions;

use super::WakeWordError;

/// Blocks the ring holds: 640 ms of audio, far more than a model reload takes.
const BLOCK_RING: usize = 64;
const DETECTION_RING: usize = 8;
/// How long the worker sleeps when the ring is empty. The worker polls instead of being woken
/// so that the real-time thread never makes a system call for it (only
/// [`ThreadedDetector::settle`], outside real time, wakes it early).
const POLL: Duration = Duration::from_millis(2);
/// Extra lag the ring and the polling can add, in samples (100 ms).
const THREAD_LAG_SAMPLES: u32 = 1_600;

struct BlockMsg {
    epoch: u64,
    first_sample: u64,
    block: [f32; BLOCK_16K],
}

struct DetectionMsg {
    epoch: u64,
    detection: Detection,
}

struct Shared {
    stop: AtomicBool,
    /// The playback cutoff the worker applies before its next block (f32 bits; NaN: none).
    playback_cutoff: AtomicU32,
    dropped_blocks: AtomicU64,
    dropped_detections: AtomicU64,
    priority_applied: AtomicBool,
    processed_blocks: AtomicU64,
}

/// No playback cutoff (see [`WakeWordDetector::set_playback_cutoff`]).
const NO_CUTOFF: u32 = f32::NAN.to_bits();

impl Default for Shared {
    fn default() -> Self {
        Self {
            stop: AtomicBool::new(false),
            playback_cutoff: AtomicU32::new(NO_CUTOFF),
            dropped_blocks: AtomicU64::new(0),
            dropped_detections: AtomicU64::new(0),
            priority_applied: AtomicBool::new(false),
            processed_blocks: AtomicU64::new(0),
        }
    }
}

/// A detector ([`super::MicroWakeWord`] in the engine) on its own thread, behind the same trait.
///
/// **Real-time safe**: `process` and `reset` only touch the rings and atomics; the worker
/// makes the detector's [`WakeWordDetector::reset_full`] before the next block.
pub struct ThreadedDetector {
    blocks: rtrb::Producer<BlockMsg>,
    detections: rtrb::Consumer<DetectionMsg>,
    shared: Arc<Shared>,
    epoch: u64,
    max_lag: u32,
    /// Blocks pushed into the ring (not those it dropped).
    sent: u64,
    worker: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for ThreadedDetector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThreadedDetector")
            .field("epoch", &self.epoch)
            .field("dropped_blocks", &self.dropped_blocks())
            .finish()
    }
}

impl ThreadedDetector {
    /// Moves `detector` to a new thread and asks for SCHED_FIFO `priority` there (a refusal
    /// is logged and visible in [`ThreadedDetector::priority_applied`], not fatal).
    /// Not real-time safe (allocates the rings, spawns).
    pub fn spawn<D: WakeWordDetector + 'static>(
        detector: D,
        priority: i32,
    ) -> Result<Self, WakeWordError> {
        let (blocks, block_rx) = rtrb::RingBuffer::new(BLOCK_RING);
        let (det_tx, detections) = rtrb::RingBuffer::new(DETECTION_RING);
        let shared = Arc::new(Shared::default());
        let max_lag = detector.max_lag_samples() + THREAD_LAG_SAMPLES;
        let worker_shared = Arc::clone(&shared);
        let promote = ThreadOptions {
            priority,
            lock_memory: false,
            cpu: None,
        };
        let worker = crate::thread::spawn(
            "wakeword",
            crate::thread::STACK_BYTES,
            Some(&promote),
            move |status| {
                worker_shared
                    .priority_applied
                    .store(status.fifo, Ordering::Relaxed);
                worker(detector, block_rx, det_tx, &worker_shared);
            },
        )
        .map_err(WakeWordError::Thread)?;
        Ok(Self {
            blocks,
            detections,
            shared,
            epoch: 0,
            max_lag,
            sent: 0,
            worker: Some(worker),
        })
    }

    /// Blocks dropped because the worker fell 640 ms behind.
    pub fn dropped_blocks(&self) -> u64 {
        self.shared.dropped_blocks.load(Ordering::Relaxed)
    }

    /// Blocks the worker has taken from the ring: processed, or skipped as queued before a
    /// reset (tests and [`WakeWordDetector::settle`] use it to wait for the worker).
    pub fn processed_blocks(&self) -> u64 {
        self.shared.processed_blocks.load(Ordering::Acquire)
    }

    /// Whether the worker got its SCHED_FIFO priority.
    pub fn priority_applied(&self) -> bool {
        self.shared.priority_applied.load(Ordering::Relaxed)
    }

    /// Pops a detection that arrived for the current epoch, if any. Real-time safe.
    pub fn poll(&mut self) -> Option<Detection> {
        while let Ok(msg) = self.detections.pop() {
            if msg.epoch == self.epoch {
                return Some(msg.detection);
            }
        }
        None
    }
}

impl WakeWordDetector for ThreadedDetector {
    /// Hands the block to the worker and returns a detection the worker has finished, if any
    /// (it refers to earlier blocks: the indices are absolute). Real-time safe.
    fn process(&mut self, first_sample: u64, block: &[f32; BLOCK_16K]) -> Option<Detection> {
        let msg = BlockMsg {
            epoch: self.epoch,
            first_sample,
            block: *block,
        };
        if self.blocks.push(msg).is_err() {
            self.shared.dropped_blocks.fetch_add(1, Ordering::Relaxed);
        } else {
            self.sent += 1;
        }
        self.poll()
    }

    /// Wakes the worker and waits until it has processed every block pushed so far (its
    /// detection, if any, is then in the ring). Not real-time safe: full-speed simulation only.
    fn settle(&mut self) {
        if let Some(worker) = self.worker.as_ref() {
            crate::worker::wait_for_worker(worker, || self.processed_blocks() >= self.sent);
        }
    }

    /// Starts a new epoch: the worker makes a full reset (reloads the model) before the next
    /// block, and detections from before are discarded. Real-time safe.
    fn reset(&mut self) {
        self.epoch += 1;
    }

    fn max_lag_samples(&self) -> u32 {
        self.max_lag
    }

    /// Hands the cutoff to the worker, which applies it before its next block. Real-time
    /// safe (one atomic store).
    fn set_playback_cutoff(&mut self, cutoff: Option<f32>) {
        let bits = cutoff.map_or(NO_CUTOFF, f32::to_bits);
        self.shared.playback_cutoff.store(bits, Ordering::Release);
    }
}

impl Drop for ThreadedDetector {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

fn worker<D: WakeWordDetector>(
    mut detector: D,
    mut blocks: rtrb::Consumer<BlockMsg>,
    mut detections: rtrb::Producer<DetectionMsg>,
    shared: &Shared,
) {
    let mut epoch = 0u64;
    let mut cutoff = NO_CUTOFF;
    while !shared.stop.load(Ordering::Acquire) {
        let Ok(msg) = blocks.pop() else {
            std::thread::park_timeout(POLL);
            continue;
        };
        if msg.epoch < epoch {
            shared.processed_blocks.fetch_add(1, Ordering::Release);
            continue; // queued before a reset
        }
        if msg.epoch > epoch {
            epoch = msg.epoch;
            detector.reset_full();
        }
        let wanted = shared.playback_cutoff.load(Ordering::Acquire);
        if wanted != cutoff {
            cutoff = wanted;
            detector.set_playback_cutoff((wanted != NO_CUTOFF).then(|| f32::from_bits(wanted)));
        }
        if let Some(detection) = detector.process(msg.first_sample, &msg.block) {
            if detections.push(DetectionMsg { epoch, detection }).is_err() {
                shared.dropped_detections.fetch_add(1, Ordering::Relaxed);
            }
        }
        shared.processed_blocks.fetch_add(1, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    /// Detects on the block starting at `at`, and holds that block until `release` is set.
    struct Scripted {
        at: u64,
        release: Arc<AtomicBool>,
        resets: Arc<AtomicU32>,
    }

    impl WakeWordDetector for Scripted {
        fn process(&mut self, first_sample: u64, _: &[f32; BLOCK_16K]) -> Option<Detection> {
            if first_sample != self.at {
                return None;
            }
            let t = Instant::now();
            while !self.release.load(Ordering::Acquire) && t.elapsed() < Duration::from_secs(10) {
                std::thread::yield_now();
            }
            Some(Detection {
                start_sample: self.at.saturating_sub(8000),
                end_sample: self.at,
                score: 1.0,
            })
        }
        fn reset(&mut self) {
            self.resets.fetch_add(1, Ordering::AcqRel);
        }
        fn max_lag_samples(&self) -> u32 {
            1000
        }
    }

    fn wait_until(mut f: impl FnMut() -> bool) {
        let t = Instant::now();
        while !f() {
            assert!(t.elapsed() < Duration::from_secs(10), "timed out");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    fn scripted(at: u64) -> (ThreadedDetector, Arc<AtomicBool>, Arc<AtomicU32>) {
        let release = Arc::new(AtomicBool::new(false));
        let resets = Arc::new(AtomicU32::new(0));
        let d = Scripted {
            at,
            release: Arc::clone(&release),
            resets: Arc::clone(&resets),
        };
        (ThreadedDetector::spawn(d, 1).unwrap(), release, resets)
    }

    #[test]
    fn detections_come_back_with_their_indices() {
        let (mut t, release, _) = scripted(1600);
        release.store(true, Ordering::Release);
        assert_eq!(t.max_lag_samples(), 1000 + THREAD_LAG_SAMPLES);
        let block = [0f32; BLOCK_16K];
        let mut got = None;
        for i in 0..20u64 {
            got = got.or(t.process(i * 160, &block));
        }
        wait_until(|| t.processed_blocks() == 20);
        let got = got.or_else(|| t.poll()).expect("the detection");
        assert_eq!((got.start_sample, got.end_sample), (0, 1600));
    }

    #[test]
    fn reset_discards_detections_from_before_and_resets_on_the_worker() {
        let (mut t, release, resets) = scripted(1600);
        let block = [0f32; BLOCK_16K];
        for i in 0..=10u64 {
            assert_eq!(t.process(i * 160, &block), None);
        }
        // The worker is now holding block 10; its detection belongs to the old epoch.
        wait_until(|| t.processed_blocks() == 10);
        t.reset();
        release.store(true, Ordering::Release);
        wait_until(|| t.processed_blocks() == 11);
        assert_eq!(
            t.poll(),
            None,
            "a detection from before the reset came back"
        );
        assert_eq!(
            resets.load(Ordering::Acquire),
            0,
            "reset runs lazily on the worker"
        );
        t.process(11 * 160, &block);
        wait_until(|| t.processed_blocks() == 12);
        assert_eq!(resets.load(Ordering::Acquire), 1);
    }

    /// Records the playback cutoff it was given (f32 bits; NaN: none).
    struct CutoffProbe(Arc<AtomicU32>);

    impl WakeWordDetector for CutoffProbe {
        fn process(&mut self, _: u64, _: &[f32; BLOCK_16K]) -> Option<Detection> {
            None
        }
        fn reset(&mut self) {}
        fn max_lag_samples(&self) -> u32 {
            0
        }
        fn set_playback_cutoff(&mut self, cutoff: Option<f32>) {
            self.0
                .store(cutoff.map_or(NO_CUTOFF, f32::to_bits), Ordering::Release);
        }
    }

    #[test]
    fn the_playback_cutoff_reaches_the_worker_before_its_next_block() {
        let seen = Arc::new(AtomicU32::new(0));
        let mut t = ThreadedDetector::spawn(CutoffProbe(Arc::clone(&seen)), 1).unwrap();
        let block = [0f32; BLOCK_16K];
        t.set_playback_cutoff(Some(0.8));
        t.process(0, &block);
        t.settle();
        assert_eq!(f32::from_bits(seen.load(Ordering::Acquire)), 0.8);
        t.set_playback_cutoff(None);
        t.process(160, &block);
        t.settle();
        assert_eq!(seen.load(Ordering::Acquire), NO_CUTOFF);
        assert_eq!(t.processed_blocks(), 2, "settle waited for both blocks");
    }

    #[test]
    fn a_stalled_worker_makes_the_ring_drop_blocks_not_the_caller_wait() {
        let (mut t, release, _) = scripted(0);
        let block = [0f32; BLOCK_16K];
        for i in 0..(BLOCK_RING as u64 + 10) {
            t.process(i * 160, &block);
        }
        assert!(t.dropped_blocks() >= 9, "dropped {}", t.dropped_blocks());
        release.store(true, Ordering::Release);
    }
}
