//! The nnnoiseless fork per instruction set: one 10 ms frame of the whole denoiser (budget:
//! 10 ms of real time) and its two vectorised kernels, `Portable` being upstream's scalar code.
//! Only the instruction sets this CPU supports are run.
//!
//! `cargo bench -p dsp --bench denoise`

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use nnnoiseless::kernels::{gemv, xcorr, Isa};
use nnnoiseless::DenoiseState;

const FRAME: usize = DenoiseState::FRAME_SIZE;

fn isas() -> Vec<Isa> {
    [Isa::Portable, Isa::Sse41, Isa::Avx2, Isa::Neon]
        .into_iter()
        .filter(|i| i.is_supported())
        .collect()
}

/// One second of voiced sound (gliding pitch, harmonics) in white noise, 16-bit scale.
fn signal() -> Vec<f32> {
    let mut seed: u32 = 1;
    let mut phase = 0.0f64;
    (0..48_000)
        .map(|i| {
            let t = f64::from(i) / 48_000.0;
            phase += 2.0 * std::f64::consts::PI * (120.0 + 80.0 * t) / 48_000.0;
            let voice: f64 = (1..=10)
                .map(|h| (f64::from(h) * phase).sin() / f64::from(h))
                .sum();
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let noise = f64::from(seed >> 8) / f64::from(1u32 << 24) * 2.0 - 1.0;
            (5000.0 * voice + 1500.0 * noise) as f32
        })
        .collect()
}

fn frame(c: &mut Criterion) {
    let sig = signal();
    let mut g = c.benchmark_group("denoise one 10 ms frame (budget 10 ms)");
    for isa in isas() {
        let mut st = DenoiseState::new();
        assert!(st.set_isa(isa));
        let mut out = [0.0f32; FRAME];
        let mut frames = sig.chunks_exact(FRAME).cycle();
        g.bench_function(BenchmarkId::from_parameter(format!("{isa:?}")), |b| {
            b.iter(|| st.process_frame(&mut out, black_box(frames.next().unwrap())))
        });
    }
    g.finish();
}

fn kernels(c: &mut Criterion) {
    // The denoise GRU's products of one frame: inputs (114 columns x 3 x 96 gates), the update
    // and reset gates' recurrent part (96 x 2 x 96), the output's (96 x 96). 73 % of the
    // model's multiply-adds.
    let w_in: Vec<i8> = (0..114 * 288).map(|i| (i * 37 % 255) as u8 as i8).collect();
    let w_rec: Vec<i8> = (0..96 * 288).map(|i| (i * 53 % 255) as u8 as i8).collect();
    let x: Vec<f32> = (0..114).map(|i| (i as f32 * 0.37).sin()).collect();
    let mut g = c.benchmark_group("denoise GRU products of one frame");
    for isa in isas() {
        let mut acc = [0.0f32; 288];
        g.bench_function(BenchmarkId::from_parameter(format!("{isa:?}")), |b| {
            b.iter(|| {
                acc.fill(0.0);
                gemv(isa, &mut acc, &w_in, 288, 0, black_box(&x));
                gemv(isa, &mut acc[..192], &w_rec, 288, 0, &x[..96]);
                gemv(isa, &mut acc[192..], &w_rec, 288, 192, &x[..96]);
                acc[0]
            })
        });
    }
    g.finish();

    // The pitch search's coarse cross-correlation: 240 samples at 147 lags.
    let sig = signal();
    let mut g = c.benchmark_group("pitch cross-correlation 240 x 147 lags");
    for isa in isas() {
        let mut out = [0.0f32; 147];
        g.bench_function(BenchmarkId::from_parameter(format!("{isa:?}")), |b| {
            b.iter(|| {
                xcorr(isa, black_box(&sig[..240]), &sig[1000..1387], &mut out);
                out[0]
            })
        });
    }
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(30)
}

criterion_group! {
    name = benches;
    config = config();
    targets = frame, kernels
}
criterion_main!(benches);
