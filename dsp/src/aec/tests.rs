//! Unit tests of the echo canceller on a generated echo case. Nothing here asserts timings.
//! Allocations per call are counted in `dsp/tests/aec_alloc.rs` (a counting global allocator
//! needs `unsafe`, which this crate forbids).

use super::*;

/// Deterministic noise in [-0.5, 0.5).
pub(super) struct Lcg(pub(super) u32);
impl Lcg {
    pub(super) fn next(&mut self) -> f32 {
        self.0 = self.0.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (self.0 >> 8) as f32 / 16_777_216.0 - 0.5
    }
}

/// A music-like reference (low-passed noise with a 4 Hz tremolo and note-length bursts) and
/// its echo: bulk delay `delay_ms`, a direct path at -6 dB and a 100 ms exponentially decaying
/// tail, plus microphone noise 60 dB under the echo. 16-bit scale.
pub(super) fn echo_case(rate: u32, secs: usize, delay_ms: u32) -> (Vec<f32>, Vec<f32>) {
    let n = rate as usize * secs;
    let mut rng = Lcg(12_345);
    let mut lp = 0.0f32;
    let reference: Vec<f32> = (0..n)
        .map(|i| {
            lp += 0.3 * (rng.next() - lp);
            let t = i as f32 / rate as f32;
            let trem = 0.6 + 0.4 * (2.0 * std::f32::consts::PI * 4.0 * t).sin();
            let burst = if (i / (rate as usize / 4)) % 3 == 2 {
                0.3
            } else {
                1.0
            };
            20_000.0 * lp * trem * burst
        })
        .collect();
    let d = (delay_ms * rate / 1000) as usize;
    let tail = rate as usize / 10;
    let mut h = vec![0.0f32; tail];
    h[0] = 0.5;
    let a = 0.5 * (0.5f32 * 13.8 / tail as f32).sqrt();
    for (k, c) in h
        .iter_mut()
        .enumerate()
        .skip(rate as usize / 500)
        .step_by(3)
    {
        *c = a * 2.0 * rng.next() * (-6.9 * k as f32 / tail as f32).exp();
    }
    let taps: Vec<(usize, f32)> = h
        .iter()
        .copied()
        .enumerate()
        .filter(|&(_, c)| c != 0.0)
        .collect();
    let mic = (0..n)
        .map(|i| {
            let mut e = 0.0;
            for &(k, c) in &taps {
                if i >= d + k {
                    e += c * reference[i - d - k];
                }
            }
            e + 2.0 * rng.next()
        })
        .collect();
    (mic, reference)
}

fn energy(x: &[f32]) -> f64 {
    x.iter().map(|&v| f64::from(v) * f64::from(v)).sum()
}

/// Runs the canceller over whole signals; returns the output aligned with the input.
fn cancel(aec: &mut EchoCanceller, mic: &[f32], reference: &[f32]) -> Vec<f32> {
    let n = aec.config().rate.frame_len();
    let mut out = vec![0.0; mic.len()];
    for ((m, r), o) in mic
        .chunks_exact(n)
        .zip(reference.chunks_exact(n))
        .zip(out.chunks_exact_mut(n))
    {
        aec.process(m, r, o).unwrap();
    }
    out.drain(..aec.config().rate.latency_samples());
    out
}

#[test]
fn removes_echo_at_16k() {
    let (mic, reference) = echo_case(16_000, 6, 40);
    let mut aec = EchoCanceller::new(AecConfig::new(AecRate::Hz16000)).unwrap();
    let out = cancel(&mut aec, &mic, &reference);
    // after 2 s: the target is >= 25 dB after <= 2 s
    let (a, b) = (2 * 16_000, out.len());
    let erle = 10.0 * (energy(&mic[a..b]) / energy(&out[a..b])).log10();
    assert!(erle >= 25.0, "ERLE {erle:.1} dB");
    let est = aec.erle_db().expect("an ERLE estimate");
    assert!(est > 3.0, "estimate {est}");
    let delay = aec.delay_ms().expect("a delay estimate");
    assert!((30..=42).contains(&delay), "delay {delay} ms for 40 ms");
}

#[test]
fn linear_output_keeps_the_near_end_and_removes_echo() {
    let (mic, reference) = echo_case(16_000, 6, 40);
    let n = 160;
    let cfg = AecConfig {
        linear_output: true,
        ..AecConfig::new(AecRate::Hz16000)
    };
    let mut aec = EchoCanceller::new(cfg).unwrap();
    let (mut out, mut lin) = (vec![0.0; n], vec![0.0; mic.len()]);
    for ((m, r), l) in mic
        .chunks_exact(n)
        .zip(reference.chunks_exact(n))
        .zip(lin.chunks_exact_mut(n))
    {
        aec.process(m, r, &mut out).unwrap();
        assert!(aec.linear_output(l));
    }
    lin.drain(..AecRate::Hz16000.latency_samples());
    let (a, b) = (2 * 16_000, lin.len());
    // The linear filter alone removes less than with the suppressor, but a good part of it.
    let erle = 10.0 * (energy(&mic[a..b]) / energy(&lin[a..b])).log10();
    assert!(erle >= 10.0, "linear ERLE {erle:.1} dB");
    // Without the option there is none.
    let mut plain = EchoCanceller::new(AecConfig::new(AecRate::Hz16000)).unwrap();
    plain.process(&mic[..n], &reference[..n], &mut out).unwrap();
    assert!(!plain.linear_output(&mut out));
}

#[test]
fn removes_echo_at_48k() {
    let (mic, reference) = echo_case(48_000, 4, 20);
    let mut aec = EchoCanceller::new(AecConfig::new(AecRate::Hz48000)).unwrap();
    let out = cancel(&mut aec, &mic, &reference);
    let (a, b) = (2 * 48_000, out.len());
    let erle = 10.0 * (energy(&mic[a..b]) / energy(&out[a..b])).log10();
    assert!(erle >= 25.0, "ERLE {erle:.1} dB");
}

#[test]
fn external_reference_delay_is_added_to_the_estimate() {
    let (mic, reference) = echo_case(16_000, 5, 120);
    let mut aec = EchoCanceller::new(AecConfig::new(AecRate::Hz16000)).unwrap();
    aec.set_reference_delay_ms(100);
    assert_eq!(aec.reference_delay_ms(), 100);
    let out = cancel(&mut aec, &mic, &reference);
    let (a, b) = (2 * 16_000, out.len());
    let erle = 10.0 * (energy(&mic[a..b]) / energy(&out[a..b])).log10();
    assert!(erle >= 25.0, "ERLE {erle:.1} dB");
    let delay = aec.delay_ms().expect("a delay estimate");
    assert!((110..=122).contains(&delay), "delay {delay} ms for 120 ms");
    aec.set_reference_delay_ms(10_000);
    assert_eq!(aec.reference_delay_ms(), MAX_REFERENCE_DELAY_MS);
}

#[test]
fn an_estimate_that_agrees_with_aec3_is_not_applied() {
    let (mic, reference) = echo_case(16_000, 4, 60);
    let mut aec = EchoCanceller::new(AecConfig::new(AecRate::Hz16000)).unwrap();
    // Before any echo AEC3's delay (if it reports one) is far from 200 ms: applied.
    let disagrees = match aec.delay_ms() {
        None => true,
        Some(d) => (d as f32 - 200.0).abs() > AGREE_MS,
    };
    assert_eq!(aec.offer_delay_estimate_ms(200.0), disagrees);
    aec.set_reference_delay_ms(0);
    let _ = cancel(&mut aec, &mic, &reference);
    let own = aec.delay_ms().expect("converged");
    assert!((50..=62).contains(&own), "AEC3 delay {own}");
    assert!(!aec.offer_delay_estimate_ms(60.0), "agrees: left alone");
    assert_eq!(aec.reference_delay_ms(), 0);
    assert!(aec.offer_delay_estimate_ms(150.0), "disagrees: applied");
    assert_eq!(aec.reference_delay_ms(), 145);
    assert!(!aec.offer_delay_estimate_ms(f32::NAN));
}

#[test]
fn output_latency() {
    for rate in [AecRate::Hz16000, AecRate::Hz48000] {
        let mut aec = EchoCanceller::new(AecConfig::new(rate)).unwrap();
        let n = rate.frame_len();
        let mut rng = Lcg(99);
        let mic: Vec<f32> = (0..n * 60).map(|_| 6_000.0 * rng.next()).collect();
        let silence = vec![0.0; mic.len()];
        let mut out = vec![0.0; mic.len()];
        for ((m, r), o) in mic
            .chunks_exact(n)
            .zip(silence.chunks_exact(n))
            .zip(out.chunks_exact_mut(n))
        {
            aec.process(m, r, o).unwrap();
        }
        let from = n * 20;
        let lag = (0..n)
            .max_by(|&a, &b| {
                let c = |l: usize| -> f64 {
                    (from..mic.len() - n)
                        .map(|i| f64::from(out[i + l]) * f64::from(mic[i]))
                        .sum()
                };
                c(a).total_cmp(&c(b))
            })
            .unwrap();
        assert_eq!(lag, rate.latency_samples(), "{rate:?}");
    }
}

#[test]
fn wrong_frame_length_is_an_error_and_processes_nothing() {
    let mut aec = EchoCanceller::new(AecConfig::new(AecRate::Hz16000)).unwrap();
    let mut out = [1.0f32; 160];
    let err = aec.process(&[0.0; 480], &[0.0; 160], &mut out).unwrap_err();
    assert_eq!(
        err,
        AecError::FrameLength {
            expected: 160,
            got: 160
        }
    );
    assert_eq!(out, [1.0; 160]);
}

#[test]
fn delay_hint_delays_the_reference_less_the_margin() {
    let cfg = AecConfig {
        delay_hint_ms: 120,
        ..AecConfig::new(AecRate::Hz48000)
    };
    let aec = EchoCanceller::new(cfg).unwrap();
    assert_eq!(aec.reference_delay_ms(), 120 - HINT_MARGIN_MS);
    let cfg = AecConfig {
        delay_hint_ms: 4,
        ..AecConfig::new(AecRate::Hz16000)
    };
    assert_eq!(EchoCanceller::new(cfg).unwrap().reference_delay_ms(), 0);
}

#[test]
fn delay_hint_out_of_range_is_refused() {
    let cfg = AecConfig {
        delay_hint_ms: 501,
        ..AecConfig::new(AecRate::Hz16000)
    };
    assert!(matches!(EchoCanceller::new(cfg), Err(AecError::Config(_))));
}

#[test]
fn filter_length_is_checked_and_rounded_up_to_blocks() {
    for (ms, ok) in [
        (19, false),
        (20, true),
        (150, true),
        (400, true),
        (401, false),
    ] {
        let cfg = AecConfig {
            filter_length_ms: ms,
            ..AecConfig::new(AecRate::Hz16000)
        };
        assert_eq!(EchoCanceller::new(cfg).is_ok(), ok, "{ms} ms");
    }
    let blocks = |ms| {
        AecConfig {
            filter_length_ms: ms,
            ..AecConfig::new(AecRate::Hz16000)
        }
        .filter_length_blocks()
    };
    assert_eq!(blocks(AEC3_FILTER_LENGTH_MS), 13);
    assert_eq!(blocks(150), 38);
}

#[test]
fn a_long_filter_removes_echo_too() {
    let (mic, reference) = echo_case(16_000, 6, 40);
    let cfg = AecConfig {
        filter_length_ms: 150,
        ..AecConfig::new(AecRate::Hz16000)
    };
    let mut aec = EchoCanceller::new(cfg).unwrap();
    let out = cancel(&mut aec, &mic, &reference);
    let (a, b) = (2 * 16_000, out.len());
    let erle = 10.0 * (energy(&mic[a..b]) / energy(&out[a..b])).log10();
    assert!(erle >= 25.0, "ERLE {erle:.1} dB");
}

#[test]
fn can_move_to_the_realtime_thread() {
    fn send<T: Send>() {}
    send::<EchoCanceller>();
}
