//! Streaming frame decoder: feed bytes as they arrive (split anywhere, several frames at
//! once), take whole frames out.
//!
//! **Guarantees**: never panics; holds at most one frame (max payload + 4 bytes) plus the last
//! pushed chunk; every malformed header is reported once as a [`DecodeError`] with the number of
//! bytes skipped to find the next plausible header, counted in [`DecodeStats`], and decoding goes
//! on (the link is never wedged). Not real-time safe (allocates the frame it returns).

use super::frame::{Stream, FRAME_VERSION, MAX_PAYLOAD};

/// One decoded frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A control frame's payload (one encoded `ControlEnvelope`).
    Control(Vec<u8>),
    /// A voice frame's payload.
    Voice(Vec<u8>),
}

impl Frame {
    /// The stream of this frame.
    pub fn stream(&self) -> Stream {
        match self {
            Self::Control(_) => Stream::Control,
            Self::Voice(_) => Stream::Voice,
        }
    }

    /// The payload.
    pub fn payload(&self) -> &[u8] {
        match self {
            Self::Control(p) | Self::Voice(p) => p,
        }
    }
}

/// Malformed input. In every case the decoder has already skipped past it: log it, count it,
/// and keep reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The header's version nibble or reserved bits are wrong.
    #[error("bad frame header {header:04X}; skipped {skipped} bytes to resync")]
    BadHeader { header: u16, skipped: usize },
    /// The length is larger than this link accepts.
    #[error("frame length {len} exceeds the maximum {max}; skipped {skipped} bytes to resync")]
    Oversize {
        len: usize,
        max: usize,
        skipped: usize,
    },
    /// A well-formed frame on a stream other than control (0) or voice (1); it was dropped.
    #[error("frame on unknown stream {stream} ({len} bytes) dropped")]
    UnknownStream { stream: u8, len: usize },
    /// The link ended inside a frame.
    #[error("link ended inside a frame: {have} of {need} bytes")]
    Truncated { have: usize, need: usize },
}

/// Counters of what the decoder has seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecodeStats {
    pub bytes: u64,
    pub control_frames: u64,
    pub voice_frames: u64,
    pub bad_headers: u64,
    pub oversize: u64,
    pub unknown_stream: u64,
    pub truncated: u64,
    pub skipped_bytes: u64,
}

impl DecodeStats {
    /// All malformed-input events.
    pub fn errors(&self) -> u64 {
        self.bad_headers + self.oversize + self.unknown_stream + self.truncated
    }
}

/// The streaming decoder.
#[derive(Debug, Clone)]
pub struct Decoder {
    buf: Vec<u8>,
    start: usize,
    max_payload: usize,
    stats: DecodeStats,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new(MAX_PAYLOAD)
    }
}

enum Header {
    /// Not enough bytes yet.
    Incomplete,
    /// (stream id, header+length bytes, payload length)
    Ok(u8, usize, usize),
    Bad(u16),
    Oversize(usize),
}

impl Decoder {
    /// A decoder accepting payloads up to `max_payload` bytes (clamped to 65535).
    pub fn new(max_payload: usize) -> Self {
        Self {
            buf: Vec::with_capacity(1024),
            start: 0,
            max_payload: max_payload.min(MAX_PAYLOAD),
            stats: DecodeStats::default(),
        }
    }

    /// Appends received bytes.
    pub fn push(&mut self, data: &[u8]) {
        if self.start > 0 && self.start * 2 >= self.buf.len() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(data);
        self.stats.bytes += data.len() as u64;
    }

    /// Bytes held that do not yet form a whole frame.
    pub fn pending(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Counters so far.
    pub fn stats(&self) -> DecodeStats {
        self.stats
    }

    fn parse_header(&self, at: usize) -> Header {
        let b = &self.buf[at..];
        let (Some(&h0), Some(&h1)) = (b.first(), b.get(1)) else {
            return Header::Incomplete;
        };
        let header = u16::from_be_bytes([h0, h1]);
        if header >> 12 != FRAME_VERSION || header & 0x7E != 0 {
            return Header::Bad(header);
        }
        let stream = ((header >> 7) & 0x1F) as u8;
        let (hlen, len) = if header & 1 == 0 {
            match b.get(2) {
                Some(&l) => (3, usize::from(l)),
                None => return Header::Incomplete,
            }
        } else {
            match (b.get(2), b.get(3)) {
                (Some(&a), Some(&c)) => (4, usize::from(u16::from_be_bytes([a, c]))),
                _ => return Header::Incomplete,
            }
        };
        if len > self.max_payload {
            return Header::Oversize(len);
        }
        Header::Ok(stream, hlen, len)
    }

    /// Skips at least one byte and on to the next position whose first two bytes could start a
    /// header (or to the last byte held). Returns the bytes skipped.
    fn resync(&mut self) -> usize {
        let from = self.start;
        self.start += 1;
        while self.start + 1 < self.buf.len() {
            let h = u16::from_be_bytes([self.buf[self.start], self.buf[self.start + 1]]);
            if h >> 12 == FRAME_VERSION && h & 0x7E == 0 && (h >> 7) & 0x1F <= 1 {
                break;
            }
            self.start += 1;
        }
        let skipped = self.start - from;
        self.stats.skipped_bytes += skipped as u64;
        skipped
    }

    /// The next whole frame, a report of malformed input (already skipped), or `None` when
    /// more bytes are needed.
    pub fn next_frame(&mut self) -> Option<Result<Frame, DecodeError>> {
        if self.start >= self.buf.len() {
            return None;
        }
        match self.parse_header(self.start) {
            Header::Incomplete => None,
            Header::Bad(header) => {
                self.stats.bad_headers += 1;
                let skipped = self.resync();
                Some(Err(DecodeError::BadHeader { header, skipped }))
            }
            Header::Oversize(len) => {
                self.stats.oversize += 1;
                let skipped = self.resync();
                Some(Err(DecodeError::Oversize {
                    len,
                    max: self.max_payload,
                    skipped,
                }))
            }
            Header::Ok(stream, hlen, len) => {
                let begin = self.start + hlen;
                let end = begin + len;
                if end > self.buf.len() {
                    return None;
                }
                self.start = end;
                let payload = &self.buf[begin..end];
                match stream {
                    0 => {
                        self.stats.control_frames += 1;
                        Some(Ok(Frame::Control(payload.to_vec())))
                    }
                    1 => {
                        self.stats.voice_frames += 1;
                        Some(Ok(Frame::Voice(payload.to_vec())))
                    }
                    _ => {
                        self.stats.unknown_stream += 1;
                        Some(Err(DecodeError::UnknownStream { stream, len }))
                    }
                }
            }
        }
    }

    /// Call when the link ends: reports a partial frame left behind, and clears the decoder.
    pub fn finish(&mut self) -> Option<DecodeError> {
        let have = self.pending();
        let need = match self.parse_header(self.start) {
            Header::Ok(_, hlen, len) => hlen + len,
            _ => have.max(1) + 1,
        };
        self.buf.clear();
        self.start = 0;
        if have == 0 {
            return None;
        }
        self.stats.truncated += 1;
        Some(DecodeError::Truncated { have, need })
    }
}

#[cfg(test)]
mod tests {
    use super::super::frame::{encode_control, encode_voice};
    use super::*;

    fn drain(d: &mut Decoder) -> (Vec<Frame>, Vec<DecodeError>) {
        let (mut f, mut e) = (Vec::new(), Vec::new());
        while let Some(r) = d.next_frame() {
            match r {
                Ok(x) => f.push(x),
                Err(x) => e.push(x),
            }
        }
        (f, e)
    }

    fn sample_stream() -> (Vec<u8>, Vec<Frame>) {
        let mut bytes = Vec::new();
        let mut frames = Vec::new();
        for (i, len) in [0usize, 1, 80, 255, 256, 300, 1000].iter().enumerate() {
            let p: Vec<u8> = (0..*len).map(|k| (k * 7 + i) as u8).collect();
            if i % 2 == 0 {
                encode_control(&p, &mut bytes);
                frames.push(Frame::Control(p));
            } else {
                encode_voice(&p, &mut bytes);
                frames.push(Frame::Voice(p));
            }
        }
        (bytes, frames)
    }

    #[test]
    fn several_frames_at_once() {
        let (bytes, want) = sample_stream();
        let mut d = Decoder::default();
        d.push(&bytes);
        let (got, errs) = drain(&mut d);
        assert_eq!(got, want);
        assert!(errs.is_empty());
        assert_eq!(d.pending(), 0);
        assert_eq!(d.finish(), None);
    }

    #[test]
    fn split_at_every_position_and_byte_by_byte() {
        let (bytes, want) = sample_stream();
        for cut in 0..=bytes.len() {
            let mut d = Decoder::default();
            d.push(&bytes[..cut]);
            let (mut got, e1) = drain(&mut d);
            d.push(&bytes[cut..]);
            let (g2, e2) = drain(&mut d);
            got.extend(g2);
            assert_eq!(got, want, "cut at {cut}");
            assert!(e1.is_empty() && e2.is_empty());
        }
        let mut d = Decoder::default();
        let mut got = Vec::new();
        for b in &bytes {
            d.push(std::slice::from_ref(b));
            got.extend(drain(&mut d).0);
        }
        assert_eq!(got, want);
    }

    #[test]
    fn garbage_is_reported_and_skipped() {
        let mut bytes = vec![0xAA, 0x55, 0x00];
        encode_control(&[1, 2, 3], &mut bytes);
        let mut d = Decoder::default();
        d.push(&bytes);
        let (got, errs) = drain(&mut d);
        assert_eq!(got, vec![Frame::Control(vec![1, 2, 3])]);
        assert_eq!(
            errs,
            vec![DecodeError::BadHeader {
                header: 0xAA55,
                skipped: 3
            }]
        );
        assert_eq!(d.stats().bad_headers, 1);
        assert_eq!(d.stats().skipped_bytes, 3);
    }

    #[test]
    fn unknown_stream_frame_is_dropped_whole() {
        // stream 2: header 0x1100, length 2
        let mut bytes = vec![0x11, 0x00, 0x02, 0xEE, 0xEE];
        encode_voice(&[9], &mut bytes);
        let mut d = Decoder::default();
        d.push(&bytes);
        let (got, errs) = drain(&mut d);
        assert_eq!(got, vec![Frame::Voice(vec![9])]);
        assert_eq!(errs, vec![DecodeError::UnknownStream { stream: 2, len: 2 }]);
    }

    #[test]
    fn oversize_and_truncated() {
        let mut d = Decoder::new(100);
        let mut bytes = vec![0x10, 0x81, 0x01, 0x2C]; // 300 > 100
        encode_control(&[5], &mut bytes);
        d.push(&bytes);
        let (got, errs) = drain(&mut d);
        assert_eq!(got, vec![Frame::Control(vec![5])]);
        assert!(matches!(
            errs[0],
            DecodeError::Oversize {
                len: 300,
                max: 100,
                ..
            }
        ));

        d.push(&[0x10, 0x00, 0x05, 1, 2]);
        assert_eq!(d.next_frame(), None);
        assert_eq!(
            d.finish(),
            Some(DecodeError::Truncated { have: 5, need: 8 })
        );
        assert_eq!(d.stats().truncated, 1);
        assert_eq!(d.pending(), 0);
    }

    /// Random bytes from a seeded generator: never a panic, bounded memory, and a valid frame
    /// after the garbage still comes out.
    #[test]
    fn seeded_random_bytes_never_wedge() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut rnd = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _round in 0..200 {
            let mut d = Decoder::new(2000);
            let n = (rnd() % 3000) as usize;
            let junk: Vec<u8> = (0..n).map(|_| rnd() as u8).collect();
            for chunk in junk.chunks(1 + (rnd() % 64) as usize) {
                d.push(chunk);
                while d.next_frame().is_some() {}
                assert!(d.pending() <= 2000 + 4 + 64);
            }
            // Whatever the junk left pending, a long enough run of valid frames resyncs.
            let _ = d.finish();
            let mut good = Vec::new();
            encode_control(&[1, 2, 3, 4], &mut good);
            d.push(&good);
            assert_eq!(d.next_frame(), Some(Ok(Frame::Control(vec![1, 2, 3, 4]))));
        }
    }
}
