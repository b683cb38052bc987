//! Kernels the vendored libopus (vendor/opusic-sys, see its README-FORK.md) adds, against the
//! C functions they replace, called directly: each must give the same bits on every input.
//! `opus_fork.rs` checks the whole encoder's packets; this file checks the kernels on inputs
//! the test signal may not reach (every order and length the encoder can ask for, large and
//! tiny values).

use std::os::raw::c_int;

// Both are global functions of the static libopus that opusic-sys links (not in its bindings).
extern "C" {
    fn silk_warped_autocorrelation_FLP_c(
        corr: *mut f32,
        input: *const f32,
        warping: f32,
        length: c_int,
        order: c_int,
    );
    #[cfg(target_arch = "x86_64")]
    fn silk_warped_autocorrelation_FLP_avx2(
        corr: *mut f32,
        input: *const f32,
        warping: f32,
        length: c_int,
        order: c_int,
    );
}

/// SILK's shaping analysis window is at most 15 ms at 16 kHz; its order at most 24, even.
const MAX_LENGTH: usize = 240;
const MAX_ORDER: usize = 24;

fn signal(n: usize, seed: u32, scale: f32) -> Vec<f32> {
    let mut s = seed;
    (0..n)
        .map(|i| {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let noise = (s >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0;
            scale * (0.6 * (i as f32 * 0.07).sin() + 0.4 * noise)
        })
        .collect()
}

#[cfg(target_arch = "x86_64")]
#[test]
fn warped_autocorrelation_avx2_gives_the_c_versions_bits() {
    // Keeps opusic-sys (and so the static libopus) linked into this test.
    let _ = opusic_sys::OPUS_OK;
    if !std::arch::is_x86_feature_detected!("avx2") {
        eprintln!("no AVX2 on this CPU: nothing to compare");
        return;
    }
    let mut cases = 0;
    for (k, scale) in [1.0f32, 32_767.0, 1e-3, 3e4].into_iter().enumerate() {
        for length in [1usize, 2, 7, 31, 120, 159, 160, 200, 239, MAX_LENGTH] {
            let x = signal(length, 17 + k as u32 * 101 + length as u32, scale);
            for order in (0..=MAX_ORDER).step_by(2) {
                for warping in [0.0f32, 0.0137, 0.25, 0.5 + 0.01 * k as f32] {
                    let mut c = [f32::NAN; MAX_ORDER + 1];
                    let mut a = [f32::NAN; MAX_ORDER + 1];
                    // SAFETY: `x` holds `length` samples, each output `order + 1` values
                    // (order <= 24, length <= 240, the limits the C code and the AVX2 code
                    // assume); AVX2 is present (checked above).
                    unsafe {
                        silk_warped_autocorrelation_FLP_c(
                            c.as_mut_ptr(),
                            x.as_ptr(),
                            warping,
                            length as c_int,
                            order as c_int,
                        );
                        silk_warped_autocorrelation_FLP_avx2(
                            a.as_mut_ptr(),
                            x.as_ptr(),
                            warping,
                            length as c_int,
                            order as c_int,
                        );
                    }
                    for (i, (cv, av)) in c.iter().zip(&a).take(order + 1).enumerate() {
                        assert_eq!(
                            cv.to_bits(),
                            av.to_bits(),
                            "length {length}, order {order}, warping {warping}, scale {scale}: \
                             corr[{i}] {cv} (C) vs {av} (AVX2)"
                        );
                    }
                    cases += 1;
                }
            }
        }
    }
    assert_eq!(cases, 4 * 10 * 13 * 4);
}
