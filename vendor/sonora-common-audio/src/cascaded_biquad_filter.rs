//! Cascaded biquad (IIR) filter — direct form 1.
//!
//! Ported from `modules/audio_processing/utility/cascaded_biquad_filter.h/cc`.

/// Coefficients for a single second-order (biquad) IIR section.
///
/// Transfer function: `H(z) = (b[0] + b[1]*z^-1 + b[2]*z^-2) / (1 + a[0]*z^-1 + a[1]*z^-2)`
#[derive(Debug, Clone, Copy)]
pub struct BiQuadCoefficients {
    /// Feedforward (numerator) coefficients `[b0, b1, b2]`.
    pub b: [f32; 3],
    /// Feedback (denominator) coefficients `[a1, a2]` (the leading 1 is implicit).
    pub a: [f32; 2],
}

/// State for a single biquad section.
#[derive(Debug, Clone)]
struct BiQuad {
    coefficients: BiQuadCoefficients,
    x: [f32; 2],
    y: [f32; 2],
}

impl BiQuad {
    fn new(coefficients: BiQuadCoefficients) -> Self {
        Self {
            coefficients,
            x: [0.0; 2],
            y: [0.0; 2],
        }
    }

    fn reset(&mut self) {
        self.x = [0.0; 2];
        self.y = [0.0; 2];
    }
}

/// Cascaded biquad filter applying multiple second-order sections in series.
#[derive(Debug)]
pub struct CascadedBiQuadFilter {
    biquads: Vec<BiQuad>,
    /// The CPU has FMA (x86): run the sections through [`fma`]. (Fork: see the note on
    /// [`cascade`].)
    fma: bool,
}

impl CascadedBiQuadFilter {
    /// Creates a new cascaded filter from the given second-order sections.
    pub fn new(coefficients: &[BiQuadCoefficients]) -> Self {
        Self {
            biquads: coefficients.iter().map(|c| BiQuad::new(*c)).collect(),
            fma: has_fma(),
        }
    }

    /// Filters `x` into `y` (separate input/output).
    pub fn process(&mut self, x: &[f32], y: &mut [f32]) {
        if self.biquads.is_empty() {
            y.copy_from_slice(x);
            return;
        }
        y.copy_from_slice(x);
        self.process_in_place(y);
    }

    /// Filters `y` in-place through all stages.
    #[allow(
        unsafe_code,
        reason = "calls the FMA build of the sections after detection"
    )]
    pub fn process_in_place(&mut self, y: &mut [f32]) {
        #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
        if self.fma {
            // SAFETY: `fma` is set only when the CPU reported FMA (`has_fma`).
            unsafe { fma::sections(&mut self.biquads, y) };
            return;
        }
        sections(&mut self.biquads, y);
    }

    /// Resets all filter states to zero.
    pub fn reset(&mut self) {
        for bq in &mut self.biquads {
            bq.reset();
        }
    }
}

#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
fn has_fma() -> bool {
    std::arch::is_x86_feature_detected!("fma")
}

#[cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]
fn has_fma() -> bool {
    false
}

#[inline(always)]
fn sections(biquads: &mut [BiQuad], y: &mut [f32]) {
    match biquads.len() {
        1 => cascade::<1>(biquads, y),
        2 => cascade::<2>(biquads, y),
        3 => cascade::<3>(biquads, y),
        4 => cascade::<4>(biquads, y),
        5 => cascade::<5>(biquads, y),
        _ => {
            for bq in biquads {
                section(bq, y);
            }
        }
    }
}

#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
#[allow(
    unsafe_code,
    reason = "a `#[target_feature]` function is unsafe to call"
)]
mod fma {
    use super::BiQuad;

    /// [`super::sections`] compiled with FMA enabled.
    ///
    /// # Safety
    /// The CPU must support FMA.
    #[target_feature(enable = "fma")]
    pub(super) unsafe fn sections(biquads: &mut [BiQuad], y: &mut [f32]) {
        super::sections(biquads, y);
    }
}

/// `N` sections over `y`, in place, sample by sample: each sample goes through every section
/// before the next sample enters.
///
/// Fork: upstream ran each section over the whole slice before the next. Each section is a
/// recurrence whose every output waits for the previous one (four dependent multiply-adds);
/// run sample by sample, the sections' chains are independent of each other and the CPU
/// overlaps them. Every section computes exactly what it computed before, in the same order:
/// the output is bit-identical. And `f32::mul_add` is a fused multiply-add, which on an x86
/// build without FMA in its target features is a call into the software `fmaf` (measured:
/// 18 % of AEC3's time at 16 kHz); inlined into [`fma::sections`] it is one `vfmadd`
/// instruction with the same, correctly rounded, result.
#[inline(always)]
fn cascade<const N: usize>(biquads: &mut [BiQuad], y: &mut [f32]) {
    let mut b = [[0.0f32; 3]; N];
    let mut a = [[0.0f32; 2]; N];
    let mut x_mem = [[0.0f32; 2]; N];
    let mut y_mem = [[0.0f32; 2]; N];
    for (i, bq) in biquads.iter().enumerate().take(N) {
        b[i] = bq.coefficients.b;
        a[i] = [-bq.coefficients.a[0], -bq.coefficients.a[1]];
        x_mem[i] = bq.x;
        y_mem[i] = bq.y;
    }
    for v in y.iter_mut() {
        let mut t = *v;
        for i in 0..N {
            let out = b[i][0].mul_add(
                t,
                b[i][1].mul_add(
                    x_mem[i][0],
                    b[i][2].mul_add(
                        x_mem[i][1],
                        a[i][0].mul_add(y_mem[i][0], a[i][1] * y_mem[i][1]),
                    ),
                ),
            );
            x_mem[i] = [t, x_mem[i][0]];
            y_mem[i] = [out, y_mem[i][0]];
            t = out;
        }
        *v = t;
    }
    for (i, bq) in biquads.iter_mut().enumerate().take(N) {
        bq.x = x_mem[i];
        bq.y = y_mem[i];
    }
}

/// One section over `y`, in place (upstream's loop; more than 5 sections).
#[inline(always)]
fn section(bq: &mut BiQuad, y: &mut [f32]) {
    let c_b_0 = bq.coefficients.b[0];
    let c_b_1 = bq.coefficients.b[1];
    let c_b_2 = bq.coefficients.b[2];
    let c_a_0 = bq.coefficients.a[0];
    let c_a_1 = bq.coefficients.a[1];
    let mut m_x_0 = bq.x[0];
    let mut m_x_1 = bq.x[1];
    let mut m_y_0 = bq.y[0];
    let mut m_y_1 = bq.y[1];
    for v in y.iter_mut() {
        let tmp = *v;
        // Use mul_add chains to emit fmadd/fmsub instructions.
        *v = c_b_0.mul_add(
            tmp,
            c_b_1.mul_add(
                m_x_0,
                c_b_2.mul_add(m_x_1, (-c_a_0).mul_add(m_y_0, -c_a_1 * m_y_1)),
            ),
        );
        m_x_1 = m_x_0;
        m_x_0 = tmp;
        m_y_1 = m_y_0;
        m_y_0 = *v;
    }
    bq.x = [m_x_0, m_x_1];
    bq.y = [m_y_0, m_y_1];
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lowpass_coefficients() -> BiQuadCoefficients {
        // Simple lowpass: b = [0.25, 0.5, 0.25], a = [0.1, 0.2]
        BiQuadCoefficients {
            b: [0.25, 0.5, 0.25],
            a: [0.1, 0.2],
        }
    }

    #[test]
    fn empty_filter_is_passthrough() {
        let mut filter = CascadedBiQuadFilter::new(&[]);
        let input = [1.0, 2.0, 3.0, 4.0];
        let mut output = [0.0f32; 4];
        filter.process(&input, &mut output);
        assert_eq!(output, input);
    }

    #[test]
    fn single_stage_produces_output() {
        let mut filter = CascadedBiQuadFilter::new(&[lowpass_coefficients()]);
        let input = [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        let mut output = [0.0f32; 8];
        filter.process(&input, &mut output);
        // First output should be b[0] * 1.0 = 0.25
        assert!((output[0] - 0.25).abs() < 1e-6);
        // Subsequent outputs should be non-zero due to filter memory.
        assert!(output[1] != 0.0);
    }

    #[test]
    fn process_in_place_matches_process() {
        let coeffs = [lowpass_coefficients()];
        let mut filter1 = CascadedBiQuadFilter::new(&coeffs);
        let mut filter2 = CascadedBiQuadFilter::new(&coeffs);

        let input = [1.0, 0.5, -0.3, 0.7, -0.1, 0.4, 0.0, -0.5];
        let mut output1 = [0.0f32; 8];
        filter1.process(&input, &mut output1);

        let mut output2 = input;
        filter2.process_in_place(&mut output2);

        for (a, b) in output1.iter().zip(output2.iter()) {
            assert!((a - b).abs() < 1e-6, "{a} != {b}");
        }
    }

    #[test]
    fn reset_clears_state() {
        let coeffs = [lowpass_coefficients()];
        let mut filter = CascadedBiQuadFilter::new(&coeffs);

        let input = [1.0, 1.0, 1.0, 1.0];
        let mut output = [0.0f32; 4];
        filter.process(&input, &mut output);

        filter.reset();

        let mut output2 = [0.0f32; 4];
        filter.process(&input, &mut output2);

        // After reset, output should be the same as the first time.
        for (a, b) in output.iter().zip(output2.iter()) {
            assert!((a - b).abs() < 1e-6, "{a} != {b}");
        }
    }

    #[test]
    fn multi_stage_filter() {
        let coeffs = [lowpass_coefficients(), lowpass_coefficients()];
        let mut filter = CascadedBiQuadFilter::new(&coeffs);
        let input = [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        let mut output = [0.0f32; 8];
        filter.process(&input, &mut output);
        // Two stages should further smooth the impulse response.
        assert!(output[0].abs() < 0.25);
    }
}
