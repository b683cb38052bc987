//! The engine's clock: CLOCK_MONOTONIC in nanoseconds.
//!
//! **Guarantees**: [`now_ns`] is real-time safe (a vDSO `clock_gettime`, no allocation, no
//! lock, no system call on Linux). Code that takes decisions on time (the gate's soft
//! deadline) reads it through the [`Clock`] trait, so tests can inject a clock they move by
//! hand.

use nix::time::{clock_gettime, ClockId};

/// Monotonic clock in ns (CLOCK_MONOTONIC). Real-time safe.
pub fn now_ns() -> u64 {
    // CLOCK_MONOTONIC always exists on Linux; an error cannot happen with a valid clock id.
    clock_gettime(ClockId::CLOCK_MONOTONIC).map_or(0, |ts| {
        ts.tv_sec() as u64 * 1_000_000_000 + ts.tv_nsec() as u64
    })
}

/// A source of monotonic time in ns. Implementations must be real-time safe.
pub trait Clock: Send {
    /// The current time, ns on a monotonic timeline. Real-time safe.
    fn now_ns(&self) -> u64;
}

/// The system's CLOCK_MONOTONIC ([`now_ns`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MonotonicClock;

impl Clock for MonotonicClock {
    fn now_ns(&self) -> u64 {
        now_ns()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monotonic_clock_does_not_go_back() {
        let a = MonotonicClock.now_ns();
        let b = now_ns();
        assert!(a > 0 && b >= a);
    }
}
