//! Tuning bench for the echo canceller on the generated set (`scripts/gen-test-audio.d/aec.sh`,
//! data/aec/): per case, ERLE of the linear filter and of the full output over the echo-only
//! stretch 2-7 s, when each first reached 20 dB (0.5 s windows), and the near-end SI-SDR
//! (mic, linear output, full output) over the talk. Not a test: prints figures.
//!
//! ```text
//! cargo run --release -p dsp --example aec_tune -- [--filter-ms N] [--hint-ms N] [--tuning NAME] [CASE...]
//! ```
//! `--tuning`: `default`, or one of the variants in [`tune`]. CASE `synth`: white noise through
//! a synthetic room (`SYNTH_RT60_MS`); `long`: the first two minutes of data/aec-long/.

use std::path::Path;

use dsp::aec::{AecConfig, AecRate, EchoCanceller};
use dsp::BLOCK_16K;

mod common;
use common::{db, energy, read_wav, to_16k};

/// Scale-invariant SDR of `est` against `target`, dB.
fn si_sdr(est: &[f32], target: &[f32]) -> f64 {
    let dot: f64 = est
        .iter()
        .zip(target)
        .map(|(a, b)| f64::from(*a) * f64::from(*b))
        .sum();
    let a = dot / energy(target).max(1e-9);
    let err: f64 = est
        .iter()
        .zip(target)
        .map(|(e, t)| (f64::from(*e) - a * f64::from(*t)).powi(2))
        .sum();
    db(a * a * energy(target), err)
}

/// Lags searched for the SI-SDR, samples.
const LAGS: i64 = 4;

/// Suppressor variants tried against the default.
fn tune(name: &str) -> impl FnOnce(&mut sonora::config::EchoCanceller3Config) + '_ {
    move |c| match name {
        "default" => {}
        // Dominant near-end: enter earlier, leave later.
        "nearend" => {
            let d = &mut c.suppressor.dominant_nearend_detection;
            d.enr_threshold = 0.1;
            d.snr_threshold = 10.0;
            d.hold_duration = 100;
            d.trigger_threshold = 6;
        }
        // Gentler masks in both tunings.
        "masks" => {
            for t in [
                &mut c.suppressor.normal_tuning,
                &mut c.suppressor.nearend_tuning,
            ] {
                t.mask_lf.enr_transparent *= 2.0;
                t.mask_lf.enr_suppress *= 2.0;
                t.mask_hf.enr_transparent *= 2.0;
                t.mask_hf.enr_suppress *= 2.0;
            }
        }
        "both" => {
            tune("nearend")(c);
            tune("masks")(c);
        }
        // Trust the linear filter more: higher ERLE ceilings.
        "erle" => {
            c.erle.max_l = 8.0;
            c.erle.max_h = 3.0;
        }
        "all" => {
            tune("both")(c);
            tune("erle")(c);
        }
        // The start-up filters as long as the final ones.
        "init" => {
            c.filter.refined_initial.length_blocks = c.filter.refined.length_blocks;
            c.filter.coarse_initial.length_blocks = c.filter.coarse.length_blocks;
        }
        // Adapt on quieter reference too.
        "gate" => {
            for g in [
                &mut c.filter.refined.noise_gate,
                &mut c.filter.refined_initial.noise_gate,
                &mut c.filter.coarse.noise_gate,
                &mut c.filter.coarse_initial.noise_gate,
            ] {
                *g /= 100.0;
            }
        }
        "leak" => {
            c.filter.refined.leakage_converged = 0.0;
            c.filter.refined.leakage_diverged = 0.0;
        }
        // Upstream: no adaptation during sustained tones (the wrapper adapts).
        "gated" => c.filter.gate_adaptation_on_narrow_bands = true,
        other => panic!("unknown tuning {other}"),
    }
}

struct Args {
    filter_ms: u32,
    hint_ms: u32,
    tuning: String,
    cases: Vec<String>,
}

fn args() -> Args {
    let mut a = Args {
        filter_ms: dsp::aec::AEC3_FILTER_LENGTH_MS,
        hint_ms: 0,
        tuning: "default".into(),
        cases: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(s) = it.next() {
        match s.as_str() {
            "--filter-ms" => a.filter_ms = it.next().unwrap().parse().unwrap(),
            "--hint-ms" => a.hint_ms = it.next().unwrap().parse().unwrap(),
            "--tuning" => a.tuning = it.next().unwrap(),
            _ => a.cases.push(s),
        }
    }
    a
}

/// White noise through a direct path at 10 ms and a 30 ms tail, no near end, no noise: how
/// far AEC3's linear filter gets in the easiest case.
fn synthetic(a: &Args) {
    let n = 16_000 * 8;
    let mut seed = 1u32;
    let mut rnd = move || {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (seed >> 8) as f32 / 16_777_216.0 - 0.5
    };
    let reference: Vec<f32> = (0..n).map(|_| 8000.0 * rnd()).collect();
    // RT60 from SYNTH_RT60_MS (default 30), the tail carrying half the direct path's energy as
    // in aec.sh.
    let t60: f32 = std::env::var("SYNTH_RT60_MS").map_or(30.0, |v| v.parse().unwrap()) * 16.0;
    let amp = (0.5f32 * 13.8 / t60).sqrt() * 3.0f32.sqrt();
    let h: Vec<f32> = (0..160 + t60 as usize)
        .map(|k| match k {
            0..160 => 0.0,
            160 => 0.5,
            _ if k < 166 => 0.0,
            _ => 0.5 * amp * 2.0 * rnd() * (-6.9 * (k as f32 - 160.0) / t60).exp(),
        })
        .collect();
    let mic: Vec<f32> = (0..n)
        .map(|i| {
            (0..h.len().min(i + 1))
                .map(|k| h[k] * reference[i - k])
                .sum::<f32>()
                + rnd() * 0.8
        })
        .collect();
    let cfg = AecConfig {
        linear_output: true,
        filter_length_ms: a.filter_ms,
        ..AecConfig::new(AecRate::Hz16000)
    };
    let mut aec = EchoCanceller::with_tuning(cfg, tune(&a.tuning)).unwrap();
    let (mut full, mut lin) = (vec![0.0f32; n], vec![0.0f32; n]);
    for (i, (m, r)) in mic
        .chunks_exact(160)
        .zip(reference.chunks_exact(160))
        .enumerate()
    {
        let o = i * 160;
        aec.process(m, r, &mut full[o..o + 160]).unwrap();
        aec.linear_output(&mut lin[o..o + 160]);
    }
    for t in 0..8 {
        let (x, y) = (t * 16_000 + 200, (t + 1) * 16_000 - 200);
        println!(
            "synthetic {t}-{} s: linear {:.1} dB, full {:.1} dB",
            t + 1,
            db(energy(&mic[x..y]), energy(&lin[x + 64..y + 64])),
            db(energy(&mic[x..y]), energy(&full[x + 128..y + 128]))
        );
    }
}

/// Runs a canceller over whole signals: (full output, linear output), both aligned with the
/// input, and the median time per 10 ms call, us.
fn run(a: &Args, mic: &[f32], reference: &[f32]) -> (Vec<f32>, Vec<f32>, f64) {
    let cfg = AecConfig {
        delay_hint_ms: a.hint_ms,
        linear_output: true,
        filter_length_ms: a.filter_ms,
        ..AecConfig::new(AecRate::Hz16000)
    };
    let mut aec = EchoCanceller::with_tuning(cfg, tune(&a.tuning)).unwrap();
    let mut full = vec![0.0f32; mic.len()];
    let mut lin = vec![0.0f32; mic.len()];
    let mut times = Vec::with_capacity(mic.len() / BLOCK_16K);
    for (i, (m, r)) in mic
        .chunks_exact(BLOCK_16K)
        .zip(reference.chunks_exact(BLOCK_16K))
        .enumerate()
    {
        let o = i * BLOCK_16K;
        let t = std::time::Instant::now();
        aec.process(m, r, &mut full[o..o + BLOCK_16K]).unwrap();
        times.push(t.elapsed().as_secs_f64() * 1e6);
        aec.linear_output(&mut lin[o..o + BLOCK_16K]);
    }
    times.sort_by(f64::total_cmp);
    // The full output lags by the canceller's latency; the linear output leaves AEC3 one
    // block (64 samples) earlier (measured: best SI-SDR lag).
    let lat = AecRate::Hz16000.latency_samples();
    full.drain(..lat);
    lin.drain(..lat - 64);
    (full, lin, times[times.len() / 2])
}

/// data/aec-long/ (scripts/gen-test-audio.d/aec-long.sh, 16 kHz, echo only): linear and full
/// ERLE over stretches of its first two minutes (pop, then radio news over a song).
fn long(a: &Args) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/aec-long");
    let mic = read_wav(&root.join("echo.wav"));
    let reference = read_wav(&root.join("programme.wav"));
    let n = 120 * 16_000;
    let (full, lin, us) = run(a, &mic[..n], &reference[..n]);
    println!("long: median {us:.0} us per 10 ms");
    for (x, y) in [
        (0, 2),
        (2, 5),
        (5, 10),
        (10, 30),
        (30, 60),
        (60, 90),
        (90, 119),
    ] {
        let (x, y) = (x * 16_000, y * 16_000);
        println!(
            "  {}-{} s: linear {:.1} dB, full {:.1} dB",
            x / 16_000,
            y / 16_000,
            db(energy(&mic[x..y]), energy(&lin[x..y])),
            db(energy(&mic[x..y]), energy(&full[x..y]))
        );
    }
}

fn main() {
    let a = args();
    if a.cases.iter().any(|c| c == "synth") {
        return synthetic(&a);
    }
    if a.cases.iter().any(|c| c == "long") {
        return long(&a);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/aec");
    let table =
        std::fs::read_to_string(root.join("cases.tsv")).expect("run scripts/gen-test-audio.sh");
    println!(
        "filter {} ms, hint {} ms, tuning {}",
        a.filter_ms, a.hint_ms, a.tuning
    );
    println!(
        "case\tERLE lin 2-7 s\t5-7.5\t12-14\tERLE full 2-7 s\tt20 lin\tt20 full\t\
         DT ERLE lin\tfull\tSI-SDR mic\tlin\tfull\tus/10ms"
    );
    for line in table.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        let name = f[0];
        if f[1] != "channel" || (!a.cases.is_empty() && !a.cases.iter().any(|c| c == name)) {
            continue;
        }
        let (s0, s1) = (
            f[7].parse::<usize>().unwrap() / 3,
            f[8].parse::<usize>().unwrap() / 3,
        );
        let mic = to_16k(&read_wav(&root.join(format!("{name}-mic.wav"))));
        let near = to_16k(&read_wav(&root.join(format!("{name}-near.wav"))));
        let reference = to_16k(&read_wav(&root.join(format!("{name}-ref.wav"))));
        let (full, lin, us) = run(&a, &mic, &reference);
        // The target: the talker through the same capture path with nothing played (AEC3's
        // high-pass filter shifts the phase of the voice's fundamentals, which the waveform
        // metrics would count as distortion: SI-SDR 0.4-1.9 dB against the raw take).
        let silence = vec![0.0f32; near.len()];
        let (near_full, near_lin, _) = run(&a, &near, &silence);
        let seg = |x: &[f32], a: f64, b: f64| energy(&x[(a * 16e3) as usize..(b * 16e3) as usize]);
        let erle_lin = db(seg(&mic, 2.0, 7.0), seg(&lin, 2.0, 7.0));
        let erle_full = db(seg(&mic, 2.0, 7.0), seg(&full, 2.0, 7.0));
        let late_lin = db(seg(&mic, 5.0, 7.5), seg(&lin, 5.0, 7.5));
        let end_lin = db(seg(&mic, 12.0, 13.8), seg(&lin, 12.0, 13.8));
        let t20 = |x: &[f32]| {
            (0..14)
                .map(|k| k as f64 * 0.5)
                .find(|&t| db(seg(&mic, t, t + 0.5), seg(x, t, t + 0.5)) >= 20.0)
                .map_or("never".to_string(), |t| format!("{t:.1}"))
        };
        let s1 = s1.min(full.len()).min(near_full.len());
        let sdr = |x: &[f32], target: &[f32]| {
            let (v, l) = (-LAGS..=LAGS)
                .map(|l| {
                    let a = (s0 as i64 + l).max(0) as usize;
                    let b = (a + s1 - s0).min(x.len());
                    (si_sdr(&x[a..b], &target[s0..s0 + b - a]), l)
                })
                .fold((f64::MIN, 0), |m, v| if v.0 > m.0 { v } else { m });
            if l == 0 {
                format!("{v:.1}")
            } else {
                format!("{v:.1}@{l}")
            }
        };
        // ERLE in double talk: P(mic - near) / P(out - near through the capture path).
        let dt = |x: &[f32], target: &[f32]| {
            let r: f64 = (s0..s1).map(|i| f64::from(x[i] - target[i]).powi(2)).sum();
            let m: f64 = (s0..s1).map(|i| f64::from(mic[i] - near[i]).powi(2)).sum();
            db(m, r)
        };
        println!(
            "{name}\t{erle_lin:.1}\t{late_lin:.1}\t{end_lin:.1}\t{erle_full:.1}\t{}\t{}\t{:.1}\t{:.1}\t{}\t{}\t{}\t{us:.0}",
            t20(&lin),
            t20(&full),
            dt(&lin, &near_lin),
            dt(&full, &near_full),
            sdr(&mic, &near),
            sdr(&lin, &near_lin),
            sdr(&full, &near_full),
        );
    }
}
