//! A WAV file as a capture source (simulate, tests): 16-bit PCM, mono, 16 or 48 kHz; or, for
//! echo cancellation, two channels (microphone, reference: the loopback channel) or a mono
//! microphone plus a second mono file as the reference (a second device).
//!
//! **Streamed**: [`WavSource::open`] reads only the header; each period is read from the file
//! when the loop asks for it (hound parses the header; the sample bytes are then read in
//! blocks into a stack buffer through a 64 KiB `BufReader`), so memory does not grow with the
//! input's length. That read is the source's blocking call, the counterpart of the ALSA read;
//! it allocates nothing. Only a failed read allocates, for its error message, and the loop
//! ends there. The last partial period is padded with silence;
//! then the source ends. A reference file is cut or padded with silence to the microphone's
//! length.

use std::fs::File;
use std::io::{BufReader, Cursor, Read};
use std::path::Path;

use engine_base::messages::Command;
use engine_base::now_ns;

use crate::telemetry::Telemetry;

use super::pace::Pacer;
use super::{CaptureError, CaptureSource, Period};

/// Bytes buffered per file between reads (0.68 s of 48 kHz mono).
const READ_BUFFER: usize = 64 * 1024;
/// Bytes converted per step of [`Input::read_frames`] (a stack buffer; a whole number of
/// 1- and 2-channel sample frames).
const READ_BLOCK: usize = 4096;

/// A scripted command at a source sample position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scripted {
    /// Source sample index (at the file's rate) before which the command is delivered.
    pub at_sample: u64,
    pub command: Command,
}

/// One WAV stream being read: the reader positioned in the data chunk, and what is left of it.
struct Input {
    reader: Box<dyn Read + Send>,
    /// Sample frames in the file, from its header.
    frames: usize,
    /// Bytes of sample data not read yet.
    remaining: usize,
    channels: usize,
    /// For error messages.
    path: String,
}

impl Input {
    /// Opens `path` (header only) and checks it: 16-bit PCM, `channels` channels, 16 or
    /// 48 kHz. Returns the input and its rate. Not real-time safe.
    fn open(path: &Path, channels: u16) -> Result<(Self, u32), CaptureError> {
        let file = File::open(path).map_err(|e| file_error(path, e.to_string()))?;
        let reader: Box<dyn Read + Send> = Box::new(BufReader::with_capacity(READ_BUFFER, file));
        Self::new(reader, path, channels)
    }

    /// `samples` (mono) as an in-memory WAV, read through the same reader as a file. Not
    /// real-time safe.
    fn in_memory(samples: &[i16], rate: u32) -> Result<(Self, u32), CaptureError> {
        let name = Path::new("<memory>");
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut bytes = Cursor::new(Vec::with_capacity(44 + samples.len() * 2));
        let mut w =
            hound::WavWriter::new(&mut bytes, spec).map_err(|e| file_error(name, e.to_string()))?;
        for &s in samples {
            w.write_sample(s)
                .map_err(|e| file_error(name, e.to_string()))?;
        }
        w.finalize().map_err(|e| file_error(name, e.to_string()))?;
        bytes.set_position(0);
        Self::new(Box::new(bytes), name, 1)
    }

    fn new(
        reader: Box<dyn Read + Send>,
        path: &Path,
        channels: u16,
    ) -> Result<(Self, u32), CaptureError> {
        let err = |message: String| file_error(path, message);
        let reader = hound::WavReader::new(reader).map_err(|e| err(e.to_string()))?;
        let spec = reader.spec();
        if spec.sample_format != hound::SampleFormat::Int || spec.bits_per_sample != 16 {
            return Err(err(format!(
                "{}-bit {:?} samples; 16-bit PCM is required",
                spec.bits_per_sample, spec.sample_format
            )));
        }
        if spec.channels != channels {
            return Err(err(format!(
                "{} channels; {} required",
                spec.channels,
                if channels == 1 {
                    "mono is".to_owned()
                } else {
                    format!("{channels} channels (microphone, reference) are")
                }
            )));
        }
        if spec.sample_rate != 16_000 && spec.sample_rate != 48_000 {
            return Err(err(format!(
                "{} Hz; 16000 or 48000 Hz is required",
                spec.sample_rate
            )));
        }
        let frames = reader.duration() as usize;
        let input = Self {
            frames,
            remaining: frames * 2 * usize::from(channels),
            reader: reader.into_inner(),
            channels: usize::from(channels),
            path: path.display().to_string(),
        };
        Ok((input, spec.sample_rate))
    }

    /// Sample frames (samples per channel) in the file, from its header.
    fn frames(&self) -> usize {
        self.frames
    }

    /// Reads up to `mic.len()` sample frames: channel `mic_channel` into `mic` and, when
    /// given, channel `ref_channel` into `reference` (at least as long as `mic`). Returns the
    /// frames read: fewer than `mic.len()` only at the end of the file. Real-time safe but for
    /// the blocking read (and the message of a failed one).
    fn read_frames(
        &mut self,
        mic: &mut [i16],
        mic_channel: usize,
        mut reference: Option<(&mut [i16], usize)>,
    ) -> Result<usize, CaptureError> {
        let frame_bytes = 2 * self.channels;
        let mut bytes = [0u8; READ_BLOCK];
        let mut done = 0;
        while done < mic.len() {
            let frames = (mic.len() - done).min(READ_BLOCK / frame_bytes);
            let want = (frames * frame_bytes).min(self.remaining);
            let got = read_full(&mut self.reader, &mut bytes[..want]).map_err(|e| {
                CaptureError::File {
                    path: self.path.clone(),
                    message: format!("read failed: {e}"),
                }
            })?;
            if got < want {
                return Err(CaptureError::File {
                    path: self.path.clone(),
                    message: format!(
                        "read failed: the file ends {} bytes before its header's length",
                        self.remaining - got
                    ),
                });
            }
            self.remaining -= got;
            let sample =
                |frame: &[u8], ch: usize| i16::from_le_bytes([frame[2 * ch], frame[2 * ch + 1]]);
            for (k, frame) in bytes[..got].chunks_exact(frame_bytes).enumerate() {
                mic[done + k] = sample(frame, mic_channel);
                if let Some((r, rc)) = reference.as_mut() {
                    if let Some(x) = r.get_mut(done + k) {
                        *x = sample(frame, *rc);
                    }
                }
            }
            done += got / frame_bytes;
            if got < frames * frame_bytes {
                // The data ends here; a partial last frame counts as the end.
                return Ok(done);
            }
        }
        Ok(mic.len())
    }
}

/// Reads until `buf` is full or the reader ends; returns the bytes read. Real-time safe but
/// for the blocking read.
fn read_full(reader: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match reader.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

fn file_error(path: &Path, message: String) -> CaptureError {
    CaptureError::File {
        path: path.display().to_string(),
        message,
    }
}

/// Where the echo canceller's reference comes from.
enum Reference {
    None,
    /// This channel of the microphone's (2-channel) file.
    Channel(usize),
    /// A second mono file or in-memory signal.
    Separate(Input),
}

/// Capture from a WAV file, streamed.
pub struct WavSource {
    input: Input,
    /// Channel of `input` that is the microphone.
    mic_channel: usize,
    reference: Reference,
    /// The reference of the period last read.
    ref_buf: Vec<i16>,
    /// Sample frames in the microphone input.
    len: usize,
    rate: u32,
    period: usize,
    periods_read: u64,
    pacer: Option<Pacer>,
    start_ns: u64,
    script: Vec<Scripted>,
    next_script: usize,
}

impl std::fmt::Debug for WavSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WavSource")
            .field("path", &self.input.path)
            .field("rate", &self.rate)
            .field("len", &self.len)
            .field("periods_read", &self.periods_read)
            .finish_non_exhaustive()
    }
}

impl WavSource {
    /// Opens `path` (mono). `realtime` paces reads to the clock. Not real-time safe.
    pub fn open(path: &Path, realtime: bool) -> Result<Self, CaptureError> {
        let (input, rate) = Input::open(path, 1)?;
        Ok(Self::new(input, 0, rate, realtime))
    }

    /// Opens a 2-channel `path`: channel `1 - reference_channel` is the microphone, channel
    /// `reference_channel` (0 or 1) the reference. Not real-time safe.
    pub fn open_with_channel_reference(
        path: &Path,
        reference_channel: usize,
        realtime: bool,
    ) -> Result<Self, CaptureError> {
        let (input, rate) = Input::open(path, 2)?;
        let rc = reference_channel.min(1);
        let mut source = Self::new(input, 1 - rc, rate, realtime);
        source.reference = Reference::Channel(rc);
        source.ref_buf = vec![0; source.period];
        Ok(source)
    }

    /// Opens a mono microphone `path` and a mono reference file `reference` at the same rate
    /// (a second device: not necessarily sample-synchronous). Not real-time safe.
    pub fn open_with_reference_file(
        path: &Path,
        reference: &Path,
        realtime: bool,
    ) -> Result<Self, CaptureError> {
        let (input, rate) = Input::open(path, 1)?;
        let (ref_input, ref_rate) = Input::open(reference, 1)?;
        if ref_rate != rate {
            return Err(file_error(
                reference,
                format!("{ref_rate} Hz; the microphone file is {rate} Hz"),
            ));
        }
        Ok(Self::new(input, 0, rate, realtime).with_reference_input(ref_input))
    }

    /// A source over samples already in memory (tests), read through the same WAV reader as
    /// a file. Not real-time safe.
    pub fn from_samples(
        samples: Vec<i16>,
        rate: u32,
        realtime: bool,
    ) -> Result<Self, CaptureError> {
        let (input, rate) = Input::in_memory(&samples, rate)?;
        Ok(Self::new(input, 0, rate, realtime))
    }

    /// Adds a reference signal held in memory (cut or padded with silence to the
    /// microphone's length). Not real-time safe.
    pub fn with_reference(self, reference: Vec<i16>) -> Result<Self, CaptureError> {
        let (input, _) = Input::in_memory(&reference, self.rate)?;
        Ok(self.with_reference_input(input))
    }

    fn with_reference_input(mut self, input: Input) -> Self {
        self.reference = Reference::Separate(input);
        self.ref_buf = vec![0; self.period];
        self
    }

    fn new(input: Input, mic_channel: usize, rate: u32, realtime: bool) -> Self {
        Self {
            len: input.frames(),
            input,
            mic_channel,
            reference: Reference::None,
            ref_buf: Vec::new(),
            rate,
            period: rate as usize / 100,
            periods_read: 0,
            pacer: realtime.then(|| Pacer::new(std::time::Duration::from_millis(10))),
            start_ns: now_ns(),
            script: Vec::new(),
            next_script: 0,
        }
    }

    /// Adds scripted commands (sorted here). Not real-time safe.
    pub fn with_script(mut self, mut script: Vec<Scripted>) -> Self {
        script.sort_by_key(|s| s.at_sample);
        self.script = script;
        self
    }

    /// Number of samples (per channel) in the microphone input, from the file's header.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the input has no samples.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl CaptureSource for WavSource {
    fn rate(&self) -> u32 {
        self.rate
    }

    fn period_frames(&self) -> usize {
        self.period
    }

    fn read_period(&mut self, buf: &mut [i16], _tel: &Telemetry) -> Result<Period, CaptureError> {
        let n = match self.reference {
            Reference::Channel(rc) => {
                self.input
                    .read_frames(buf, self.mic_channel, Some((&mut self.ref_buf, rc)))?
            }
            _ => self.input.read_frames(buf, self.mic_channel, None)?,
        };
        if n == 0 {
            return Ok(Period::Ended);
        }
        buf[n..].fill(0);
        match &mut self.reference {
            Reference::None => {}
            Reference::Channel(_) => self.ref_buf[n..].fill(0),
            Reference::Separate(r) => {
                let m = n.min(self.ref_buf.len());
                let got = r.read_frames(&mut self.ref_buf[..m], 0, None)?;
                self.ref_buf[got..].fill(0);
            }
        }
        let capture_ns = match &self.pacer {
            Some(p) => {
                p.wait_for(self.periods_read);
                p.due_ns(self.periods_read)
            }
            None => self.start_ns + self.periods_read * 10_000_000,
        };
        self.periods_read += 1;
        Ok(Period::Data { capture_ns })
    }

    fn reference(&self) -> Option<&[i16]> {
        match self.reference {
            Reference::None => None,
            _ => Some(&self.ref_buf[..]),
        }
    }

    fn due_commands(&mut self, period_start: u64, emit: &mut dyn FnMut(Command)) {
        while let Some(s) = self.script.get(self.next_script) {
            if s.at_sample > period_start {
                break;
            }
            emit(s.command);
            self.next_script += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(mut src: WavSource) -> (Vec<i16>, Vec<i16>) {
        let tel = Telemetry::new();
        let mut buf = vec![0; src.period_frames()];
        let (mut mic, mut reference) = (Vec::new(), Vec::new());
        while let Period::Data { .. } = src.read_period(&mut buf, &tel).unwrap() {
            mic.extend_from_slice(&buf);
            if let Some(r) = src.reference() {
                reference.extend_from_slice(r);
            }
        }
        (mic, reference)
    }

    fn write(path: &Path, channels: u16, rate: u32, samples: &[i16]) {
        let spec = hound::WavSpec {
            channels,
            sample_rate: rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(path, spec).unwrap();
        for &s in samples {
            w.write_sample(s).unwrap();
        }
        w.finalize().unwrap();
    }

    #[test]
    fn a_mono_file_is_read_period_by_period_and_the_last_one_padded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.wav");
        let x: Vec<i16> = (0..1000).map(|i| i as i16 - 500).collect();
        write(&path, 1, 16_000, &x);
        let src = WavSource::open(&path, false).unwrap();
        assert_eq!(src.len(), 1000);
        let (mic, reference) = read_all(src);
        assert_eq!(mic.len(), 1120, "7 periods of 160");
        assert_eq!(&mic[..1000], &x[..]);
        assert!(mic[1000..].iter().all(|&s| s == 0));
        assert!(reference.is_empty());
    }

    #[test]
    fn two_channels_split_into_microphone_and_reference() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.wav");
        let frames = 500;
        let interleaved: Vec<i16> = (0..frames)
            .flat_map(|i| [i as i16, -(i as i16) - 1])
            .collect();
        write(&path, 2, 48_000, &interleaved);
        for rc in [0, 1] {
            let src = WavSource::open_with_channel_reference(&path, rc, false).unwrap();
            assert_eq!(src.len(), frames);
            let (mic, reference) = read_all(src);
            assert_eq!(mic.len(), 960);
            let ch0: Vec<i16> = (0..frames).map(|i| i as i16).collect();
            let ch1: Vec<i16> = (0..frames).map(|i| -(i as i16) - 1).collect();
            let (want_mic, want_ref) = if rc == 1 { (ch0, ch1) } else { (ch1, ch0) };
            assert_eq!(&mic[..frames], &want_mic[..]);
            assert_eq!(&reference[..frames], &want_ref[..]);
            assert!(mic[frames..]
                .iter()
                .chain(&reference[frames..])
                .all(|&s| s == 0));
        }
    }

    #[test]
    fn a_reference_file_is_cut_or_padded_to_the_microphone() {
        let dir = tempfile::tempdir().unwrap();
        let mic_path = dir.path().join("mic.wav");
        let x: Vec<i16> = (0..800).map(|i| i as i16).collect();
        write(&mic_path, 1, 16_000, &x);
        for ref_len in [300usize, 2000] {
            let ref_path = dir.path().join(format!("ref{ref_len}.wav"));
            let r: Vec<i16> = (0..ref_len).map(|i| 7 + i as i16).collect();
            write(&ref_path, 1, 16_000, &r);
            let src = WavSource::open_with_reference_file(&mic_path, &ref_path, false).unwrap();
            let (mic, reference) = read_all(src);
            assert_eq!(mic.len(), 800);
            assert_eq!(reference.len(), 800);
            let n = ref_len.min(800);
            assert_eq!(&reference[..n], &r[..n]);
            assert!(reference[n..].iter().all(|&s| s == 0));
        }
        let other = dir.path().join("48k.wav");
        write(&other, 1, 48_000, &x);
        let e = WavSource::open_with_reference_file(&mic_path, &other, false).unwrap_err();
        assert!(e.to_string().contains("48000 Hz"), "{e}");
    }

    #[test]
    fn wrong_formats_are_refused_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.wav");
        write(&path, 2, 16_000, &[0; 100]);
        let e = WavSource::open(&path, false).unwrap_err();
        assert!(
            e.to_string().contains("2 channels; mono is required"),
            "{e}"
        );
        write(&path, 1, 44_100, &[0; 100]);
        let e = WavSource::open(&path, false).unwrap_err();
        assert!(e.to_string().contains("44100 Hz"), "{e}");
    }

    #[test]
    fn a_truncated_file_fails_the_read_that_reaches_the_cut() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.wav");
        write(&path, 1, 16_000, &[1; 1000]);
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 600]).unwrap();
        let mut src = WavSource::open(&path, false).unwrap();
        let tel = Telemetry::new();
        let mut buf = vec![0; 160];
        let mut result = Ok(Period::Ended);
        for _ in 0..8 {
            result = src.read_period(&mut buf, &tel);
            if result.is_err() {
                break;
            }
        }
        let e = result.unwrap_err();
        assert!(e.to_string().contains("read failed"), "{e}");
    }
}
