//! Opus encoder for the AMA voice stream: 16 kHz mono, 20 ms frames, VOIP, hard CBR.
//!
//! **Guarantees**: the libopus state is created in [`OpusEncoder::new`]; [`OpusEncoder::encode`]
//! writes into a caller-provided buffer and never allocates, so it is real-time safe.
//! AMA names the formats `OPUS_16KHZ_32KBPS_CBR_0_20MS` and `OPUS_16KHZ_16KBPS_CBR_0_20MS`
//! (spec/ama-protocol.md, "Speech"): every packet is exactly bitrate * 20 ms / 8 bytes.

use crate::OPUS_FRAME_16K;

/// Largest packet this wrapper produces (32 kbps * 20 ms = 80 bytes), with headroom.
pub const MAX_PACKET: usize = 160;
/// Sample rate of the encoded stream.
pub const SAMPLE_RATE: u32 = 16_000;

/// The two CBR rates AMA accepts for Opus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpusBitrate {
    /// `OPUS_16KHZ_16KBPS_CBR_0_20MS`: 40-byte packets.
    Kbps16,
    /// `OPUS_16KHZ_32KBPS_CBR_0_20MS`: 80-byte packets.
    Kbps32,
}

impl OpusBitrate {
    /// Bits per second.
    pub fn bits_per_second(self) -> i32 {
        match self {
            Self::Kbps16 => 16_000,
            Self::Kbps32 => 32_000,
        }
    }

    /// Exact packet size in bytes for a 20 ms frame.
    pub fn packet_bytes(self) -> usize {
        self.bits_per_second() as usize * 20 / 1000 / 8
    }
}

/// Encoder errors: configuration refused by libopus, or a failed encode (drop the frame).
#[derive(Debug, thiserror::Error, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CodecError {
    /// libopus refused a setting or failed to create the encoder; fix the config.
    #[error("libopus refused the encoder settings: {0}")]
    Setup(&'static str),
    /// libopus failed to encode a frame; the caller drops that frame and counts it.
    #[error("libopus failed to encode a frame")]
    Encode,
}

/// A CBR Opus encoder for 320-sample (20 ms) frames.
pub struct OpusEncoder {
    inner: opus::Encoder,
    bitrate: OpusBitrate,
    lookahead: usize,
}

impl std::fmt::Debug for OpusEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpusEncoder")
            .field("bitrate", &self.bitrate)
            .finish()
    }
}

impl OpusEncoder {
    /// Creates the encoder: VOIP application, voice signal, hard CBR at `bitrate`,
    /// the given `complexity` (0..=10). Not real-time safe.
    pub fn new(bitrate: OpusBitrate, complexity: i32) -> Result<Self, CodecError> {
        let mut inner =
            opus::Encoder::new(SAMPLE_RATE, opus::Channels::Mono, opus::Application::Voip)
                .map_err(|e| CodecError::Setup(e.description()))?;
        let map = |e: opus::Error| CodecError::Setup(e.description());
        inner
            .set_bitrate(opus::Bitrate::Bits(bitrate.bits_per_second()))
            .map_err(map)?;
        inner.set_vbr(false).map_err(map)?;
        inner.set_complexity(complexity).map_err(map)?;
        inner.set_signal(opus::Signal::Voice).map_err(map)?;
        let lookahead = inner.get_lookahead().map_err(map)?.max(0) as usize;
        Ok(Self {
            inner,
            bitrate,
            lookahead,
        })
    }

    /// The configured rate.
    pub fn bitrate(&self) -> OpusBitrate {
        self.bitrate
    }

    /// Encoder lookahead in 16 kHz samples (the pre-skip of an Ogg Opus stream at 48 kHz is
    /// three times this).
    pub fn lookahead(&self) -> usize {
        self.lookahead
    }

    /// Encodes one 20 ms frame (320 samples, 16-bit scale) into `out`, returning the packet
    /// length. Real-time safe.
    pub fn encode(
        &mut self,
        frame: &[f32; OPUS_FRAME_16K],
        out: &mut [u8; MAX_PACKET],
    ) -> Result<usize, CodecError> {
        let mut pcm = [0i16; OPUS_FRAME_16K];
        crate::f32_to_i16(frame, &mut pcm);
        self.inner.encode(&pcm, out).map_err(|_| CodecError::Encode)
    }

    /// Resets the encoder state at the start of a new stream. Real-time safe.
    pub fn reset(&mut self) -> Result<(), CodecError> {
        self.inner.reset_state().map_err(|_| CodecError::Encode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cbr_packets_have_the_exact_size() {
        for rate in [OpusBitrate::Kbps16, OpusBitrate::Kbps32] {
            let mut enc = OpusEncoder::new(rate, 4).unwrap();
            let mut out = [0u8; MAX_PACKET];
            for n in 0..50 {
                let mut frame = [0.0f32; OPUS_FRAME_16K];
                for (i, s) in frame.iter_mut().enumerate() {
                    let t = (n * OPUS_FRAME_16K + i) as f32 / 16_000.0;
                    *s = 8000.0 * (2.0 * std::f32::consts::PI * 440.0 * t).sin();
                }
                let len = enc.encode(&frame, &mut out).unwrap();
                assert_eq!(len, rate.packet_bytes());
            }
        }
    }
}
