//! Wake-word costs per 10 ms period (budget: 50 % of the period = 5 ms by default):
//! - criterion: the front end per block; the direct detector per block (the model runs on
//!   every third block, so the bench feeds blocks in sequence and reports the mean per block);
//!   the real-time side of the threaded detector per block.
//! - a tail measurement: each `process` call of the direct detector timed over 30 000 blocks
//!   (5 minutes of audio), printed as p50 / p99 / p99.9 / max next to the budget.
//!
//! Needs models/ (scripts/setup.sh) and data/wakeword (scripts/gen-test-audio.sh).

use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{black_box, Criterion};
use dsp::features::FrontEnd;
use dsp::wakeword::WakeWordDetector;
use dsp::BLOCK_16K;
use rt_core::wakeword::{build_detector, MicroWakeWord, WakeWordOptions, WakeWordPlacement};

const BUDGET: Duration = Duration::from_millis(5);

fn audio() -> Vec<[f32; BLOCK_16K]> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/wakeword/pos-en-gb-x-rp_m3-s165-p40-snr10.wav");
    let mut r = hound::WavReader::open(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run scripts/gen-test-audio.sh)", path.display()));
    let s: Vec<i16> = r.samples::<i16>().map(|s| s.unwrap_or(0)).collect();
    s.chunks_exact(BLOCK_16K)
        .map(|c| {
            let mut b = [0f32; BLOCK_16K];
            dsp::i16_to_f32(c, &mut b);
            b
        })
        .collect()
}

fn config(placement: WakeWordPlacement) -> WakeWordOptions {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    WakeWordOptions {
        model: root.join("models/alexa.json"),
        runtime: root.join("models/libtensorflowlite_c.so"),
        placement,
        ..WakeWordOptions::default()
    }
}

fn benches(c: &mut Criterion, blocks: &[[f32; BLOCK_16K]]) {
    let pcm: Vec<[i16; BLOCK_16K]> = blocks
        .iter()
        .map(|b| {
            let mut p = [0i16; BLOCK_16K];
            dsp::f32_to_i16(b, &mut p);
            p
        })
        .collect();
    let mut fe = FrontEnd::new();
    let mut i = 0usize;
    c.bench_function("wakeword/front_end per 10 ms block", |b| {
        b.iter(|| {
            i = (i + 1) % pcm.len();
            black_box(fe.process(&pcm[i]).is_some())
        })
    });

    let mut det = MicroWakeWord::from_options(&config(WakeWordPlacement::Realtime))
        .expect("detector (run scripts/setup.sh)");
    let mut n = 0u64;
    c.bench_function("wakeword/detector per 10 ms block (model every 3rd)", |b| {
        b.iter(|| {
            let blk = &blocks[(n as usize) % blocks.len()];
            n += 1;
            black_box(det.process(n * BLOCK_16K as u64, blk))
        })
    });

    let mut threaded =
        build_detector(&config(WakeWordPlacement::OwnThread)).expect("threaded detector");
    let mut m = 0u64;
    c.bench_function("wakeword/threaded real-time side per block", |b| {
        b.iter(|| {
            let blk = &blocks[(m as usize) % blocks.len()];
            m += 1;
            black_box(threaded.process(m * BLOCK_16K as u64, blk))
        })
    });
}

fn tail(blocks: &[[f32; BLOCK_16K]]) {
    let mut det =
        MicroWakeWord::from_options(&config(WakeWordPlacement::Realtime)).expect("detector");
    let n = 30_000usize;
    let mut all = Vec::with_capacity(n);
    let mut invoked = Vec::with_capacity(n / 3 + 1);
    for i in 0..n + 300 {
        let blk = &blocks[i % blocks.len()];
        let t = Instant::now();
        let r = det.process_block((i * BLOCK_16K) as u64, blk);
        let dt = t.elapsed();
        if i >= 300 {
            all.push(dt);
            if r.probability.is_some() {
                invoked.push(dt);
            }
        }
    }
    let show = |name: &str, v: &mut Vec<Duration>| {
        v.sort();
        let p = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
        println!(
            "{name}: n {}, p50 {:?}, p99 {:?}, p99.9 {:?}, max {:?} (budget {BUDGET:?} = 50 % of 10 ms; p99.9 = {:.1} % of budget)",
            v.len(),
            p(0.5),
            p(0.99),
            p(0.999),
            v[v.len() - 1],
            100.0 * p(0.999).as_secs_f64() / BUDGET.as_secs_f64()
        );
    };
    show("wakeword/direct process, every block", &mut all);
    show(
        "wakeword/direct process, blocks that run the model",
        &mut invoked,
    );
}

fn main() {
    let blocks = audio();
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c, &blocks);
    c.final_summary();
    tail(&blocks);
}
