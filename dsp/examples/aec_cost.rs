//! Cost and output of the echo canceller, for comparing two builds of the vendored sonora
//! (vendor/README.md): one binary built before a change, one after, run alternately.
//!
//! ```text
//! cargo run --release -p dsp --example aec_cost -- time [--rate 16|48] [--filter-ms N] [--runs N]
//! cargo run --release -p dsp --example aec_cost -- dump DIR
//! cargo run --release -p dsp --example aec_cost -- compare OLD_DIR NEW_DIR
//! ```
//! `time`: median wall time per 10 ms call over 20 s of the generated pop case (+10 dB echo,
//! 10 ms delay, converged from 2 s on), one median per run (the machine is shared: take the
//! median of the runs), and the median of the runs' 10th percentiles (the calls that were
//! neither preempted nor slowed much by the other load). `dump`: the full and linear outputs (f32, little endian) of every
//! channel case of data/aec/ at 16 kHz with the default configuration (150 ms filter, linear
//! output), and the full output at 48 kHz. `compare`: per output, the largest difference, how
//! far the difference lies below the output, and the ERLE over 2-7 s of both.

use std::path::{Path, PathBuf};

use dsp::aec::{AecConfig, AecRate, EchoCanceller};

mod common;
use common::{db, energy, read_wav, to_16k};

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/aec")
}

/// The channel cases of data/aec/cases.tsv.
fn cases() -> Vec<String> {
    let table =
        std::fs::read_to_string(data().join("cases.tsv")).expect("run scripts/gen-test-audio.sh");
    table
        .lines()
        .skip(1)
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|f| f[1] == "channel")
        .map(|f| f[0].to_string())
        .collect()
}

/// (full, linear) outputs of the default canceller at `rate` over a whole case; `times`
/// receives the wall time of each call, us.
fn run(
    rate: AecRate,
    filter_ms: u32,
    mic: &[f32],
    reference: &[f32],
    times: &mut Vec<f64>,
) -> (Vec<f32>, Vec<f32>) {
    let cfg = AecConfig {
        linear_output: true,
        filter_length_ms: filter_ms,
        ..AecConfig::new(rate)
    };
    let mut aec = EchoCanceller::new(cfg).unwrap();
    let n = rate.frame_len();
    let (mut full, mut lin) = (vec![0.0f32; mic.len()], Vec::new());
    let mut l = [0.0f32; dsp::aec::LINEAR_LEN];
    for (i, (m, r)) in mic
        .chunks_exact(n)
        .zip(reference.chunks_exact(n))
        .enumerate()
    {
        let t = std::time::Instant::now();
        aec.process(m, r, &mut full[i * n..(i + 1) * n]).unwrap();
        times.push(t.elapsed().as_secs_f64() * 1e6);
        aec.linear_output(&mut l);
        lin.extend_from_slice(&l);
    }
    (full, lin)
}

fn case(name: &str, rate: AecRate) -> (Vec<f32>, Vec<f32>) {
    let mic = read_wav(&data().join(format!("{name}-mic.wav")));
    let reference = read_wav(&data().join(format!("{name}-ref.wav")));
    match rate {
        AecRate::Hz16000 => (to_16k(&mic), to_16k(&reference)),
        AecRate::Hz48000 => (mic, reference),
    }
}

fn time(args: &[String]) {
    let opt = |k: &str, d: u32| {
        args.iter()
            .position(|a| a == k)
            .map_or(d, |i| args[i + 1].parse().unwrap())
    };
    let rate = if opt("--rate", 16) == 48 {
        AecRate::Hz48000
    } else {
        AecRate::Hz16000
    };
    let (filter_ms, runs) = (opt("--filter-ms", 150), opt("--runs", 5));
    let (mic, reference) = case("ch-pop-esr10-d10", rate);
    // 20 s: the 14 s case, then its first 6 s again.
    let n = rate.hz() as usize * 20;
    let cycle = |x: &[f32]| x.iter().cycle().take(n).copied().collect::<Vec<_>>();
    let (mic, reference) = (cycle(&mic), cycle(&reference));
    let (mut medians, mut p10s) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let mut times = Vec::new();
        run(rate, filter_ms, &mic, &reference, &mut times);
        let mut t = times.split_off(200);
        t.sort_by(f64::total_cmp);
        medians.push(t[t.len() / 2]);
        p10s.push(t[t.len() / 10]);
    }
    let list: Vec<String> = medians.iter().map(|m| format!("{m:.1}")).collect();
    medians.sort_by(f64::total_cmp);
    p10s.sort_by(f64::total_cmp);
    println!(
        "{} kHz, {filter_ms} ms filter: median per 10 ms call {:.1} us (runs: {}), 10th percentile {:.1} us",
        rate.hz() / 1000,
        medians[medians.len() / 2],
        list.join(" "),
        p10s[p10s.len() / 2]
    );
}

fn write_f32(path: &Path, x: &[f32]) {
    let bytes: Vec<u8> = x.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(path, bytes).unwrap();
}

fn read_f32(path: &Path) -> Vec<f32> {
    std::fs::read(path)
        .unwrap()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

fn dump(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    for name in cases() {
        let (mic, reference) = case(&name, AecRate::Hz16000);
        let (full, lin) = run(AecRate::Hz16000, 150, &mic, &reference, &mut Vec::new());
        write_f32(&dir.join(format!("{name}-16k-full.f32")), &full);
        write_f32(&dir.join(format!("{name}-16k-linear.f32")), &lin);
        write_f32(&dir.join(format!("{name}-16k-mic.f32")), &mic);
        println!("{name}: 16 kHz");
    }
    let name = "ch-pop-esr10-d10";
    let (mic, reference) = case(name, AecRate::Hz48000);
    let (full, _) = run(AecRate::Hz48000, 150, &mic, &reference, &mut Vec::new());
    write_f32(&dir.join(format!("{name}-48k-full.f32")), &full);
    write_f32(&dir.join(format!("{name}-48k-mic.f32")), &mic);
    println!("{name}: 48 kHz");
}

fn compare(old: &Path, new: &Path) {
    println!("output\tmax |difference|\tdifference below output, dB\tERLE 2-7 s old\tnew");
    let mut files: Vec<_> = std::fs::read_dir(old)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|f| !f.ends_with("-mic.f32"))
        .collect();
    files.sort();
    for f in files {
        let (a, b) = (read_f32(&old.join(&f)), read_f32(&new.join(&f)));
        let rate = if f.contains("-48k-") {
            48_000.0
        } else {
            16_000.0
        };
        let mic_name = format!("{}-mic.f32", f.rsplit_once('-').unwrap().0);
        let mic = read_f32(&old.join(mic_name));
        let max = a
            .iter()
            .zip(&b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0f32, f32::max);
        let diff: f64 = a
            .iter()
            .zip(&b)
            .map(|(x, y)| f64::from(x - y).powi(2))
            .sum();
        let seg = |x: &[f32]| energy(&x[(2.0 * rate) as usize..(7.0 * rate) as usize]);
        println!(
            "{f}\t{max:.3e}\t{}\t{:.2}\t{:.2}",
            if diff == 0.0 {
                "identical".to_string()
            } else {
                format!("{:.1}", db(energy(&a), diff))
            },
            db(seg(&mic), seg(&a)),
            db(seg(&mic), seg(&b))
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("time") => time(&args[1..]),
        Some("dump") => dump(Path::new(&args[1])),
        Some("compare") => compare(Path::new(&args[1]), Path::new(&args[2])),
        _ => eprintln!("usage: aec_cost time [--rate 16|48] [--filter-ms N] [--runs N] | dump DIR | compare OLD NEW"),
    }
}
