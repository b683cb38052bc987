//! Ogg Opus (RFC 7845) for encoded streams: what `simulate` and `run` (without a link) write,
//! and what the phone tool saves. Writes into the `Write` it is given (no file I/O of its
//! own). Not real-time safe: runs on ordinary threads.

use std::io::Write;

use ogg::writing::{PacketWriteEndInfo, PacketWriter};

/// Granule positions of Ogg Opus always count 48 kHz samples.
const GRANULE_RATE: u64 = 48_000;

/// Writes one mono Opus stream as an Ogg Opus file.
pub struct OggOpusWriter<W: Write> {
    writer: PacketWriter<'static, W>,
    serial: u32,
    pre_skip: u16,
    /// 48 kHz samples per packet (960 for 20 ms).
    samples_per_packet: u64,
    /// One packet is held back so that the last one can carry the end-of-stream flag.
    pending: Option<Vec<u8>>,
    packets: u64,
}

impl<W: Write> std::fmt::Debug for OggOpusWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OggOpusWriter")
            .field("serial", &self.serial)
            .field("packets", &self.packets)
            .finish()
    }
}

impl<W: Write> OggOpusWriter<W> {
    /// Writes the OpusHead and OpusTags headers. `pre_skip_16k` is the encoder lookahead in
    /// 16 kHz samples; `input_rate` is recorded in the header.
    pub fn new(
        out: W,
        serial: u32,
        pre_skip_16k: usize,
        input_rate: u32,
        frame_ms: u32,
    ) -> std::io::Result<Self> {
        let mut writer = PacketWriter::new(out);
        let pre_skip = (pre_skip_16k * 3) as u16;
        let mut head = Vec::with_capacity(19);
        head.extend_from_slice(b"OpusHead");
        head.push(1); // version
        head.push(1); // channels
        head.extend_from_slice(&pre_skip.to_le_bytes());
        head.extend_from_slice(&input_rate.to_le_bytes());
        head.extend_from_slice(&0i16.to_le_bytes()); // output gain
        head.push(0); // channel mapping family 0 (mono/stereo)
        writer.write_packet(head, serial, PacketWriteEndInfo::EndPage, 0)?;
        let vendor = concat!("ama-engine ", env!("CARGO_PKG_VERSION"));
        let mut tags = Vec::new();
        tags.extend_from_slice(b"OpusTags");
        tags.extend_from_slice(&(vendor.len() as u32).to_le_bytes());
        tags.extend_from_slice(vendor.as_bytes());
        tags.extend_from_slice(&0u32.to_le_bytes()); // no user comments
        writer.write_packet(tags, serial, PacketWriteEndInfo::EndPage, 0)?;
        Ok(Self {
            writer,
            serial,
            pre_skip,
            samples_per_packet: GRANULE_RATE * u64::from(frame_ms) / 1000,
            pending: None,
            packets: 0,
        })
    }

    fn granule(&self, packets: u64) -> u64 {
        u64::from(self.pre_skip) + packets * self.samples_per_packet
    }

    /// Adds one packet.
    pub fn push(&mut self, packet: &[u8]) -> std::io::Result<()> {
        if let Some(prev) = self.pending.take() {
            self.packets += 1;
            let info = if self.packets.is_multiple_of(50) {
                PacketWriteEndInfo::EndPage // about one page a second
            } else {
                PacketWriteEndInfo::NormalPacket
            };
            let gp = self.granule(self.packets);
            self.writer.write_packet(prev, self.serial, info, gp)?;
        }
        self.pending = Some(packet.to_vec());
        Ok(())
    }

    /// Packets written so far (including the held one).
    pub fn packets(&self) -> u64 {
        self.packets + u64::from(self.pending.is_some())
    }

    /// Writes the last packet with the end-of-stream flag and returns the inner writer.
    pub fn finish(mut self) -> std::io::Result<W> {
        let last = self.pending.take().unwrap_or_default();
        if !last.is_empty() || self.packets == 0 {
            self.packets += u64::from(!last.is_empty());
        }
        let gp = self.granule(self.packets);
        self.writer
            .write_packet(last, self.serial, PacketWriteEndInfo::EndStream, gp)?;
        Ok(self.writer.into_inner())
    }
}
