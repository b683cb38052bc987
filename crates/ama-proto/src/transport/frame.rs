//! Frame encoding (spec/ama-protocol.md, "Transport" 2-4): a 16-bit big-endian header
//! (bits 15..12 version = 1, bits 11..7 stream id, bits 6..1 reserved, bit 0 length width),
//! one or two length bytes, then the payload.

use prost::Message;

use crate::proto::ControlEnvelope;

/// Largest payload a frame can carry (16-bit length).
pub const MAX_PAYLOAD: usize = u16::MAX as usize;
/// Frame format version in the header's top nibble.
pub const FRAME_VERSION: u16 = 1;

/// The stream a frame belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Stream 0: one protobuf `ControlEnvelope` per frame.
    Control,
    /// Stream 1: audio bytes (whole Opus frames).
    Voice,
}

impl Stream {
    /// The 5-bit stream id.
    pub fn id(self) -> u16 {
        match self {
            Self::Control => 0,
            Self::Voice => 1,
        }
    }
}

/// Header plus length bytes for a payload of `len` bytes: 3 (len < 256) or 4.
pub fn header_len(len: usize) -> usize {
    if len < 256 {
        3
    } else {
        4
    }
}

/// Appends one frame to `out`. Payloads over [`MAX_PAYLOAD`] are refused (`false`, `out`
/// untouched). Allocates only if `out` must grow; real-time safe when `out` has capacity.
pub fn encode_frame(stream: Stream, payload: &[u8], out: &mut Vec<u8>) -> bool {
    let len = payload.len();
    if len > MAX_PAYLOAD {
        return false;
    }
    let wide = len >= 256;
    let header = (FRAME_VERSION << 12) | (stream.id() << 7) | u16::from(wide);
    out.extend_from_slice(&header.to_be_bytes());
    if wide {
        // len <= u16::MAX was checked above.
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(len as u8);
    }
    out.extend_from_slice(payload);
    true
}

/// One control frame holding `payload` (an encoded envelope).
pub fn encode_control(payload: &[u8], out: &mut Vec<u8>) -> bool {
    encode_frame(Stream::Control, payload, out)
}

/// One voice frame holding `payload` (whole Opus frames back to back).
pub fn encode_voice(payload: &[u8], out: &mut Vec<u8>) -> bool {
    encode_frame(Stream::Voice, payload, out)
}

/// Encodes `env` and appends it as a control frame. Not real-time safe (allocates).
pub fn encode_envelope(env: &ControlEnvelope, out: &mut Vec<u8>) -> bool {
    let body = env.encode_to_vec();
    encode_control(&body, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voice_headers_match_the_spec() {
        let mut out = Vec::new();
        assert!(encode_voice(&[0u8; 80], &mut out));
        assert_eq!(&out[..3], &[0x10, 0x80, 0x50]);
        assert_eq!(out.len(), 83);
        out.clear();
        assert!(encode_voice(&[0u8; 300], &mut out));
        assert_eq!(&out[..4], &[0x10, 0x81, 0x01, 0x2C]);
        assert_eq!(out.len(), 304);
    }

    #[test]
    fn length_width_boundaries() {
        for (len, hdr) in [(0, 3), (255, 3), (256, 4), (MAX_PAYLOAD, 4)] {
            let mut out = Vec::new();
            assert!(encode_control(&vec![7u8; len], &mut out));
            assert_eq!(out.len(), len + hdr);
            assert_eq!(header_len(len), hdr);
        }
        let mut out = Vec::new();
        assert!(!encode_control(&vec![0u8; MAX_PAYLOAD + 1], &mut out));
        assert!(out.is_empty());
    }
}
