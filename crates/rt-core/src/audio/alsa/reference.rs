//! The echo canceller's reference from a second capture device (`[aec] reference = "device"`,
//! e.g. an snd-aloop capture of what is played), read on the real-time thread **without
//! blocking**: the microphone's read paces the loop, and the reference device, on another
//! clock, is drained of whatever it has into a small FIFO each period, from which one period
//! is taken. The FIFO is primed to [`TARGET_PERIODS`] before it is used (zeros until then), so
//! the bursts in which devices deliver do not starve it; a FIFO that runs dry (the reference
//! clock slower, or the device stalled) gives what it has plus zeros and primes again; one that
//! grows past [`MAX_PERIODS`] (the reference clock faster) drops its oldest period. Every such
//! event is counted (`Telemetry::reference_*`); the delay worker measures the remaining delay
//! and the drift in ppm, and AEC3 follows the small jumps.
//!
//! **Guarantees**: everything is allocated in [`ReferenceCapture::with_pcm`]; `read` is real-time
//! safe (non-blocking ALSA calls only, no allocation). With `pace` (test mode: alsa-lib's
//! `file` plugin returns at once and never runs dry) exactly one period is read per call, so a
//! file-backed reference stays sample-aligned with a file-backed microphone.

use nix::errno::Errno;

use super::pcm::CapturePcm;
use crate::telemetry::Telemetry;

/// FIFO level, in periods, to which it is primed before use (and after running dry).
pub const TARGET_PERIODS: usize = 2;
/// FIFO level, in periods, above which the oldest period is dropped.
pub const MAX_PERIODS: usize = 4;
/// FIFO capacity, in periods.
const CAPACITY_PERIODS: usize = MAX_PERIODS + 2;

/// The reference device and its FIFO. See the module doc.
pub struct ReferenceCapture<P: CapturePcm> {
    pcm: P,
    channels: usize,
    period: usize,
    pace: bool,
    /// Interleaved read buffer (one period).
    raw: Vec<i16>,
    /// Mono FIFO (ring) and its read position and length.
    fifo: Vec<i16>,
    head: usize,
    len: usize,
    primed: bool,
    started: bool,
}

impl<P: CapturePcm> ReferenceCapture<P> {
    /// Wraps an opened (non-blocking, prepared) PCM of `channels` channels (reduced to mono by
    /// averaging) read `period` frames at a time. Not real-time safe (allocates).
    pub fn with_pcm(pcm: P, channels: usize, period: usize, pace: bool) -> Self {
        Self {
            pcm,
            channels: channels.max(1),
            period,
            pace,
            raw: vec![0; period * channels.max(1)],
            fifo: vec![0; period * CAPACITY_PERIODS],
            head: 0,
            len: 0,
            primed: false,
            started: false,
        }
    }

    /// Frames waiting in the FIFO.
    pub fn buffered(&self) -> usize {
        self.len
    }

    /// Drains the device (at most one period with `pace`), then writes one period of the
    /// reference into `out` (`period` samples). Real-time safe; never blocks.
    pub fn read(&mut self, out: &mut [i16], tel: &Telemetry) {
        self.drain(tel);
        if self.len > MAX_PERIODS * self.period {
            self.skip(self.period);
            Telemetry::add(&tel.reference_dropped_frames, self.period as u64);
        }
        if !self.primed && self.len >= TARGET_PERIODS * self.period.min(out.len()) {
            self.primed = true;
        }
        let n = if self.primed {
            self.len.min(out.len())
        } else {
            0
        };
        let cap = self.fifo.len();
        for (i, o) in out.iter_mut().take(n).enumerate() {
            *o = self.fifo[(self.head + i) % cap];
        }
        out[n..].fill(0);
        self.skip(n);
        if self.primed && n < out.len() {
            Telemetry::add(&tel.reference_missing_frames, (out.len() - n) as u64);
            self.primed = false;
        }
    }

    fn skip(&mut self, n: usize) {
        let n = n.min(self.len);
        self.head = (self.head + n) % self.fifo.len();
        self.len -= n;
    }

    fn drain(&mut self, tel: &Telemetry) {
        let cap = self.fifo.len();
        // With `pace` one period per call; else whatever the device has, a period at a time,
        // while the FIFO has room for it.
        let reads = if self.pace { 1 } else { CAPACITY_PERIODS };
        for _ in 0..reads {
            if cap - self.len < self.period {
                return;
            }
            if !self.started {
                self.pcm.start_if_stopped();
                self.started = true;
            }
            let frames = match self.pcm.readi(&mut self.raw) {
                Ok(0) => return,
                Ok(n) => n,
                Err(errno) => {
                    self.recover(errno, tel);
                    return;
                }
            };
            let tail = (self.head + self.len) % cap;
            for (k, f) in self
                .raw
                .chunks_exact(self.channels)
                .take(frames)
                .enumerate()
            {
                let sum: i32 = f.iter().map(|&s| i32::from(s)).sum();
                self.fifo[(tail + k) % cap] = (sum / self.channels as i32) as i16;
            }
            self.len += frames;
            if frames < self.period {
                return;
            }
        }
    }

    /// Non-blocking read errors: EAGAIN is "nothing yet"; xruns and suspends are recovered
    /// (prepare, restart on the next read) and counted.
    fn recover(&mut self, errno: i32, tel: &Telemetry) {
        match Errno::from_raw(errno) {
            Errno::EAGAIN | Errno::EINTR => return,
            Errno::ESTRPIPE if self.pcm.resume().is_ok() => return,
            _ => Telemetry::bump(&tel.reference_xruns),
        }
        let _ = self.pcm.prepare();
        self.started = false;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use super::*;

    /// Delivers the frames of its script, one entry per `readi` (0: EAGAIN), as a ramp.
    struct Script {
        reads: Vec<Result<usize, i32>>,
        next: i16,
        prepares: u32,
    }

    impl CapturePcm for Script {
        fn readi(&mut self, buf: &mut [i16]) -> Result<usize, i32> {
            if self.reads.is_empty() {
                return Err(Errno::EAGAIN as i32);
            }
            let n = self.reads.remove(0)?.min(buf.len());
            for s in &mut buf[..n] {
                *s = self.next;
                self.next += 1;
            }
            Ok(n)
        }
        fn prepare(&mut self) -> Result<(), i32> {
            self.prepares += 1;
            Ok(())
        }
        fn resume(&mut self) -> Result<(), i32> {
            Err(Errno::ENOSYS as i32)
        }
        fn start_if_stopped(&mut self) {}
        fn delay(&mut self) -> Option<i64> {
            None
        }
    }

    fn capture(reads: Vec<Result<usize, i32>>, pace: bool) -> ReferenceCapture<Script> {
        let pcm = Script {
            reads,
            next: 1,
            prepares: 0,
        };
        ReferenceCapture::with_pcm(pcm, 1, 4, pace)
    }

    #[test]
    fn primes_then_hands_out_periods_in_order() {
        let tel = Telemetry::new();
        // Bursts of two periods every other call.
        let mut c = capture(vec![Ok(4), Ok(4), Err(Errno::EAGAIN as i32)], false);
        let mut out = [0i16; 4];
        c.read(&mut out, &tel);
        assert_eq!(out, [1, 2, 3, 4], "two periods buffered: primed at once");
        c.read(&mut out, &tel);
        assert_eq!(out, [5, 6, 7, 8]);
        assert_eq!(tel.reference_missing_frames.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn running_dry_gives_zeros_counts_them_and_primes_again() {
        let tel = Telemetry::new();
        let mut c = capture(vec![Ok(4), Ok(4)], false);
        let mut out = [0i16; 4];
        c.read(&mut out, &tel);
        c.read(&mut out, &tel);
        c.read(&mut out, &tel);
        assert_eq!(out, [0; 4]);
        assert_eq!(tel.reference_missing_frames.load(Ordering::Relaxed), 4);
        // One period arrives: not enough to prime again.
        c.pcm.reads = vec![Ok(4)];
        c.read(&mut out, &tel);
        assert_eq!(out, [0; 4]);
        assert_eq!(c.buffered(), 4);
    }

    #[test]
    fn a_faster_reference_drops_its_oldest_period() {
        let tel = Telemetry::new();
        // A burst of six periods at once.
        let mut c = capture(vec![Ok(4); 12], false);
        let mut out = [0i16; 4];
        c.read(&mut out, &tel);
        assert_eq!(tel.reference_dropped_frames.load(Ordering::Relaxed), 4);
        assert!(c.buffered() <= MAX_PERIODS * 4);
        assert_eq!(out, [5, 6, 7, 8], "the oldest period went");
    }

    #[test]
    fn paced_reads_take_one_period_per_call_and_xruns_are_recovered() {
        let tel = Telemetry::new();
        let mut c = capture(vec![Ok(4), Err(Errno::EPIPE as i32), Ok(4), Ok(4)], true);
        let mut out = [0i16; 4];
        c.read(&mut out, &tel);
        assert_eq!(out, [0; 4], "priming");
        c.read(&mut out, &tel);
        assert_eq!(tel.reference_xruns.load(Ordering::Relaxed), 1);
        assert_eq!(c.pcm.prepares, 1);
        c.read(&mut out, &tel);
        assert_eq!(out, [1, 2, 3, 4]);
        assert_eq!(c.buffered(), 4);
    }
}
