//! What the phone tool records of one utterance, and writing it as Ogg Opus.

use std::path::{Path, PathBuf};

use dsp::ogg_opus::OggOpusWriter;

/// How an utterance ended, seen from the phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ending {
    /// Still open (the tool stopped first).
    Open,
    /// The phone sent ENDPOINT_SPEECH.
    PhoneEndpoint,
    /// The phone sent STOP_SPEECH.
    PhoneStop,
    /// The accessory sent ENDPOINT_SPEECH (press-and-hold release, local end of speech).
    AccessoryEndpoint,
    /// The accessory sent STOP_SPEECH with this error code.
    AccessoryStop(i32),
    /// The link closed during the utterance.
    LinkClosed,
}

/// One utterance as received.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Utterance {
    pub dialog: u32,
    /// SpeechInitiator type (1 press-and-hold, 3 tap, 4 wake word), or 0 for a continuation.
    pub initiator: i32,
    /// Wake word start/end indices, for wake-word utterances.
    pub wake: Option<(u32, u32)>,
    pub profile: i32,
    pub format: i32,
    /// Opened by PROVIDE_SPEECH (multi-turn).
    pub continuation: bool,
    /// Voice frames received.
    pub voice_frames: u32,
    /// Opus packets (voice frames split into whole CBR frames).
    #[serde(skip)]
    pub packets: Vec<Vec<u8>>,
    /// Voice bytes that did not make a whole Opus frame (should be 0).
    pub stray_bytes: usize,
    pub ending: Ending,
    pub file: Option<PathBuf>,
}

impl Utterance {
    /// A new utterance.
    pub fn new(
        dialog: u32,
        initiator: i32,
        wake: Option<(u32, u32)>,
        profile: i32,
        format: i32,
        continuation: bool,
    ) -> Self {
        Self {
            dialog,
            initiator,
            wake,
            profile,
            format,
            continuation,
            voice_frames: 0,
            packets: Vec::new(),
            stray_bytes: 0,
            ending: Ending::Open,
            file: None,
        }
    }

    /// Bytes of one CBR Opus frame for the AMA format (1: 32 kbps, 2: 16 kbps).
    pub fn frame_bytes(&self) -> Option<usize> {
        match self.format {
            1 => Some(80),
            2 => Some(40),
            _ => None,
        }
    }

    /// Adds one voice frame's payload, split into whole Opus frames.
    pub fn push_voice(&mut self, payload: &[u8]) {
        self.voice_frames += 1;
        match self.frame_bytes() {
            Some(n) => {
                let mut chunks = payload.chunks_exact(n);
                for c in &mut chunks {
                    self.packets.push(c.to_vec());
                }
                self.stray_bytes += chunks.remainder().len();
            }
            None => self.packets.push(payload.to_vec()),
        }
    }

    /// Seconds of audio (20 ms per packet).
    pub fn seconds(&self) -> f64 {
        self.packets.len() as f64 * 0.02
    }

    /// Writes the packets as `DIR/dialog-D-N.opus` (Ogg Opus, 16 kHz input rate).
    pub fn write_ogg(&mut self, dir: &Path, index: usize) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(format!("utterance-{index:02}-dialog-{}.ogg", self.dialog));
        let file = std::io::BufWriter::new(std::fs::File::create(&path)?);
        // Opus at 16 kHz: 104 samples of encoder lookahead (RFC 7845 pre-skip, scaled).
        let mut w = OggOpusWriter::new(file, self.dialog.max(1), 104, 16_000, 20)?;
        for p in &self.packets {
            w.push(p)?;
        }
        let mut f = w.finish()?;
        std::io::Write::flush(&mut f)?;
        self.file = Some(path.clone());
        Ok(path)
    }
}
