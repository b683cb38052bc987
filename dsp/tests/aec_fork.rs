//! The echo canceller's output against the output recorded before the vendored sonora's
//! speed changes (vendor/README.md, "Cost"): biquads with hardware FMA and interleaved
//! sections, the delay estimator's fused matched-filter pass, vectorised peak search and
//! incremental histogram maximum.
//!
//! `tests/data/aec-golden.i16` is the output (rounded to i16, little endian) of the generated
//! input below: the full and the linear output at 16 kHz, 3 s, frame by frame (160 + 160
//! samples), then the full output at 48 kHz, 1.5 s. It was written by the ignored test
//! `regenerate_golden` on the vendored sonora as it was before those changes (commit 9b1480f).
//!
//! **Tolerance**: the changes keep every operation and its order (a fused multiply-add stays
//! one, sums keep their order), so on x86-64 the output is bit-identical (`dsp/examples/
//! aec_cost.rs compare` on the generated echo cases: no sample differs). The test allows 1 LSB
//! for the golden file's rounding and nothing else.

use dsp::aec::{AecConfig, AecRate, EchoCanceller, LINEAR_LEN};

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/aec-golden.i16");

/// Deterministic reference (a chord with a moving melody and a noise burst) and microphone
/// (the reference through a 120 ms decaying room, 40 ms late, plus a talker-like harmonic
/// signal from 1.5 s on, plus quiet noise), 16-bit scale, at `rate`.
fn signals(rate: u32, seconds_x10: usize) -> (Vec<f32>, Vec<f32>) {
    let n = rate as usize * seconds_x10 / 10;
    let fs = f64::from(rate);
    let mut seed: u32 = 0x9e37_79b9;
    let mut noise = move || {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (seed >> 8) as f64 / (1u32 << 24) as f64 * 2.0 - 1.0
    };
    let reference: Vec<f64> = (0..n)
        .map(|i| {
            let t = i as f64 / fs;
            let melody = 440.0 * 2f64.powf(((t * 4.0).floor() % 5.0) / 12.0);
            let chord: f64 = [220.0, 277.2, 329.6, melody]
                .iter()
                .map(|f| (2.0 * std::f64::consts::PI * f * t).sin())
                .sum();
            let burst = if (t * 2.0).fract() < 0.1 {
                noise()
            } else {
                0.0
            };
            4000.0 * chord + 6000.0 * burst
        })
        .collect();
    let delay = (0.040 * fs) as usize;
    let taps: Vec<(usize, f64)> = (0..24)
        .map(|k| {
            let at = delay + (k as f64 * 0.005 * fs) as usize;
            let g = 0.5 * (-(k as f64) * 0.005 / 0.035).exp() * if k % 2 == 0 { 1.0 } else { -0.6 };
            (at, g)
        })
        .collect();
    let mic = (0..n)
        .map(|i| {
            let t = i as f64 / fs;
            let echo: f64 = taps
                .iter()
                .filter(|(d, _)| i >= *d)
                .map(|(d, g)| g * reference[i - d])
                .sum();
            let talker = if t >= 1.5 {
                let f0 = 140.0 + 30.0 * (2.0 * std::f64::consts::PI * 2.0 * t).sin();
                let env = (std::f64::consts::PI * (t - 1.5) / 0.6).sin().abs();
                (1..8)
                    .map(|h| (2.0 * std::f64::consts::PI * f0 * h as f64 * t).sin() / h as f64)
                    .sum::<f64>()
                    * 3000.0
                    * env
            } else {
                0.0
            };
            (echo + talker + 30.0 * noise()) as f32
        })
        .collect();
    (mic, reference.iter().map(|&v| v as f32).collect())
}

fn to_i16(x: f32) -> i16 {
    x.round().clamp(-32768.0, 32767.0) as i16
}

/// AEC3's own delay-estimator settings, which the golden file was recorded with (the wrapper
/// now decimates by 8 and skips the pre-echo pass: `dsp::aec`).
fn aec3_delay_settings(t: &mut sonora::config::EchoCanceller3Config) {
    t.delay.down_sampling_factor = 4;
    t.delay.detect_pre_echo = true;
}

/// The canceller's outputs as the golden file holds them.
fn outputs() -> Vec<f32> {
    let mut out = Vec::new();
    let (mic, reference) = signals(16_000, 30);
    let mut aec = EchoCanceller::with_tuning(
        AecConfig {
            linear_output: true,
            filter_length_ms: 150,
            ..AecConfig::new(AecRate::Hz16000)
        },
        aec3_delay_settings,
    )
    .unwrap();
    let (mut full, mut linear) = ([0.0f32; 160], [0.0f32; LINEAR_LEN]);
    for (m, r) in mic.chunks_exact(160).zip(reference.chunks_exact(160)) {
        aec.process(m, r, &mut full).unwrap();
        assert!(aec.linear_output(&mut linear));
        out.extend_from_slice(&full);
        out.extend_from_slice(&linear);
    }
    let (mic, reference) = signals(48_000, 15);
    let mut aec = EchoCanceller::with_tuning(
        AecConfig {
            filter_length_ms: 150,
            ..AecConfig::new(AecRate::Hz48000)
        },
        aec3_delay_settings,
    )
    .unwrap();
    let mut full = [0.0f32; 480];
    for (m, r) in mic.chunks_exact(480).zip(reference.chunks_exact(480)) {
        aec.process(m, r, &mut full).unwrap();
        out.extend_from_slice(&full);
    }
    out
}

#[test]
#[ignore = "writes the golden file; run only on the vendored sonora before its speed changes"]
fn regenerate_golden() {
    let bytes: Vec<u8> = outputs()
        .iter()
        .flat_map(|&x| to_i16(x).to_le_bytes())
        .collect();
    std::fs::write(GOLDEN, bytes).unwrap();
}

#[test]
fn output_equals_the_output_before_the_speed_changes() {
    let golden: Vec<i16> = std::fs::read(GOLDEN)
        .unwrap()
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    let out = outputs();
    assert_eq!(out.len(), golden.len());
    let max_diff = golden
        .iter()
        .zip(&out)
        .map(|(&g, &y)| (i32::from(to_i16(y)) - i32::from(g)).abs())
        .max()
        .unwrap();
    let energy: f64 = golden.iter().map(|&g| f64::from(g).powi(2)).sum();
    println!("max difference {max_diff} LSB; output energy {energy:.3e}");
    assert!(max_diff <= 1, "max difference {max_diff} LSB");
}
