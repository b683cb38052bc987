//! The detector on its own thread. The real-time side only pushes blocks into an SPSC ring
//! and pops detections from another: both are wait-free and allocation-free (rtrb). The
//! worker thread (SCHED_FIFO when allowed) runs the model and does resets (which reload the
//! model and allocate) off the real-time thread.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use dsp::wakeword::{Detection, WakeWordDetector};
use dsp::BLOCK_16K;

use super::detector::MicroWakeWord;
use super::WakeWordError;

/// Blocks the ring holds: 640 ms of audio, far more than a model reload takes.
const BLOCK_RING: usize = 64;
const DETECTION_RING: usize = 8;
/// How long the worker sleeps when the ring is empty. The worker polls instead of being woken
/// so that the real-time thread never makes a system call for it.
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

#[derive(Default)]
struct Shared {
    stop: AtomicBool,
    dropped_blocks: AtomicU64,
    dropped_detections: AtomicU64,
    priority_applied: AtomicBool,
    processed_blocks: AtomicU64,
}

/// [`MicroWakeWord`] on its own thread, behind the same trait.
///
/// **Real-time safe**: `process` and `reset` only touch the rings and atomics.
pub struct ThreadedDetector {
    blocks: rtrb::Producer<BlockMsg>,
    detections: rtrb::Consumer<DetectionMsg>,
    shared: Arc<Shared>,
    epoch: u64,
    max_lag: u32,
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
    pub fn spawn(detector: MicroWakeWord, priority: i32) -> Result<Self, WakeWordError> {
        let (blocks, block_rx) = rtrb::RingBuffer::new(BLOCK_RING);
        let (det_tx, detections) = rtrb::RingBuffer::new(DETECTION_RING);
        let shared = Arc::new(Shared::default());
        let max_lag = detector.max_lag_samples() + THREAD_LAG_SAMPLES;
        let worker_shared = Arc::clone(&shared);
        let worker = std::thread::Builder::new()
            .name("wakeword".into())
            .spawn(move || worker(detector, block_rx, det_tx, &worker_shared, priority))
            .map_err(WakeWordError::Thread)?;
        Ok(Self {
            blocks,
            detections,
            shared,
            epoch: 0,
            max_lag,
            worker: Some(worker),
        })
    }

    /// Blocks dropped because the worker fell 640 ms behind.
    pub fn dropped_blocks(&self) -> u64 {
        self.shared.dropped_blocks.load(Ordering::Relaxed)
    }

    /// Blocks the worker has processed (tests use it to wait for the worker).
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
        }
        self.poll()
    }

    /// Starts a new epoch: the worker resets (reloads the model) before the next block, and
    /// detections from before are discarded. Real-time safe.
    fn reset(&mut self) {
        self.epoch += 1;
    }

    fn max_lag_samples(&self) -> u32 {
        self.max_lag
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

fn worker(
    mut detector: MicroWakeWord,
    mut blocks: rtrb::Consumer<BlockMsg>,
    mut detections: rtrb::Producer<DetectionMsg>,
    shared: &Shared,
    priority: i32,
) {
    match set_fifo_priority(priority) {
        Ok(()) => shared.priority_applied.store(true, Ordering::Relaxed),
        Err(e) => tracing::warn!(
            "wake-word thread: SCHED_FIFO {priority} refused ({e}); running at normal priority"
        ),
    }
    let mut epoch = 0u64;
    while !shared.stop.load(Ordering::Acquire) {
        let Ok(msg) = blocks.pop() else {
            std::thread::sleep(POLL);
            continue;
        };
        if msg.epoch < epoch {
            continue; // queued before a reset
        }
        if msg.epoch > epoch {
            epoch = msg.epoch;
            detector.reset();
        }
        if let Some(detection) = detector.process(msg.first_sample, &msg.block) {
            if detections.push(DetectionMsg { epoch, detection }).is_err() {
                shared.dropped_detections.fetch_add(1, Ordering::Relaxed);
            }
        }
        shared.processed_blocks.fetch_add(1, Ordering::Release);
    }
}

fn set_fifo_priority(priority: i32) -> Result<(), std::io::Error> {
    let param = libc::sched_param {
        sched_priority: priority,
    };
    // SAFETY: pthread_self() is always valid for the calling thread, and `param` is a valid,
    // initialised sched_param that outlives the call.
    let rc = unsafe { libc::pthread_setschedparam(libc::pthread_self(), libc::SCHED_FIFO, &param) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::from_raw_os_error(rc))
    }
}
