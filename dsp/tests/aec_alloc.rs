//! `EchoCanceller::process` allocates nothing once built, at 16 and 48 kHz, with an echo to
//! converge on, a double-talk stretch, a silent reference, a changed external delay (an echo
//! path change) and the ERLE/delay getters; nor does `DelayEstimator::push`. Counted with a
//! global allocator that counts the allocations and frees of the calling thread (the test
//! harness runs other tests on other threads). A free counts too: AEC3's comfort-noise
//! generator freed its start-up noise estimate after 1000 blocks (4 s), now patched.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use dsp::aec::delay::{DelayConfig, DelayEstimator};
use dsp::aec::{AecConfig, AecRate, EchoCanceller};

struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: the thread-local may already be gone while a thread shuts down.
    let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: every method forwards to the system allocator with the caller's arguments; counting
// touches only a const-initialised thread-local `Cell` (no allocation, no reentrancy).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: forwarded unchanged; the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: as above; `ptr` came from this allocator, which is `System`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count();
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs() -> u64 {
    ALLOCS.with(Cell::get)
}

/// Deterministic noise in [-0.5, 0.5).
struct Lcg(u32);
impl Lcg {
    fn next(&mut self) -> f32 {
        self.0 = self.0.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (self.0 >> 8) as f32 / 16_777_216.0 - 0.5
    }
}

fn run(rate: AecRate) {
    let n = rate.frame_len();
    let mut aec = EchoCanceller::new(AecConfig::new(rate)).unwrap();
    let mut rng = Lcg(7);
    // 30 ms of bulk delay and a short two-tap room, in a history of reference frames.
    let d = 3 * n;
    let mut history = vec![0.0f32; d + n + 2];
    let mut mic = vec![0.0f32; n];
    let mut reference = vec![0.0f32; n];
    let mut out = vec![0.0f32; n];
    let mut per_call_max = 0;
    let mut total = 0;
    let frames = 700;
    for f in 0..frames {
        let silent = (300..340).contains(&f);
        let talk = (150..250).contains(&f);
        for r in reference.iter_mut() {
            *r = if silent { 0.0 } else { 8_000.0 * rng.next() };
        }
        history.copy_within(n.., 0);
        let len = history.len();
        history[len - n..].copy_from_slice(&reference);
        for (i, m) in mic.iter_mut().enumerate() {
            let at = len - n + i;
            *m = 0.5 * history[at - d] + 0.2 * history[at - d - 2] + rng.next();
            if talk {
                *m += 3_000.0 * (i as f32 * 0.07).sin();
            }
        }
        if f == 400 {
            aec.set_reference_delay_ms(20);
        }
        let before = allocs();
        aec.process(&mic, &reference, &mut out).unwrap();
        let _ = (aec.erle_db(), aec.erl_db(), aec.delay_ms());
        let a = allocs() - before;
        per_call_max = per_call_max.max(a);
        total += a;
    }
    assert_eq!(
        (total, per_call_max),
        (0, 0),
        "{rate:?}: {total} allocations in {frames} calls"
    );
}

#[test]
fn process_allocates_nothing_at_16k() {
    run(AecRate::Hz16000);
}

#[test]
fn process_allocates_nothing_at_48k() {
    run(AecRate::Hz48000);
}

#[test]
fn delay_estimator_push_allocates_nothing() {
    let mut est = DelayEstimator::new(DelayConfig {
        window_ms: 250,
        hop_ms: 100,
        max_delay_ms: 100,
        drift_span_s: 1,
        drift_min_span_s: 0,
        ..DelayConfig::default()
    })
    .unwrap();
    let mut rng = Lcg(5);
    let mut history = vec![0.0f32; 16_000];
    let mut total = 0;
    let mut estimates = 0;
    for _ in 0..300 {
        let reference: Vec<f32> = (0..160).map(|_| 8_000.0 * rng.next()).collect();
        history.copy_within(160.., 0);
        let len = history.len();
        history[len - 160..].copy_from_slice(&reference);
        let mic: Vec<f32> = history[len - 160 - 800..len - 800].to_vec();
        let before = allocs();
        estimates += usize::from(est.push(&mic, &reference).is_some());
        let _ = (est.delay_ms(), est.drift_ppm());
        total += allocs() - before;
    }
    assert!(estimates > 20, "{estimates} estimates");
    assert_eq!(est.delay_ms().map(f32::round), Some(50.0));
    assert!(est.drift_ppm().is_some());
    assert_eq!(total, 0, "{total} allocations in push");
}

#[test]
fn the_counter_counts() {
    let before = allocs();
    let v = std::hint::black_box(vec![1u8; 64]);
    assert!(allocs() > before);
    drop(v);
}
