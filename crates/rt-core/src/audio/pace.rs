//! Real-time pacing for sources that return at once (files, ALSA's file/null plugins).

use std::time::Duration;

use engine_base::now_ns;
use nix::errno::Errno;
use nix::sys::time::TimeSpec;
use nix::time::{clock_nanosleep, ClockId, ClockNanosleepFlags};

/// Sleeps until period `index` is due, `period` apart from `start_ns`.
#[derive(Debug, Clone, Copy)]
pub struct Pacer {
    start_ns: u64,
    period: Duration,
}

impl Pacer {
    /// A pacer whose period 0 is due now. Real-time safe.
    pub fn new(period: Duration) -> Self {
        Self {
            start_ns: now_ns(),
            period,
        }
    }

    /// Capture time of the first sample of period `index`.
    pub fn due_ns(&self, index: u64) -> u64 {
        self.start_ns + index * self.period.as_nanos() as u64
    }

    /// Blocks until period `index` has been "captured" (its end is due), like a device read.
    /// A blocking call standing in for the ALSA read (clock_nanosleep, absolute); no
    /// allocation.
    pub fn wait_for(&self, index: u64) {
        let due = Duration::from_nanos(self.due_ns(index + 1));
        let ts = TimeSpec::from_duration(due);
        while let Err(Errno::EINTR) = clock_nanosleep(
            ClockId::CLOCK_MONOTONIC,
            ClockNanosleepFlags::TIMER_ABSTIME,
            &ts,
        ) {}
    }
}
