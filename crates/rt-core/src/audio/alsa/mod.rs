//! Real ALSA capture through the `alsa` crate. The only module that knows ALSA.
//!
//! Split by job: [`mixer`] is a playback volume control (ducking, application side only);
//! [`open`] negotiates the device before the loop; [`pcm`] is the handful of
//! PCM calls the loop makes; this file reads periods and recovers from xruns (-EPIPE:
//! prepare, restart) and suspends (-ESTRPIPE: resume, else prepare), counting each; neither is
//! fatal. Recovery is tested with a double of [`CapturePcm`] (no sound card here).

mod fault;
pub mod mixer;
mod open;
mod pcm;
pub mod reference;

use alsa::pcm::PCM;

pub use fault::{FaultPcm, FaultSwitch};
pub use open::{probe, Negotiated};
pub use pcm::CapturePcm;
pub use reference::ReferenceCapture;

use engine_base::now_ns;
use nix::errno::Errno;

use super::pace::Pacer;
use super::{CaptureError, CaptureSource, Period};
use crate::options::{CaptureOptions, StereoMix};
use crate::telemetry::Telemetry;

/// Consecutive failed recoveries after which the device counts as lost.
pub const MAX_FAILED_RECOVERIES: u32 = 50;

/// An open capture device (by default a real ALSA PCM).
pub struct AlsaSource<P: CapturePcm = PCM> {
    pcm: P,
    device: String,
    neg: Negotiated,
    mix: StereoMix,
    /// The period this engine processes (the configured one; ALSA's may differ).
    period: usize,
    /// Interleaved read buffer (period * channels), allocated in `open`.
    raw: Vec<i16>,
    /// The echo reference's channel, and the reference of the period last read.
    reference_channel: Option<usize>,
    ref_buf: Vec<i16>,
    /// `[aec] reference = "device"`: the second capture device (real ALSA only).
    ref_device: Option<ReferenceCapture<PCM>>,
    pacer: Option<Pacer>,
    periods_read: u64,
    started: bool,
}

impl<P: CapturePcm> std::fmt::Debug for AlsaSource<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlsaSource")
            .field("device", &self.device)
            .field("negotiated", &self.neg)
            .finish()
    }
}

impl AlsaSource<PCM> {
    /// Opens and configures the device. Not real-time safe.
    pub fn open(cfg: &CaptureOptions) -> Result<Self, CaptureError> {
        let (pcm, neg) = open::open(cfg)?;
        Self::with_pcm(pcm, neg, cfg).with_reference_device(cfg)
    }

    /// Opens the device with the test-only fault switch around it (`None`: unarmed, every
    /// call forwarded). Not real-time safe.
    pub fn open_with_faults(
        cfg: &CaptureOptions,
        faults: Option<FaultSwitch>,
    ) -> Result<AlsaSource<FaultPcm<PCM>>, CaptureError> {
        let (pcm, neg) = open::open(cfg)?;
        AlsaSource::with_pcm(FaultPcm::new(pcm, faults), neg, cfg).with_reference_device(cfg)
    }
}

impl<P: CapturePcm> AlsaSource<P> {
    /// Wraps an already negotiated PCM (tests use a double). Not real-time safe.
    pub fn with_pcm(pcm: P, neg: Negotiated, cfg: &CaptureOptions) -> Self {
        let period = cfg.period_frames as usize;
        Self {
            pcm,
            device: cfg.device.clone(),
            mix: cfg.stereo_mix,
            period,
            raw: vec![0; period * neg.channels as usize],
            reference_channel: cfg
                .reference_channel
                .map(|c| c as usize)
                .filter(|&c| c < neg.channels as usize),
            ref_buf: vec![0; period],
            ref_device: None,
            pacer: cfg.pace.then(|| {
                Pacer::new(std::time::Duration::from_nanos(
                    period as u64 * 1_000_000_000 / u64::from(neg.rate),
                ))
            }),
            neg,
            periods_read: 0,
            started: false,
        }
    }

    /// Opens `cfg.reference_device`, if any, at the microphone's rate and period. Not
    /// real-time safe.
    fn with_reference_device(mut self, cfg: &CaptureOptions) -> Result<Self, CaptureError> {
        if let Some((pcm, neg)) = open::open_reference(cfg)? {
            self.ref_device = Some(ReferenceCapture::with_pcm(
                pcm,
                neg.channels as usize,
                self.period,
                cfg.pace,
            ));
        }
        Ok(self)
    }

    /// What the device accepted.
    pub fn negotiated(&self) -> Negotiated {
        self.neg
    }

    /// Recovers from a read error; counts it. Real-time safe (ALSA calls only).
    fn recover(&mut self, errno: i32, tel: &Telemetry) -> Result<(), i32> {
        match Errno::from_raw(errno) {
            Errno::EPIPE => Telemetry::bump(&tel.xruns),
            Errno::ESTRPIPE => {
                Telemetry::bump(&tel.suspends);
                // Resume fails with EAGAIN while the device is still suspended, and with
                // ENOSYS where it is not supported: prepare then, as snd_pcm_recover does.
                if self.pcm.resume().is_ok() {
                    return Ok(());
                }
            }
            Errno::EINTR | Errno::EAGAIN => return Ok(()),
            _ => Telemetry::bump(&tel.read_errors),
        }
        self.pcm.prepare()?;
        self.started = false;
        Ok(())
    }

    fn reduce_to_mono(&mut self, out: &mut [i16]) {
        if let Some(rc) = self.reference_channel {
            // Loopback: the reference channel apart, the others are the microphone.
            let channels = self.neg.channels as usize;
            let mics = (channels - 1) as i32;
            for ((o, r), f) in out
                .iter_mut()
                .zip(self.ref_buf.iter_mut())
                .zip(self.raw.chunks_exact(channels))
            {
                *r = f[rc];
                let mut first = None;
                let mut sum = 0i32;
                for (c, v) in f.iter().enumerate() {
                    if c != rc {
                        first.get_or_insert(*v);
                        sum += i32::from(*v);
                    }
                }
                *o = match self.mix {
                    StereoMix::First => first.unwrap_or(0),
                    StereoMix::Mix => (sum / mics) as i16,
                };
            }
            return;
        }
        match (self.neg.channels, self.mix) {
            (1, _) => out.copy_from_slice(&self.raw[..out.len()]),
            (_, StereoMix::First) => {
                for (o, f) in out.iter_mut().zip(self.raw.chunks_exact(2)) {
                    *o = f[0];
                }
            }
            (_, StereoMix::Mix) => {
                for (o, f) in out.iter_mut().zip(self.raw.chunks_exact(2)) {
                    *o = ((i32::from(f[0]) + i32::from(f[1])) / 2) as i16;
                }
            }
        }
    }

    /// The device is gone: the loop ends here, so building the error may allocate (permitted
    /// explicitly, so the allocation guard does not count the exit as a loop allocation).
    fn lost(&self, errno: i32) -> CaptureError {
        assert_no_alloc::permit_alloc(|| CaptureError::Lost {
            device: self.device.clone(),
            message: alsa::Error::new("snd_pcm_readi", errno).to_string(),
        })
    }
}

impl<P: CapturePcm> CaptureSource for AlsaSource<P> {
    fn rate(&self) -> u32 {
        self.neg.rate
    }

    fn period_frames(&self) -> usize {
        self.period
    }

    fn reference(&self) -> Option<&[i16]> {
        (self.reference_channel.is_some() || self.ref_device.is_some()).then_some(&self.ref_buf[..])
    }

    /// Reads one period, looping over partial reads and recovering from faults.
    /// Real-time safe apart from the blocking read (and the pacing sleep with `pace = true`).
    fn read_period(&mut self, buf: &mut [i16], tel: &Telemetry) -> Result<Period, CaptureError> {
        if let Some(p) = &self.pacer {
            p.wait_for(self.periods_read);
        }
        // The null plugin leaves the buffer untouched: never hand on stale samples.
        self.raw.fill(0);
        let channels = self.neg.channels as usize;
        let mut got = 0usize;
        let mut failures = 0u32;
        while got < self.period {
            if !self.started {
                self.pcm.start_if_stopped();
                self.started = true;
            }
            match self
                .pcm
                .readi(&mut self.raw[got * channels..self.period * channels])
            {
                Ok(n) => {
                    got += n;
                    failures = 0;
                }
                Err(errno) => {
                    failures += 1;
                    let recovered = self.recover(errno, tel);
                    if failures >= MAX_FAILED_RECOVERIES {
                        return Err(self.lost(recovered.err().unwrap_or(errno)));
                    }
                }
            }
        }
        self.reduce_to_mono(buf);
        if let Some(r) = &mut self.ref_device {
            r.read(&mut self.ref_buf, tel);
        }
        let capture_ns = match &self.pacer {
            Some(p) => p.due_ns(self.periods_read),
            None => {
                // First sample time = now - (frames still buffered + this period) / rate.
                let delay = self.pcm.delay().unwrap_or(0).max(0) as u64;
                let frames = delay + self.period as u64;
                now_ns().saturating_sub(frames * 1_000_000_000 / u64::from(self.neg.rate))
            }
        };
        self.periods_read += 1;
        Ok(Period::Data { capture_ns })
    }
}

#[cfg(test)]
mod tests;
