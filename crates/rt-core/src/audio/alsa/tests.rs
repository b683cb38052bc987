//! Recovery of the read loop, with a double of the PCM that injects faults.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;

use super::*;

/// What the double does on each `readi` call, in order; then it delivers a ramp forever.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// Deliver this many frames of the ramp.
    Frames(usize),
    /// Fail with this errno.
    Fail(i32),
}

struct FakePcm {
    steps: VecDeque<Step>,
    channels: usize,
    next: i16,
    prepares: u32,
    resumes: u32,
    /// Resume succeeds only after this many attempts (EAGAIN before).
    resume_after: u32,
    prepare_fails: bool,
}

impl FakePcm {
    fn new(steps: &[Step], channels: usize) -> Self {
        Self {
            steps: steps.iter().copied().collect(),
            channels,
            next: 0,
            prepares: 0,
            resumes: 0,
            resume_after: 0,
            prepare_fails: false,
        }
    }

    fn deliver(&mut self, buf: &mut [i16], frames: usize) -> usize {
        let frames = frames.min(buf.len() / self.channels);
        for f in buf.chunks_exact_mut(self.channels).take(frames) {
            for (c, s) in f.iter_mut().enumerate() {
                *s = self.next + c as i16 * 1000;
            }
            self.next = self.next.wrapping_add(1);
        }
        frames
    }
}

impl CapturePcm for FakePcm {
    fn readi(&mut self, buf: &mut [i16]) -> Result<usize, i32> {
        match self.steps.pop_front() {
            Some(Step::Frames(n)) => Ok(self.deliver(buf, n)),
            Some(Step::Fail(e)) => Err(e),
            None => Ok(self.deliver(buf, usize::MAX)),
        }
    }
    fn prepare(&mut self) -> Result<(), i32> {
        self.prepares += 1;
        if self.prepare_fails {
            Err(Errno::ENODEV as i32)
        } else {
            Ok(())
        }
    }
    fn resume(&mut self) -> Result<(), i32> {
        self.resumes += 1;
        if self.resumes > self.resume_after {
            Ok(())
        } else {
            Err(Errno::EAGAIN as i32)
        }
    }
    fn start_if_stopped(&mut self) {}
    fn delay(&mut self) -> Option<i64> {
        Some(0)
    }
}

fn source(pcm: FakePcm, channels: u32, mix: StereoMix) -> AlsaSource<FakePcm> {
    let cfg = CaptureOptions {
        stereo_mix: mix,
        ..CaptureOptions::default()
    };
    let neg = Negotiated {
        rate: 48_000,
        channels,
        period_frames: 480,
        buffer_frames: 1920,
    };
    AlsaSource::with_pcm(pcm, neg, &cfg)
}

fn read(src: &mut AlsaSource<FakePcm>, tel: &Telemetry) -> Vec<i16> {
    let mut buf = vec![0i16; 480];
    match src.read_period(&mut buf, tel).expect("read") {
        Period::Data { .. } => buf,
        Period::Ended => panic!("ALSA sources never end"),
    }
}

#[test]
fn partial_reads_fill_the_period_in_order() {
    let pcm = FakePcm::new(&[Step::Frames(100), Step::Frames(300), Step::Frames(80)], 1);
    let mut src = source(pcm, 1, StereoMix::First);
    let tel = Telemetry::new();
    let got = read(&mut src, &tel);
    assert!(got.iter().enumerate().all(|(i, s)| *s == i as i16));
}

#[test]
fn an_xrun_is_prepared_counted_and_reading_goes_on() {
    let pcm = FakePcm::new(&[Step::Frames(200), Step::Fail(Errno::EPIPE as i32)], 1);
    let mut src = source(pcm, 1, StereoMix::First);
    let tel = Telemetry::new();
    let first = read(&mut src, &tel);
    assert_eq!(first.len(), 480);
    assert_eq!(tel.xruns.load(Ordering::Relaxed), 1);
    assert_eq!(src.pcm.prepares, 1);
    let second = read(&mut src, &tel);
    assert_eq!(second[0], 480, "capture continues after the xrun");
}

#[test]
fn a_suspend_resumes_and_falls_back_to_prepare() {
    // Resume works: no prepare.
    let pcm = FakePcm::new(&[Step::Fail(Errno::ESTRPIPE as i32)], 1);
    let mut src = source(pcm, 1, StereoMix::First);
    let tel = Telemetry::new();
    read(&mut src, &tel);
    assert_eq!(tel.suspends.load(Ordering::Relaxed), 1);
    assert_eq!((src.pcm.resumes, src.pcm.prepares), (1, 0));
    // Resume says EAGAIN: prepare instead.
    let mut pcm = FakePcm::new(&[Step::Fail(Errno::ESTRPIPE as i32)], 1);
    pcm.resume_after = 5;
    let mut src = source(pcm, 1, StereoMix::First);
    read(&mut src, &tel);
    assert_eq!(tel.suspends.load(Ordering::Relaxed), 2);
    assert_eq!(src.pcm.prepares, 1);
}

#[test]
fn other_errors_are_counted_and_a_dead_device_is_lost_not_a_hang() {
    let mut pcm = FakePcm::new(&vec![Step::Fail(Errno::EIO as i32); 200], 1);
    pcm.prepare_fails = true;
    let mut src = source(pcm, 1, StereoMix::First);
    let tel = Telemetry::new();
    let mut buf = vec![0i16; 480];
    let err = src.read_period(&mut buf, &tel).expect_err("must give up");
    assert!(matches!(err, CaptureError::Lost { .. }), "{err}");
    assert_eq!(
        tel.read_errors.load(Ordering::Relaxed),
        u64::from(MAX_FAILED_RECOVERIES)
    );
}

#[test]
fn stereo_only_devices_are_reduced_to_mono() {
    let tel = Telemetry::new();
    let mut first = source(FakePcm::new(&[], 2), 2, StereoMix::First);
    let got = read(&mut first, &tel);
    assert!(got.iter().enumerate().all(|(i, s)| *s == i as i16));
    let mut mix = source(FakePcm::new(&[], 2), 2, StereoMix::Mix);
    let got = read(&mut mix, &tel);
    // Channel 1 is channel 0 + 1000: the mix is the mean.
    assert!(got.iter().enumerate().all(|(i, s)| *s == i as i16 + 500));
}
