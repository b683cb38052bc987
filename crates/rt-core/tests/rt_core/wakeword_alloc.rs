//! Does the wake-word detector allocate after warm-up, the TFLite C runtime included?
//!
//! The test builds an LD_PRELOAD shim (crates/rt-core/tests/rt_core/alloc_shim.c) that counts
//! malloc/calloc/realloc/free/memalign calls of one thread between two markers, re-runs this
//! test binary under it, and reads the counts the child prints. The child first checks that
//! the shim sees a deliberate allocation (so the test can fail), then measures, after warm-up:
//! the front end, the direct detector's `process` (front end + TFLite invoke + decision) over
//! speech with a detection, and the real-time side of the threaded detector (`process`,
//! `reset`). The counts are printed; the real-time-side guarantees are asserted.

use std::path::PathBuf;
use std::process::Command;

use dsp::features::FrontEnd;
use dsp::wakeword::WakeWordDetector;
use dsp::BLOCK_16K;
use rt_core::wakeword::{build_detector, MicroWakeWord};
use rt_core::wakeword::{WakeWordOptions, WakeWordPlacement};
use test_support::wakeword::*;

const CHILD_ENV: &str = "AMA_WW_ALLOC_CHILD";

fn build_shim(dir: &std::path::Path) -> PathBuf {
    let src = root().join("crates/rt-core/tests/rt_core/alloc_shim.c");
    let out = dir.join("libwwalloc.so");
    let status = Command::new("cc")
        .args(["-shared", "-fPIC", "-O2", "-o"])
        .arg(&out)
        .arg(&src)
        .status()
        .expect("run cc (build-essential)");
    assert!(status.success(), "building the allocation shim failed");
    out
}

#[test]
fn detector_allocations_after_warm_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    let shim = build_shim(dir.path());
    let out = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            &test_support::test_name(module_path!(), "child_count_allocations"),
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, "1")
        .env("LD_PRELOAD", &shim)
        .output()
        .expect("run the child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let count = |name: &str| -> u64 {
        stdout
            .lines()
            .find_map(|l| l.split_once(&format!("ALLOCS {name} ")).map(|(_, n)| n))
            .unwrap_or_else(|| panic!("child did not report {name}:\n{stdout}"))
            .trim()
            .parse()
            .expect("count")
    };
    let control = count("control");
    let front_end = count("front_end");
    let direct = count("direct_process");
    let invokes = count("direct_invokes");
    let rt_side = count("threaded_process");
    let rt_reset = count("threaded_reset");
    println!(
        "allocations after warm-up: control {control} (must be > 0), front end {front_end}, \
         direct detector {direct} over {invokes} model invocations, threaded real-time side: \
         process {rt_side}, reset {rt_reset}"
    );
    assert!(
        control > 0,
        "the shim does not see allocations: the measurement is void"
    );
    assert_eq!(front_end, 0, "the front end allocates");
    assert_eq!(
        rt_side, 0,
        "the threaded detector's process allocates on the RT side"
    );
    assert_eq!(
        rt_reset, 0,
        "the threaded detector's reset allocates on the RT side"
    );
    assert!(
        invokes > 100,
        "too few model invocations measured: {invokes}"
    );
    // The direct detector's count decides its placement (ARCHITECTURE.md records it): the
    // default may only be the real-time thread if the runtime does not allocate.
    assert!(
        direct == 0 || WakeWordOptions::default().placement == WakeWordPlacement::OwnThread,
        "the direct detector allocates ({direct} calls) but the default placement is realtime"
    );
}

/// The measuring half; only meaningful under the shim (run by the test above).
#[test]
#[ignore = "run by detector_allocations_after_warm_up under LD_PRELOAD"]
fn child_count_allocations() {
    assert!(
        std::env::var_os(CHILD_ENV).is_some(),
        "run through detector_allocations_after_warm_up"
    );
    // SAFETY: dlsym with RTLD_DEFAULT and NUL-terminated names; a null result is checked.
    let (begin, end) = unsafe {
        let b = libc::dlsym(libc::RTLD_DEFAULT, c"ww_count_begin".as_ptr());
        let e = libc::dlsym(libc::RTLD_DEFAULT, c"ww_count_end".as_ptr());
        assert!(
            !b.is_null() && !e.is_null(),
            "the allocation shim is not preloaded"
        );
        (b, e)
    };
    // SAFETY: the shim defines these with exactly these C signatures.
    let begin: extern "C" fn() = unsafe { std::mem::transmute(begin) };
    // SAFETY: as above.
    let end: extern "C" fn() -> u64 = unsafe { std::mem::transmute(end) };

    begin();
    let v: Vec<u8> = Vec::with_capacity(std::hint::black_box(1000));
    drop(std::hint::black_box(v));
    println!("ALLOCS control {}", end());

    // Speech with a wake word in it, looped: 3 s of warm-up, then 20 s measured.
    let label_dir = installed("data/wakeword");
    let audio = read_wav(&label_dir.join("pos-en-gb-x-rp_m3-s165-p40-clean.wav"));
    let blocks: Vec<[f32; BLOCK_16K]> = audio
        .chunks_exact(BLOCK_16K)
        .map(|c| {
            let mut b = [0f32; BLOCK_16K];
            dsp::i16_to_f32(c, &mut b);
            b
        })
        .collect();
    let feed = |n: usize| blocks.iter().cycle().take(n).enumerate();

    let mut fe = FrontEnd::new();
    let pcm: Vec<[i16; BLOCK_16K]> = blocks
        .iter()
        .map(|b| {
            let mut p = [0i16; BLOCK_16K];
            dsp::f32_to_i16(b, &mut p);
            p
        })
        .collect();
    for p in pcm.iter().take(300) {
        fe.process(p);
    }
    begin();
    for p in pcm.iter().cycle().take(2000) {
        std::hint::black_box(fe.process(p));
    }
    println!("ALLOCS front_end {}", end());

    let cfg = WakeWordOptions {
        model: installed("models/alexa.json"),
        runtime: installed("models/libtensorflowlite_c.so"),
        placement: WakeWordPlacement::Realtime,
        ..WakeWordOptions::default()
    };
    let mut direct = MicroWakeWord::from_options(&cfg).expect("detector");
    for (i, b) in feed(300) {
        direct.process((i * BLOCK_16K) as u64, b);
    }
    let (mut invokes, mut detections) = (0u64, 0u64);
    begin();
    for (i, b) in feed(2000) {
        let r = direct.process_block(((300 + i) * BLOCK_16K) as u64, b);
        invokes += u64::from(r.probability.is_some());
        detections += u64::from(r.detection.is_some());
    }
    println!("ALLOCS direct_process {}", end());
    println!("ALLOCS direct_invokes {invokes}");
    println!("ALLOCS direct_detections {detections}");

    let mut threaded = build_detector(&WakeWordOptions {
        placement: WakeWordPlacement::OwnThread,
        ..cfg
    })
    .expect("threaded detector");
    for (i, b) in feed(50) {
        threaded.process((i * BLOCK_16K) as u64, b);
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    begin();
    for (i, b) in feed(1000) {
        threaded.process(((50 + i) * BLOCK_16K) as u64, b);
        std::thread::sleep(std::time::Duration::from_micros(500));
    }
    println!("ALLOCS threaded_process {}", end());
    begin();
    threaded.reset();
    threaded.process(0, &blocks[0]);
    println!("ALLOCS threaded_reset {}", end());
}
