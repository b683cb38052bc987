//! The integration tests of rt-core, one test binary: the real-time loop under the allocation
//! guard, and the wake-word runtime against the installed model and the Python references.
//! `scripts/test.sh` also runs `realtime_alloc` and `wakeword_input_choice` in a release build.

/// The allocation guard: the real-time loop runs inside `assert_no_alloc`, and with this
/// allocator any allocation there is counted (its counter is per thread, so the other tests of
/// this binary do not disturb it).
#[global_allocator]
static ALLOC: assert_no_alloc::AllocDisabler = assert_no_alloc::AllocDisabler;

mod playback_cutoff;
mod realtime_alloc;
mod wakeword_alloc;
mod wakeword_detector;
mod wakeword_errors;
mod wakeword_features;
mod wakeword_input_choice;
mod wakeword_pipeline_16k;
