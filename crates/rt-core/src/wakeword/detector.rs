//! The microWakeWord detector: 10 ms blocks -> front end (dsp) -> int8 features -> the
//! streaming TFLite model every `stride` frames -> sliding-window cutoff (dsp) -> detection.

use dsp::features::{quantize_frame, FrontEnd, NUM_CHANNELS, WINDOW_SAMPLES};
use dsp::wakeword::{Detection, OnsetConfig, OnsetFinder, SlidingCutoff, WakeWordDetector};
use dsp::BLOCK_16K;

use super::model::StreamingModel;
use super::model_info::ModelInfo;
use super::WakeWordOptions;
use super::{load_runtime, WakeWordError};

/// Samples between the end of the wake word and the end of the block that detects it, typical
/// of the alexa model with a 5-output window (median over the project's test set; see
/// ARCHITECTURE.md). Used to place `end_sample`.
pub const TYPICAL_LAG_SAMPLES: u64 = 3_840;
/// The longest lag seen on the test set plus margin; the pre-roll ring is sized with it.
pub const MAX_LAG_SAMPLES: u32 = 16_000;

/// What one block did (for tests and tools that look inside).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BlockResult {
    /// The model's raw probability if it ran on this block.
    pub probability: Option<f32>,
    /// The sliding-window mean after this block's probability, once the window is full.
    pub mean: Option<f32>,
    /// A detection, if this block completed one.
    pub detection: Option<Detection>,
}

/// The detector. Built with all its buffers; see [`MicroWakeWord::process_block`] for what
/// is real-time safe.
#[derive(Debug)]
pub struct MicroWakeWord {
    front_end: FrontEnd,
    model: StreamingModel,
    decision: SlidingCutoff,
    onset: OnsetFinder,
    pcm: [i16; BLOCK_16K],
    features: Vec<i8>,
    frames: usize,
    input_scale: f32,
    input_zero_point: i32,
    invoke_errors: u64,
    reset_errors: u64,
}

impl MicroWakeWord {
    /// Loads runtime, model JSON and model as `cfg` says. Not real-time safe.
    pub fn from_options(cfg: &WakeWordOptions) -> Result<Self, WakeWordError> {
        let info = ModelInfo::load(&cfg.model)?;
        let api = load_runtime(&cfg.runtime)?;
        let model = StreamingModel::load(api, &info.tflite)?;
        let cutoff = cfg.cutoff.unwrap_or(info.probability_cutoff);
        let window = cfg.sliding_window.unwrap_or(info.sliding_window_size) as usize;
        let refractory = u64::from(cfg.refractory_ms) * 16;
        Ok(Self::new(
            model,
            SlidingCutoff::new(cutoff, window, refractory),
        ))
    }

    /// A detector around a loaded model and a decision rule. Allocates.
    pub fn new(model: StreamingModel, decision: SlidingCutoff) -> Self {
        let (input_scale, input_zero_point) = model.input_quantization();
        Self {
            front_end: FrontEnd::new(),
            features: vec![0; model.stride() * NUM_CHANNELS],
            model,
            decision,
            onset: OnsetFinder::new(OnsetConfig::default()),
            pcm: [0; BLOCK_16K],
            frames: 0,
            input_scale,
            input_zero_point,
            invoke_errors: 0,
            reset_errors: 0,
        }
    }

    /// Model invocations that failed so far (each skipped one 30 ms step).
    pub fn invoke_errors(&self) -> u64 {
        self.invoke_errors
    }

    /// Resets whose model reload failed (the old streaming state was kept).
    pub fn reset_errors(&self) -> u64 {
        self.reset_errors
    }

    /// Feeds one block (16-bit scale f32) whose first sample is `first_sample`.
    /// Real-time safety: the front end, quantisation and decision never allocate; the model
    /// invocation is the TFLite runtime's, measured by `wakeword_alloc` in rt-core's tests (see
    /// ARCHITECTURE.md for the result and the chosen placement).
    pub fn process_block(&mut self, first_sample: u64, block: &[f32; BLOCK_16K]) -> BlockResult {
        dsp::f32_to_i16(block, &mut self.pcm);
        let mut result = BlockResult::default();
        let Some(frame) = self.front_end.process(&self.pcm) else {
            return result;
        };
        let end_of_block = first_sample + BLOCK_16K as u64;
        let activity = frame.iter().map(|&v| u32::from(v)).sum();
        self.onset
            .push(end_of_block.saturating_sub(WINDOW_SAMPLES as u64), activity);
        let at = self.frames * NUM_CHANNELS;
        quantize_frame(
            frame,
            self.input_scale,
            self.input_zero_point,
            &mut self.features[at..at + NUM_CHANNELS],
        );
        self.frames += 1;
        if self.frames < self.model.stride() {
            return result;
        }
        self.frames = 0;
        let prob = match self.model.invoke(&self.features) {
            Ok(p) => p,
            Err(_) => {
                self.invoke_errors += 1;
                return result;
            }
        };
        result.probability = Some(prob);
        let detected = self.decision.push(prob, end_of_block);
        result.mean = detected.or(self.decision.mean());
        result.detection = detected.map(|score| {
            let end_sample = end_of_block.saturating_sub(TYPICAL_LAG_SAMPLES);
            Detection {
                start_sample: self.onset.start_before(end_sample),
                end_sample,
                score,
            }
        });
        result
    }
}

impl WakeWordDetector for MicroWakeWord {
    /// See [`MicroWakeWord::process_block`].
    fn process(&mut self, first_sample: u64, block: &[f32; BLOCK_16K]) -> Option<Detection> {
        self.process_block(first_sample, block).detection
    }

    /// Clears the feature front end, the decision window and the onset history.
    /// **Real-time safe** (fills fixed buffers): the pipeline calls it on the real-time thread
    /// with `placement = "realtime"`. The model's streaming state is kept (only a new
    /// interpreter clears it, see `reset_full`): it holds the last few feature frames, which
    /// the new audio overwrites, and the decision window starts empty, so a detection still
    /// needs `sliding_window` fresh outputs above the cutoff.
    fn reset(&mut self) {
        self.front_end.reset();
        self.decision.reset();
        self.onset.reset();
        self.frames = 0;
    }

    /// [`reset`](WakeWordDetector::reset), and a new interpreter for the model's streaming
    /// state. **Not real-time safe** (allocates): with `placement = "own_thread"` it runs on
    /// the detector thread; a failed reload is counted in [`MicroWakeWord::reset_errors`] and
    /// the old state kept.
    fn reset_full(&mut self) {
        self.reset();
        if self.model.reload().is_err() {
            self.reset_errors += 1;
        }
    }

    fn max_lag_samples(&self) -> u32 {
        MAX_LAG_SAMPLES
    }

    /// See [`SlidingCutoff::set_playback_cutoff`]; kept across resets. Real-time safe.
    fn set_playback_cutoff(&mut self, cutoff: Option<f32>) {
        self.decision.set_playback_cutoff(cutoff);
    }
}
