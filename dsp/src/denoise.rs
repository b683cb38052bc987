//! Noise suppression with nnnoiseless (RNNoise) at 48 kHz, 480-sample frames.
//!
//! **Guarantees**: the state is allocated in [`Denoiser::new`]. nnnoiseless allocates on its
//! first frame, and its FFT (easyfft) keeps plans in thread-local caches, so the first frame on
//! *each thread* allocates: call [`Denoiser::warm`] on the thread that will run the loop, before
//! the loop. After that, [`Denoiser::process`] never allocates on that thread.

use nnnoiseless::DenoiseState;

use crate::FRAME_48K;

/// One channel of RNNoise-style suppression, or a pass-through when disabled.
pub struct Denoiser {
    state: Option<Box<DenoiseState<'static>>>,
    last_vad: f32,
}

impl std::fmt::Debug for Denoiser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Denoiser")
            .field("enabled", &self.state.is_some())
            .finish()
    }
}

impl Denoiser {
    /// Builds the suppressor and runs one silent frame through it so that its lazy
    /// allocations happen here, not in the real-time loop. Not real-time safe.
    pub fn new(enabled: bool) -> Self {
        let mut d = Self {
            state: enabled.then(DenoiseState::new),
            last_vad: 0.0,
        };
        d.warm();
        d
    }

    /// Runs one silent frame so that the lazy allocations (the model's buffers, this thread's
    /// FFT plans) happen now. Call it on the real-time thread before its loop. Not real-time
    /// safe.
    pub fn warm(&mut self) {
        if let Some(s) = self.state.as_mut() {
            let silence = [0.0f32; FRAME_48K];
            let mut out = [0.0f32; FRAME_48K];
            s.process_frame(&mut out, &silence);
        }
    }

    /// Whether suppression is on.
    pub fn enabled(&self) -> bool {
        self.state.is_some()
    }

    /// Suppresses noise in one 10 ms frame (480 samples, 48 kHz, 16-bit scale), writing `out`.
    /// When disabled, copies. Real-time safe.
    pub fn process(&mut self, input: &[f32; FRAME_48K], out: &mut [f32; FRAME_48K]) {
        match self.state.as_mut() {
            Some(s) => self.last_vad = s.process_frame(out, input),
            None => out.copy_from_slice(input),
        }
    }

    /// RNNoise's voice probability for the last frame (0 when disabled).
    pub fn voice_probability(&self) -> f32 {
        self.last_vad
    }

    /// Algorithmic delay in 48 kHz samples (RNNoise works on overlapping 20 ms windows).
    pub fn delay_samples(&self) -> usize {
        if self.enabled() {
            FRAME_48K
        } else {
            0
        }
    }
}
