//! Real-time pacing for sources that return at once (files, ALSA's file/null plugins).

use std::time::Duration;

/// Monotonic clock in ns. Real-time safe (vDSO clock_gettime).
pub fn now_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_MONOTONIC always exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

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
    /// A blocking call standing in for the ALSA read; no allocation.
    pub fn wait_for(&self, index: u64) {
        let due = self.due_ns(index + 1);
        let ts = libc::timespec {
            tv_sec: (due / 1_000_000_000) as libc::time_t,
            tv_nsec: (due % 1_000_000_000) as libc::c_long,
        };
        loop {
            // SAFETY: `ts` is a valid timespec; a null remainder is allowed with TIMER_ABSTIME.
            let rc = unsafe {
                libc::clock_nanosleep(
                    libc::CLOCK_MONOTONIC,
                    libc::TIMER_ABSTIME,
                    &ts,
                    std::ptr::null_mut(),
                )
            };
            if rc != libc::EINTR {
                break;
            }
        }
    }
}
