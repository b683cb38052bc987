//! The few PCM calls the read loop makes, behind a trait so that recovery can be tested
//! without a sound card (the real implementation is `alsa::pcm::PCM`).

use alsa::pcm::{State, PCM};

/// A capture PCM as the read loop sees it. Errors are negative-errno style codes
/// (`EPIPE` for an xrun, `ESTRPIPE` for a suspend, ...).
pub trait CapturePcm: Send {
    /// Reads interleaved frames into `buf`; returns frames read. May block.
    fn readi(&mut self, buf: &mut [i16]) -> Result<usize, i32>;
    /// snd_pcm_prepare.
    fn prepare(&mut self) -> Result<(), i32>;
    /// snd_pcm_resume (EAGAIN while still suspended).
    fn resume(&mut self) -> Result<(), i32>;
    /// snd_pcm_start, when not already running.
    fn start_if_stopped(&mut self);
    /// Frames captured but not yet read (snd_pcm_delay), when known.
    fn delay(&mut self) -> Option<i64>;
}

impl CapturePcm for PCM {
    fn readi(&mut self, buf: &mut [i16]) -> Result<usize, i32> {
        // SAFETY: the format was set to S16_LE in `open::open` (hw_params accepted it), so i16
        // is the right sample type, and this IO object is dropped at the end of the call: no
        // other IO object exists for the PCM at the same time.
        let io = unsafe { self.io_unchecked::<i16>() };
        io.readi(buf).map_err(|e| e.errno())
    }

    fn prepare(&mut self) -> Result<(), i32> {
        PCM::prepare(self).map_err(|e| e.errno())
    }

    fn resume(&mut self) -> Result<(), i32> {
        PCM::resume(self).map_err(|e| e.errno())
    }

    fn start_if_stopped(&mut self) {
        if self.state() != State::Running {
            let _ = self.start();
        }
    }

    fn delay(&mut self) -> Option<i64> {
        PCM::delay(self).ok()
    }
}
