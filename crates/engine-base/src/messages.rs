//! Typed messages between the real-time thread and the rest of the engine.
//!
//! **Guarantees**: every message is `Copy` and fixed-size, so pushing one through an rtrb ring
//! neither allocates nor frees. A full ring hands the message back (`PushError::Full`) and the
//! real-time thread counts it as dropped.

/// Largest encoded packet a frame can carry (32 kbps CBR is 80 bytes). rt-core checks at
/// compile time that it equals `dsp::codec::MAX_PACKET`.
pub const MAX_PACKET: usize = 160;

/// 16 kHz samples in one 20 ms Opus frame. rt-core checks at compile time that it equals
/// `dsp::OPUS_FRAME_16K`.
pub const OPUS_FRAME_16K: usize = 320;

/// What started a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Initiator {
    /// The wake-word detector fired; the stream starts with the pre-roll.
    Wakeword,
    /// A button tap: the stream starts at the tap, no pre-roll.
    Tap,
    /// Press-and-hold: the stream runs from press to release.
    PressAndHold,
    /// The phone asked for more speech in the same dialog (AMA PROVIDE_SPEECH).
    Continuation,
    /// `simulate --gate always`: the whole input is one stream.
    Always,
}

/// Where the wake word lies in a stream, in 16 kHz samples from the stream's first sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct WakeWordIndices {
    /// First sample of the wake word (8000 with the default 500 ms pre-roll).
    pub start_index_in_samples: u32,
    /// Sample after the wake word's end.
    pub end_index_in_samples: u32,
}

/// Why a stream ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// The receiver found the end of speech (AMA ENDPOINT_SPEECH).
    Endpoint,
    /// The receiver or the user stopped the stream (AMA STOP_SPEECH).
    Stop,
    /// The press-and-hold button was released.
    Release,
    /// The configured maximum utterance length was reached.
    MaxDuration,
    /// The local end-of-speech detector ended it.
    LocalEndOfSpeech,
    /// The capture source ended (simulate, tests).
    InputEnded,
    /// The engine was stopped (SIGINT, SIGTERM, SIGHUP, a Shutdown command): the stream was
    /// finished with what had been captured.
    Shutdown,
    /// `[audio] max_seconds` of `run` was reached.
    MaxSeconds,
}

/// One encoded 20 ms Opus frame.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct OpusFrame {
    /// Stream this frame belongs to (1, 2, ... per engine run).
    pub stream: u32,
    /// Sequence number within the stream, from 0; a gap means frames were dropped.
    pub seq: u32,
    /// Capture time of the frame's first sample (CLOCK_MONOTONIC, ns).
    pub capture_ns: u64,
    /// Absolute 16 kHz index of the frame's first sample.
    pub first_sample: u64,
    /// Packet length in `data`.
    pub len: u16,
    /// Packet bytes; only `..len` is meaningful.
    pub data: [u8; MAX_PACKET],
}

impl OpusFrame {
    /// The packet bytes.
    pub fn packet(&self) -> &[u8] {
        &self.data[..usize::from(self.len)]
    }
}

impl std::fmt::Debug for OpusFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpusFrame")
            .field("stream", &self.stream)
            .field("seq", &self.seq)
            .field("len", &self.len)
            .finish()
    }
}

/// The 16 kHz samples of one encoded frame, as handed to the encoder (the optional PCM tap
/// used by `simulate --pcm` to measure the signal chain without the codec).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PcmFrame {
    pub stream: u32,
    pub seq: u32,
    pub samples: [i16; OPUS_FRAME_16K],
}

/// Messages from the real-time thread, in order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outbound {
    /// A stream began. For a wake word, `wake` gives the indices for cloud verification.
    StreamStarted {
        stream: u32,
        initiator: Initiator,
        wake: Option<WakeWordIndices>,
        /// Absolute 16 kHz index of the stream's first sample.
        first_sample: u64,
        /// Detection score for wake-word streams (0 otherwise).
        score: f32,
    },
    /// An encoded frame of the current stream.
    Frame(OpusFrame),
    /// The stream ended after `frames` frames.
    StreamEnded {
        stream: u32,
        reason: EndReason,
        frames: u32,
    },
    /// The capture source ended; no more messages follow.
    SourceEnded,
}

/// Commands into the real-time thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Button tap: start a stream now (ignored while streaming).
    Tap,
    /// Button pressed: start a press-and-hold stream.
    Press,
    /// Button released: end the press-and-hold stream.
    Release,
    /// Open the microphone again for the same dialog (multi-turn).
    Continue,
    /// End the current stream (if `stream` matches, or any when `stream` is 0).
    End { stream: u32, reason: EndReason },
    /// Turn wake-word detection on or off (AMA feature 0x352).
    SetWakeWordEnabled(bool),
    /// Leave the loop.
    Shutdown,
}
