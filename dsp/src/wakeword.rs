//! Wake-word detectors behind one trait.
//!
//! The pipeline pushes every 10 ms block of 16 kHz audio (160 samples, 16-bit scale) into the
//! detector, in order, with the absolute index of the block's first sample on the 16 kHz
//! timeline of the capture. A detector reports a [`Detection`] once per wake word.

use crate::BLOCK_16K;

/// One wake word found in the audio.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detection {
    /// Absolute 16 kHz sample index where the detector estimates the wake word began.
    pub start_sample: u64,
    /// Absolute 16 kHz sample index where the wake word ended (exclusive).
    pub end_sample: u64,
    /// The score that crossed the cutoff (0..=1).
    pub score: f32,
}

/// A streaming wake-word detector.
///
/// Implementations allocate in their constructor; `process` is real-time safe unless the
/// implementation's doc says it is not (then the engine runs it on its own thread).
///
/// **Real-time contract of the resets**: [`reset`](Self::reset) is called on the real-time
/// thread (the pipeline calls it when wake-word detection is turned back on), so every
/// implementation must make it real-time safe: no allocation, free, lock, log or blocking
/// call. What cannot be cleared that way (a model's streaming state that only a new
/// interpreter clears) belongs in [`reset_full`](Self::reset_full), which is never called on
/// the real-time thread.
pub trait WakeWordDetector: Send {
    /// Feeds one 10 ms block whose first sample has absolute index `first_sample`.
    fn process(&mut self, first_sample: u64, block: &[f32; BLOCK_16K]) -> Option<Detection>;

    /// Forgets the detection state, so that nothing heard before counts towards a detection
    /// (when detection is re-enabled). **Real-time safe** in every implementation (see the
    /// trait's contract).
    fn reset(&mut self);

    /// [`reset`](Self::reset), and also whatever cannot be cleared in real time, so that the
    /// detector behaves as new. **Not real-time safe** (it may allocate or load files): called
    /// only off the real-time thread (a detector thread, tools, tests). Default: `reset`.
    fn reset_full(&mut self) {
        self.reset();
    }

    /// Worst-case delay in 16 kHz samples between the end of a wake word and its detection;
    /// the engine sizes its pre-roll ring with it.
    fn max_lag_samples(&self) -> u32;

    /// Waits until every block handed to another thread has been processed, so that the
    /// detections they give come back at the next [`process`](Self::process) whatever the
    /// threads' timing: a full-speed simulation calls it between periods to make a run
    /// repeat exactly. **Not real-time safe** (it waits); never called in real time.
    /// Default: nothing to wait for.
    fn settle(&mut self) {}

    /// While the speaker plays (music: what the echo canceller removes), decide with
    /// `cutoff` where it is lower than the detector's own; `None`: the detector's own cutoff
    /// again. Takes effect from the next block. **Real-time safe** in every implementation.
    /// Default: ignored (detectors without a cutoff).
    fn set_playback_cutoff(&mut self, cutoff: Option<f32>) {
        let _ = cutoff;
    }
}

/// Most model outputs a [`SlidingCutoff`] can average.
pub const MAX_SLIDING_WINDOW: usize = 50;

/// The decision rule of microWakeWord models: a detection when the mean of the last
/// `sliding_window` model probabilities exceeds `cutoff`; then nothing for `refractory`
/// samples, and the window starts empty again (so one wake word gives one detection).
///
/// **Real-time safe**: fixed-size state, no allocation.
#[derive(Debug, Clone)]
pub struct SlidingCutoff {
    /// The cutoff in force: `own`, or a lower playback cutoff.
    cutoff: f32,
    own: f32,
    window: usize,
    refractory: u64,
    probs: [f32; MAX_SLIDING_WINDOW],
    len: usize,
    next: usize,
    quiet_until: Option<u64>,
}

impl SlidingCutoff {
    /// `sliding_window` is clamped to `1..=MAX_SLIDING_WINDOW`; `refractory` is in samples.
    pub fn new(cutoff: f32, sliding_window: usize, refractory: u64) -> Self {
        Self {
            cutoff,
            own: cutoff,
            window: sliding_window.clamp(1, MAX_SLIDING_WINDOW),
            refractory,
            probs: [0.0; MAX_SLIDING_WINDOW],
            len: 0,
            next: 0,
            quiet_until: None,
        }
    }

    /// The cutoff in force (see [`SlidingCutoff::set_playback_cutoff`]).
    pub fn cutoff(&self) -> f32 {
        self.cutoff
    }

    /// Decides with `playback` where it is lower than the cutoff given to
    /// [`new`](Self::new) (never higher); `None`: that cutoff again. The window is kept.
    /// Real-time safe.
    pub fn set_playback_cutoff(&mut self, playback: Option<f32>) {
        self.cutoff = playback.map_or(self.own, |p| p.min(self.own));
    }

    /// The mean of the window once it is full (what is compared with the cutoff).
    pub fn mean(&self) -> Option<f32> {
        (self.len == self.window)
            .then(|| self.probs[..self.window].iter().sum::<f32>() / self.window as f32)
    }

    /// Adds one model probability computed from audio that ends at sample `at`; returns the
    /// mean when it is a detection. Real-time safe.
    pub fn push(&mut self, prob: f32, at: u64) -> Option<f32> {
        self.probs[self.next] = prob;
        self.next = (self.next + 1) % self.window;
        self.len = (self.len + 1).min(self.window);
        if let Some(until) = self.quiet_until {
            if at < until {
                return None;
            }
            self.quiet_until = None;
        }
        let mean = self.mean()?;
        if mean > self.cutoff {
            self.len = 0;
            self.next = 0;
            self.quiet_until = Some(at.saturating_add(self.refractory));
            Some(mean)
        } else {
            None
        }
    }

    /// Empties the window and ends any refractory period. Real-time safe.
    pub fn reset(&mut self) {
        self.len = 0;
        self.next = 0;
        self.quiet_until = None;
    }
}

/// Feature frames an [`OnsetFinder`] remembers (2.56 s).
pub const ONSET_HISTORY: usize = 256;

/// Tuning of the wake-word start estimate, in 16 kHz samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OnsetConfig {
    /// Shortest wake word: the start is never placed later than `end - min_word` (600 ms:
    /// on the test set a shorter minimum let internal pauses of "A-lexa" cut the word).
    pub min_word: u64,
    /// Longest wake word searched for a pause before it.
    pub max_word: u64,
    /// Start used when no pause is found (speech runs straight into the wake word).
    pub default_word: u64,
    /// A pause is this many consecutive quiet frames (10 ms each).
    pub pause_frames: usize,
    /// A frame is quiet below this fraction of the loudest frame of the word.
    pub quiet_ratio: f32,
}

impl Default for OnsetConfig {
    fn default() -> Self {
        Self {
            min_word: 9_600,
            max_word: 20_000,
            default_word: 12_000,
            pause_frames: 8,
            quiet_ratio: 0.3,
        }
    }
}

/// Estimates where a wake word began from the activity of recent feature frames: walking back
/// from the word's end, the word starts after the last pause (`pause_frames` quiet frames)
/// within `max_word`. Short dips inside the word (stop consonants) are shorter than a pause.
/// The front end's noise reduction makes steady noise quiet, so this works in noise too.
///
/// **Real-time safe**: a fixed ring of [`ONSET_HISTORY`] frames.
#[derive(Debug, Clone)]
pub struct OnsetFinder {
    cfg: OnsetConfig,
    activity: [u32; ONSET_HISTORY],
    /// Index on the 16 kHz timeline of the first sample of each remembered frame's window.
    starts: [u64; ONSET_HISTORY],
    next: usize,
    len: usize,
}

impl OnsetFinder {
    /// An empty history.
    pub fn new(cfg: OnsetConfig) -> Self {
        Self {
            cfg,
            activity: [0; ONSET_HISTORY],
            starts: [0; ONSET_HISTORY],
            next: 0,
            len: 0,
        }
    }

    /// Records one feature frame whose window began at sample `window_start`; `activity` is
    /// any non-negative loudness measure (the sum of the frame's channels). Real-time safe.
    pub fn push(&mut self, window_start: u64, activity: u32) {
        self.activity[self.next] = activity;
        self.starts[self.next] = window_start;
        self.next = (self.next + 1) % ONSET_HISTORY;
        self.len = (self.len + 1).min(ONSET_HISTORY);
    }

    /// The estimated first sample of a wake word that ended at `end`. Real-time safe.
    pub fn start_before(&self, end: u64) -> u64 {
        let c = &self.cfg;
        let latest = end.saturating_sub(c.min_word);
        let earliest = end.saturating_sub(c.max_word);
        let fallback = end.saturating_sub(c.default_word).min(latest);
        // Frames from newest to oldest, restricted to windows starting in [earliest, end).
        let frames = (1..=self.len)
            .map(|k| (self.next + ONSET_HISTORY - k) % ONSET_HISTORY)
            .map(|i| (self.starts[i], self.activity[i]))
            .skip_while(|&(s, _)| s >= end)
            .take_while(|&(s, _)| s >= earliest);
        let peak = frames.clone().map(|(_, a)| a).max().unwrap_or(0);
        if peak == 0 {
            return fallback;
        }
        let quiet = (peak as f32 * c.quiet_ratio) as u32;
        let mut run = 0usize;
        let mut first_loud: Option<u64> = None;
        for (start, a) in frames {
            if a <= quiet {
                run += 1;
                if run >= c.pause_frames {
                    return first_loud.map_or(fallback, |s| s.min(latest));
                }
            } else {
                run = 0;
                first_loud = Some(start);
            }
        }
        fallback
    }

    /// Forgets the history. Real-time safe.
    pub fn reset(&mut self) {
        self.len = 0;
        self.next = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needs_a_full_window_above_the_cutoff() {
        let mut s = SlidingCutoff::new(0.9, 3, 0);
        assert_eq!(s.push(1.0, 100), None);
        assert_eq!(s.push(1.0, 200), None);
        assert_eq!(s.push(1.0, 300), Some(1.0));
        // The window restarts empty after a detection.
        assert_eq!(s.push(1.0, 400), None);
        assert_eq!(s.push(0.7, 500), None);
        assert_eq!(s.push(0.95, 600), None); // mean 0.883
        assert_eq!(s.push(1.0, 700), None); // mean 0.883
        assert!(s.push(1.0, 800).is_some()); // mean 0.983
    }

    #[test]
    fn mean_equal_to_the_cutoff_is_not_a_detection() {
        let mut s = SlidingCutoff::new(0.5, 2, 0);
        s.push(0.5, 1);
        assert_eq!(s.push(0.5, 2), None);
    }

    #[test]
    fn a_playback_cutoff_only_lowers_the_cutoff_and_is_undone_by_none() {
        let mut s = SlidingCutoff::new(0.9, 2, 0);
        s.push(0.85, 1);
        assert_eq!(s.push(0.85, 2), None, "0.85 is under the own cutoff");
        s.set_playback_cutoff(Some(0.8));
        assert_eq!(s.cutoff(), 0.8);
        assert_eq!(
            s.push(0.85, 3),
            Some(0.85),
            "the window is kept, the lower cutoff decides"
        );
        s.set_playback_cutoff(Some(0.95));
        assert_eq!(s.cutoff(), 0.9, "a playback cutoff never raises it");
        s.set_playback_cutoff(Some(0.8));
        s.set_playback_cutoff(None);
        s.push(0.85, 4);
        assert_eq!(s.push(0.85, 5), None, "back to the own cutoff");
    }

    #[test]
    fn refractory_period_suppresses_double_triggers() {
        let mut s = SlidingCutoff::new(0.5, 1, 1000);
        assert!(s.push(1.0, 0).is_some());
        assert_eq!(s.push(1.0, 500), None);
        assert_eq!(s.push(1.0, 999), None);
        assert!(s.push(1.0, 1000).is_some());
        s.reset();
        assert!(
            s.push(1.0, 1001).is_some(),
            "reset ends the refractory period"
        );
    }

    fn finder_with(activity: &[(u64, u32)]) -> OnsetFinder {
        let mut f = OnsetFinder::new(OnsetConfig::default());
        for &(ms, a) in activity {
            f.push(ms * 16, a);
        }
        f
    }

    /// Silence, a word with a short internal dip, then the end: the start is the word's onset.
    #[test]
    fn onset_is_after_the_last_pause_and_skips_short_dips() {
        let mut frames = Vec::new();
        for ms in (0..3000).step_by(10) {
            let a = match ms {
                1000..=1240 => 300,
                1250..=1290 => 0, // a stop consonant: 50 ms
                1300..=1690 => 250,
                _ => 5,
            };
            frames.push((ms, a));
        }
        let f = finder_with(&frames);
        assert_eq!(f.start_before(1700 * 16), 1000 * 16);
        // A word shorter than `min_word` gets `min_word`.
        assert_eq!(f.start_before(1300 * 16), (1300 - 600) * 16);
    }

    #[test]
    fn no_pause_means_the_default_length() {
        let frames: Vec<(u64, u32)> = (0..300).map(|k| (k * 10, 200)).collect();
        let f = finder_with(&frames);
        assert_eq!(f.start_before(2500 * 16), (2500 - 750) * 16);
    }

    #[test]
    fn start_is_never_later_than_the_shortest_word() {
        let frames: Vec<(u64, u32)> = (0..300)
            .map(|k| (k * 10, if k * 10 >= 2400 { 200 } else { 0 }))
            .collect();
        let f = finder_with(&frames);
        assert_eq!(f.start_before(2500 * 16), (2500 - 600) * 16);
    }
}
