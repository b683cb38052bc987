//! Drains the real-time thread's outbound ring into Ogg Opus files, one per stream
//! (`stream-001.ogg`, ...), and keeps a record of each stream for the report.
//! Runs on an ordinary thread: not real-time safe, and never touched by the RT thread.
//! Every I/O error names the file it happened on.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::Duration;

use dsp::ogg_opus::OggOpusWriter;
use engine_base::messages::{EndReason, Initiator, Outbound, PcmFrame, WakeWordIndices};
use rtrb::Consumer;
use serde::Serialize;

use crate::output::at;

/// One recorded stream.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StreamRecord {
    /// File name inside the output directory.
    pub file: String,
    pub stream: u32,
    pub initiator: Initiator,
    /// Wake-word indices (16 kHz samples from the stream's first sample).
    pub wake_word: Option<WakeWordIndices>,
    pub score: f32,
    /// First sample of the stream on the 16 kHz timeline.
    pub first_sample_16k: u64,
    /// First sample of the stream in the input, at the input's rate.
    pub first_input_sample: u64,
    /// Where the stream starts in the input, seconds.
    pub start_seconds: f64,
    /// Samples in the stream at 16 kHz (frames * 320).
    pub sample_count: u64,
    pub frames: u32,
    /// Sequence numbers missing (dropped frames).
    pub missing_frames: u32,
    pub end_reason: Option<EndReason>,
}

struct Open {
    rec: StreamRecord,
    /// The Ogg file's path, for errors.
    path: PathBuf,
    writer: OggOpusWriter<BufWriter<File>>,
    next_seq: u32,
    /// The WAV tap's path and writer.
    pcm: Option<(PathBuf, hound::WavWriter<BufWriter<File>>)>,
}

/// A WAV writer's error as an I/O error naming `path`.
fn wav_err(path: &Path) -> impl FnOnce(hound::Error) -> std::io::Error + '_ {
    move |e| match e {
        hound::Error::IoError(e) => at(path)(e),
        e => at(path)(std::io::Error::other(e)),
    }
}

/// Writes streams from the ring into `dir`.
pub struct Recorder {
    dir: PathBuf,
    input_rate: u32,
    pre_skip_16k: usize,
    open: Option<Open>,
    done: Vec<StreamRecord>,
    pcm: Option<Consumer<PcmFrame>>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder").field("dir", &self.dir).finish()
    }
}

impl Recorder {
    /// A recorder into `dir` (created if missing). `pre_skip_16k` is the encoder lookahead.
    pub fn new(dir: &Path, input_rate: u32, pre_skip_16k: usize) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir).map_err(at(dir))?;
        Ok(Self {
            dir: dir.to_owned(),
            input_rate,
            pre_skip_16k,
            open: None,
            done: Vec::new(),
            pcm: None,
        })
    }

    /// Also writes `stream-NNN.wav`: the 16 kHz PCM handed to the encoder, from `tap`.
    pub fn with_pcm(mut self, tap: Consumer<PcmFrame>) -> Self {
        self.pcm = Some(tap);
        self
    }

    /// Handles one message. Returns false after `SourceEnded`.
    pub fn handle(&mut self, msg: Outbound) -> std::io::Result<bool> {
        match msg {
            Outbound::StreamStarted {
                stream,
                initiator,
                wake,
                first_sample,
                score,
            } => {
                self.close(None)?;
                let file = format!("stream-{:03}.ogg", self.done.len() + 1);
                let path = self.dir.join(&file);
                let out = BufWriter::new(File::create(&path).map_err(at(&path))?);
                let writer = OggOpusWriter::new(out, stream, self.pre_skip_16k, 16_000, 20)
                    .map_err(at(&path))?;
                let ratio = u64::from(self.input_rate / 16_000);
                let pcm = match self.pcm {
                    Some(_) => {
                        let wav = self.dir.join(file.replace(".ogg", ".wav"));
                        let spec = hound::WavSpec {
                            channels: 1,
                            sample_rate: 16_000,
                            bits_per_sample: 16,
                            sample_format: hound::SampleFormat::Int,
                        };
                        let w = hound::WavWriter::create(&wav, spec).map_err(wav_err(&wav))?;
                        Some((wav, w))
                    }
                    None => None,
                };
                self.open = Some(Open {
                    rec: StreamRecord {
                        file,
                        stream,
                        initiator,
                        wake_word: wake,
                        score,
                        first_sample_16k: first_sample,
                        first_input_sample: first_sample * ratio,
                        start_seconds: first_sample as f64 / 16_000.0,
                        sample_count: 0,
                        frames: 0,
                        missing_frames: 0,
                        end_reason: None,
                    },
                    path,
                    writer,
                    next_seq: 0,
                    pcm,
                });
            }
            Outbound::Frame(f) => {
                if let Some(o) = self.open.as_mut().filter(|o| o.rec.stream == f.stream) {
                    o.rec.missing_frames += f.seq.saturating_sub(o.next_seq);
                    o.next_seq = f.seq + 1;
                    o.writer.push(f.packet()).map_err(at(&o.path))?;
                    if let (Some((wav, w)), Some(tap)) = (o.pcm.as_mut(), self.pcm.as_mut()) {
                        // The tap carries the same frames in the same order; skip any
                        // left over from a dropped frame.
                        while let Ok(p) = tap.pop() {
                            if p.stream == f.stream && p.seq == f.seq {
                                for s in p.samples {
                                    w.write_sample(s).map_err(wav_err(wav))?;
                                }
                                break;
                            }
                        }
                    }
                    o.rec.frames += 1;
                    o.rec.sample_count += dsp::OPUS_FRAME_16K as u64;
                }
            }
            Outbound::StreamEnded { stream, reason, .. } => {
                if self.open.as_ref().is_some_and(|o| o.rec.stream == stream) {
                    self.close(Some(reason))?;
                }
            }
            Outbound::SourceEnded => {
                self.close(Some(EndReason::InputEnded))?;
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn close(&mut self, reason: Option<EndReason>) -> std::io::Result<()> {
        if let Some(mut o) = self.open.take() {
            o.rec.end_reason = reason;
            let mut w = o.writer.finish().map_err(at(&o.path))?;
            std::io::Write::flush(&mut w).map_err(at(&o.path))?;
            if let Some((wav, p)) = o.pcm {
                p.finalize().map_err(wav_err(&wav))?;
            }
            self.done.push(o.rec);
        }
        Ok(())
    }

    /// Drains `rx` until `SourceEnded`, or until the real-time thread is gone and the ring is
    /// empty (it ended without room for its last message).
    pub fn drain(mut self, mut rx: Consumer<Outbound>) -> std::io::Result<Vec<StreamRecord>> {
        loop {
            match rx.pop() {
                Ok(msg) => {
                    if !self.handle(msg)? {
                        break;
                    }
                }
                Err(_) if rx.is_abandoned() && rx.is_empty() => break,
                Err(_) => std::thread::sleep(Duration::from_millis(2)),
            }
        }
        self.close(None)?;
        Ok(self.done)
    }
}

/// One line per recorded stream, for the command line.
pub fn listing(streams: &[StreamRecord], dir: &Path) -> String {
    let mut s = format!("{} stream(s) written to {}\n", streams.len(), dir.display());
    for st in streams {
        s += &format!(
            "  {}  {:?}  start {:.2} s  {} frames  end {:?}{}\n",
            st.file,
            st.initiator,
            st.start_seconds,
            st.frames,
            st.end_reason,
            st.wake_word
                .map(|w| format!(
                    "  wake word {}..{}",
                    w.start_index_in_samples, w.end_index_in_samples
                ))
                .unwrap_or_default()
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine_base::messages::{OpusFrame, MAX_PACKET};

    fn frame(seq: u32) -> Outbound {
        let mut data = [0u8; MAX_PACKET];
        data[0] = 0x08;
        Outbound::Frame(OpusFrame {
            stream: 1,
            seq,
            capture_ns: 0,
            first_sample: u64::from(seq) * 320,
            len: 80,
            data,
        })
    }

    fn start() -> Outbound {
        Outbound::StreamStarted {
            stream: 1,
            initiator: Initiator::Tap,
            wake: None,
            first_sample: 0,
            score: 0.0,
        }
    }

    /// Feeds a whole stream; the first error.
    fn record(dir: &Path) -> std::io::Result<()> {
        let mut r = Recorder::new(dir, 48_000, 312)?;
        r.handle(start())?;
        for seq in 0..500 {
            r.handle(frame(seq))?;
        }
        r.handle(Outbound::StreamEnded {
            stream: 1,
            reason: EndReason::Release,
            frames: 500,
        })?;
        Ok(())
    }

    #[test]
    fn a_full_disk_error_names_the_stream_file() {
        let dir = tempfile::tempdir().unwrap();
        // The stream's file is /dev/full: every write fails with ENOSPC.
        std::os::unix::fs::symlink("/dev/full", dir.path().join("stream-001.ogg")).unwrap();
        let e = record(dir.path()).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("stream-001.ogg"), "{text}");
        assert_eq!(e.raw_os_error(), None, "wrapped, kind kept: {e:?}");
        assert_eq!(e.kind(), std::io::Error::from_raw_os_error(28).kind());
    }

    #[test]
    fn an_unwritable_directory_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("not-a-dir");
        std::fs::write(&file, "").unwrap();
        let e = record(&file.join("out")).unwrap_err();
        assert!(e.to_string().contains("not-a-dir/out"), "{e}");
    }
}
