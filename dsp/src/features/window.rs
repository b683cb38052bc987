//! Hann window over 30 ms frames stepping by 10 ms, in 12-bit fixed point.
//!
//! **Real-time safe** after [`Window::new`].

/// Fractional bits of the window coefficients.
pub const WINDOW_BITS: u32 = 12;

/// Collects samples into overlapping frames and windows them.
#[derive(Debug, Clone)]
pub struct Window {
    coefficients: Vec<i16>,
    step: usize,
    input: Vec<i16>,
    input_used: usize,
    output: Vec<i16>,
    max_abs: i16,
}

impl Window {
    /// A window of `size` samples advancing by `step`. Allocates.
    pub fn new(size: usize, step: usize) -> Self {
        let arg = std::f32::consts::PI * 2.0 / size as f32;
        let scale = (1u32 << WINDOW_BITS) as f32;
        let coefficients = (0..size)
            .map(|i| {
                let v = 0.5 - 0.5 * (arg * (i as f32 + 0.5)).cos();
                (v * scale + 0.5).floor() as i16
            })
            .collect();
        Self {
            coefficients,
            step,
            input: vec![0; size],
            input_used: 0,
            output: vec![0; size],
            max_abs: 0,
        }
    }

    /// Takes up to one step of `samples`; returns how many were consumed and whether a windowed
    /// frame is ready in [`Window::output`]. Real-time safe.
    pub fn push(&mut self, samples: &[i16]) -> (usize, bool) {
        let size = self.input.len();
        let take = (size - self.input_used).min(samples.len());
        self.input[self.input_used..self.input_used + take].copy_from_slice(&samples[..take]);
        self.input_used += take;
        if self.input_used < size {
            return (take, false);
        }
        let mut max_abs: i16 = 0;
        for ((o, &x), &c) in self
            .output
            .iter_mut()
            .zip(&self.input)
            .zip(&self.coefficients)
        {
            let v = ((i32::from(x) * i32::from(c)) >> WINDOW_BITS) as i16;
            *o = v;
            let a = if v < 0 { v.wrapping_neg() } else { v };
            max_abs = max_abs.max(a);
        }
        self.input.copy_within(self.step.., 0);
        self.input_used -= self.step;
        self.max_abs = max_abs;
        (take, true)
    }

    /// The last windowed frame.
    pub fn output(&self) -> &[i16] {
        &self.output
    }

    /// The largest magnitude in the last windowed frame.
    pub fn max_abs(&self) -> i16 {
        self.max_abs
    }

    /// Empties the frame buffer. Real-time safe.
    pub fn reset(&mut self) {
        self.input.fill(0);
        self.output.fill(0);
        self.input_used = 0;
        self.max_abs = 0;
    }
}
