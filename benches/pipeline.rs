//! Cost of each pipeline stage per 10 ms period, and of the whole chain per period.
//!
//! Budget reference: one period is 10 ms; the default budget is 50 % (5 ms). Divide a time by
//! 10 ms for the percent of real time on one core. `cargo bench --bench pipeline` takes about
//! a minute (short measurement windows are set below).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use dsp::aec::{AecConfig, AecRate, EchoCanceller, AEC3_FILTER_LENGTH_MS};
use dsp::codec::{OpusBitrate, OpusEncoder, MAX_PACKET};
use dsp::denoise::Denoiser;
use dsp::resample::Decimator;
use dsp::vad::{EndOfSpeech, VadConfig};
use dsp::{BLOCK_16K, FRAME_48K, OPUS_FRAME_16K};
use engine_base::messages::{Command, Outbound};
use rt_core::options::PipelineOptions;
use rt_core::pipeline::{Pipeline, StageTimes};
use rt_core::telemetry::Telemetry;

/// A second of speech-like test signal at 48 kHz (harmonics with a moving pitch, and noise).
fn signal() -> Vec<i16> {
    let mut x: u64 = 99;
    (0..48_000)
        .map(|i| {
            let t = i as f32 / 48_000.0;
            let f0 = 120.0 + 30.0 * (2.0 * std::f32::consts::PI * 3.0 * t).sin();
            let mut s = 0.0;
            for h in 1..8 {
                s += (2.0 * std::f32::consts::PI * f0 * h as f32 * t).sin() / h as f32;
            }
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let n = ((x >> 40) as f32 / (1u64 << 23) as f32 - 1.0) * 300.0;
            (s * 4000.0 + n) as i16
        })
        .collect()
}

fn stages(c: &mut Criterion) {
    let sig = signal();
    let chunks: Vec<[f32; FRAME_48K]> = sig
        .chunks_exact(FRAME_48K)
        .map(|c| {
            let mut f = [0.0f32; FRAME_48K];
            dsp::i16_to_f32(c, &mut f);
            f
        })
        .collect();
    let mut g = c.benchmark_group("stage per 10 ms period");

    let mut k = 0;
    let mut out = [0.0f32; FRAME_48K];
    g.bench_function("convert i16->f32", |b| {
        b.iter(|| {
            k = (k + 1) % chunks.len();
            dsp::i16_to_f32(
                black_box(&sig[k * FRAME_48K..(k + 1) * FRAME_48K]),
                &mut out,
            );
        })
    });

    let mut den = Denoiser::new(true);
    g.bench_function("denoise (nnnoiseless 48 kHz)", |b| {
        b.iter(|| {
            k = (k + 1) % chunks.len();
            den.process(black_box(&chunks[k]), &mut out);
        })
    });

    let mut dec = Decimator::new();
    let mut o16 = [0.0f32; BLOCK_16K];
    g.bench_function("resample 48->16 kHz", |b| {
        b.iter(|| {
            k = (k + 1) % chunks.len();
            dec.process(black_box(&chunks[k]), &mut o16);
        })
    });

    // Echo cancellation (AEC3) at both rates it can run at: the mic is the signal plus the echo
    // of a reference (the signal 20 periods earlier, halved, 20 ms late), so it works as it
    // would while music plays.
    // Also with the default 150 ms filter (`[aec] filter_length_ms`; AEC3's default is 52).
    // Comparing two builds of the vendored sonora on a shared machine: criterion's figures
    // move with the load; `dsp/examples/aec_cost.rs time` run alternately under SCHED_FIFO
    // does not (docs/echo-cancellation.md).
    for (rate, filter_ms) in [
        (AecRate::Hz48000, AEC3_FILTER_LENGTH_MS),
        (AecRate::Hz48000, 150),
        (AecRate::Hz16000, AEC3_FILTER_LENGTH_MS),
        (AecRate::Hz16000, 150),
    ] {
        let mut dec_m = Decimator::new();
        let mut dec_r = Decimator::new();
        let pairs: Vec<(Vec<f32>, Vec<f32>)> = (0..chunks.len())
            .map(|i| {
                let at = |j: usize| &chunks[(j + chunks.len()) % chunks.len()];
                let reference = at(i + chunks.len() - 20);
                let echo_of = at(i + chunks.len() - 22);
                let mic: Vec<f32> = chunks[i]
                    .iter()
                    .zip(echo_of.iter())
                    .map(|(s, e)| 0.3 * s + 0.5 * e)
                    .collect();
                if rate == AecRate::Hz16000 {
                    let (mut m, mut r) = ([0.0f32; BLOCK_16K], [0.0f32; BLOCK_16K]);
                    dec_m.process(mic.as_slice().try_into().unwrap(), &mut m);
                    dec_r.process(reference, &mut r);
                    (m.to_vec(), r.to_vec())
                } else {
                    (mic, reference.to_vec())
                }
            })
            .collect();
        let mut aec = EchoCanceller::new(AecConfig {
            filter_length_ms: filter_ms,
            ..AecConfig::new(rate)
        })
        .unwrap();
        let mut cancelled = vec![0.0f32; rate.frame_len()];
        let name = if filter_ms == AEC3_FILTER_LENGTH_MS {
            format!("echo cancel (AEC3 {} kHz)", rate.hz() / 1000)
        } else {
            format!(
                "echo cancel (AEC3 {} kHz, {filter_ms} ms filter)",
                rate.hz() / 1000
            )
        };
        g.bench_function(name.as_str(), |b| {
            b.iter(|| {
                k = (k + 1) % pairs.len();
                let (m, r) = &pairs[k];
                aec.process(black_box(m), black_box(r), &mut cancelled)
                    .unwrap();
            })
        });
    }

    let mut vad = EndOfSpeech::new(VadConfig::default());
    g.bench_function("end-of-speech VAD", |b| {
        b.iter(|| black_box(vad.process(black_box(&o16))))
    });

    // One 20 ms frame every other period: half an encode per period on average.
    let mut enc = OpusEncoder::new(OpusBitrate::Kbps32, 4).unwrap();
    let mut dec2 = Decimator::new();
    let mut all16 = Vec::new();
    for ch in &chunks {
        dec2.process(ch, &mut o16);
        all16.extend_from_slice(&o16);
    }
    let frames: Vec<[f32; OPUS_FRAME_16K]> = all16
        .chunks_exact(OPUS_FRAME_16K)
        .map(|c| {
            let mut f = [0.0f32; OPUS_FRAME_16K];
            f.copy_from_slice(c);
            f
        })
        .collect();
    let mut pkt = [0u8; MAX_PACKET];
    g.bench_function("opus encode one 20 ms frame (complexity 4)", |b| {
        b.iter(|| {
            k = (k + 1) % frames.len();
            black_box(enc.encode(black_box(&frames[k]), &mut pkt).unwrap())
        })
    });
    g.finish();
}

fn whole_chain(c: &mut Criterion) {
    let sig = signal();
    let tel = Telemetry::new();
    let mut g = c.benchmark_group("whole chain per 10 ms period");
    for (name, always, aec) in [
        ("streaming (denoise + resample + encode)", true, false),
        ("idle gate", false, false),
        ("streaming with echo cancellation (AEC3 16 kHz)", true, true),
    ] {
        let cfg = PipelineOptions {
            aec: aec.then(rt_core::aec::AecOptions::default),
            ..PipelineOptions::default()
        };
        let mut p = Pipeline::new(&cfg, 48_000, None, always).unwrap();
        let (mut tx, mut rx) = rtrb::RingBuffer::<Outbound>::new(4096);
        let mut times = StageTimes::default();
        let mut k = 0;
        g.bench_function(name, |b| {
            b.iter(|| {
                let n = sig.len() / FRAME_48K;
                k = (k + 1) % n;
                // With AEC, the signal 50 ms earlier is the reference (its echo is in `sig`).
                let r = (k + n - 5) % n;
                p.process_chunk_with_reference(
                    black_box(&sig[k * FRAME_48K..(k + 1) * FRAME_48K]),
                    aec.then(|| &sig[r * FRAME_48K..(r + 1) * FRAME_48K]),
                    0,
                    u64::MAX,
                    &mut tx,
                    &tel,
                    &mut times,
                );
                while rx.pop().is_ok() {}
                if always && !p.gate().streaming() {
                    // The utterance limit closed the stream: open the next one.
                    p.command(Command::Tap, &mut tx, &tel);
                }
            })
        });
    }
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
}

criterion_group! {
    name = benches;
    config = config();
    targets = stages, whole_chain
}
criterion_main!(benches);
