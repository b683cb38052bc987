//! Packs whole Opus frames into voice-frame payloads (spec/ama-protocol.md, "Transport" 4):
//! up to `per_packet` frames each, fewer when the frame would not fit the link's largest write.
//! A frame is never split across voice frames.

use crate::transport::header_len;

/// The packer. Not real-time safe (returns owned payloads).
#[derive(Debug, Clone)]
pub struct Packer {
    per_packet: usize,
    buf: Vec<u8>,
    count: usize,
}

impl Packer {
    /// Up to `per_packet` (at least 1) Opus frames per voice frame.
    pub fn new(per_packet: usize) -> Self {
        Self {
            per_packet: per_packet.max(1),
            buf: Vec::with_capacity(1024),
            count: 0,
        }
    }

    /// Adds one Opus frame. Returns the finished payloads (0, 1 or 2) with their frame counts;
    /// `max_frame` is the largest voice frame (header + payload) the link takes at once.
    pub fn push(&mut self, opus: &[u8], max_frame: usize, done: &mut Vec<(Vec<u8>, usize)>) {
        let next = self.buf.len() + opus.len();
        if self.count > 0 && header_len(next) + next > max_frame {
            done.extend(self.flush());
        }
        self.buf.extend_from_slice(opus);
        self.count += 1;
        // Flush now when full, or when one more frame of this size would not fit.
        let more = self.buf.len() + opus.len();
        if self.count >= self.per_packet || header_len(more) + more > max_frame {
            done.extend(self.flush());
        }
    }

    /// The partial payload, if any (at the end of a stream).
    pub fn flush(&mut self) -> Option<(Vec<u8>, usize)> {
        if self.count == 0 {
            return None;
        }
        let n = self.count;
        self.count = 0;
        Some((std::mem::take(&mut self.buf), n))
    }

    /// Drops a partial payload (the stream was stopped).
    pub fn reset(&mut self) {
        self.buf.clear();
        self.count = 0;
    }

    /// Frames held.
    pub fn held(&self) -> usize {
        self.count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_n_whole_frames_and_respects_the_mtu() {
        let mut p = Packer::new(4);
        let mut done = Vec::new();
        for i in 0..10u8 {
            p.push(&[i; 80], 1000, &mut done);
        }
        assert_eq!(done.len(), 2);
        assert!(done.iter().all(|(b, n)| *n == 4 && b.len() == 320));
        assert_eq!(done[1].0[0], 4);
        assert_eq!(p.flush().map(|(b, n)| (b.len(), n)), Some((160, 2)));
        assert_eq!(p.flush(), None);

        // BLE MTU 185: 182-byte frames hold 2 x 80 + 3 header bytes, not 3.
        let mut done = Vec::new();
        for _ in 0..6 {
            p.push(&[0; 80], 182, &mut done);
        }
        assert_eq!(done.len(), 3);
        assert!(done.iter().all(|(b, n)| *n == 2 && b.len() == 160));

        // A frame larger than the MTU still goes out alone (BLE cuts it into pieces).
        let mut done = Vec::new();
        p.push(&[0; 80], 50, &mut done);
        p.push(&[0; 80], 50, &mut done);
        assert_eq!(done.len(), 2);
        assert_eq!(p.held(), 0);
    }
}
