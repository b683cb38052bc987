//! The version packet (spec/ama-protocol.md, "Transport" 1): `FE 03`, major 1, minor 0,
//! transport packet size (u16 BE), max transactional data size (u16 BE), 12 zero bytes.

/// Length of the version packet.
pub const VERSION_PACKET_LEN: usize = 20;
/// Protocol id, the first two bytes.
pub const PROTOCOL_ID: [u8; 2] = [0xFE, 0x03];
/// The major version we speak.
pub const MAJOR: u8 = 1;

/// The accessory's version packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionPacket {
    pub major: u8,
    pub minor: u8,
    /// Transport packet size the accessory handles (Amazon's sample: 800; some send 0).
    pub transport_packet_size: u16,
    /// Largest transactional data size (Amazon's sample: 5000; some send 0).
    pub max_transactional_data_size: u16,
}

/// A version packet that cannot be accepted. The receiver closes the link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VersionError {
    /// Fewer than 20 bytes.
    #[error("version packet too short: {0} bytes, 20 needed")]
    Short(usize),
    /// The first two bytes are not FE 03.
    #[error("bad protocol id {0:02X} {1:02X}, expected FE 03")]
    ProtocolId(u8, u8),
    /// A major version other than 1.
    #[error("unsupported major version {0}, expected 1")]
    Major(u8),
}

impl VersionPacket {
    /// Version 1.0 with the given sizes.
    pub fn new(transport_packet_size: u16, max_transactional_data_size: u16) -> Self {
        Self {
            major: MAJOR,
            minor: 0,
            transport_packet_size,
            max_transactional_data_size,
        }
    }

    /// The 20 bytes on the wire. Real-time safe (no allocation).
    pub fn encode(&self) -> [u8; VERSION_PACKET_LEN] {
        let mut b = [0u8; VERSION_PACKET_LEN];
        b[..2].copy_from_slice(&PROTOCOL_ID);
        b[2] = self.major;
        b[3] = self.minor;
        b[4..6].copy_from_slice(&self.transport_packet_size.to_be_bytes());
        b[6..8].copy_from_slice(&self.max_transactional_data_size.to_be_bytes());
        b
    }

    /// Parses the first 20 bytes of `bytes`. The 12 trailing bytes are ignored (reserved).
    pub fn decode(bytes: &[u8]) -> Result<Self, VersionError> {
        let b = bytes
            .get(..VERSION_PACKET_LEN)
            .ok_or(VersionError::Short(bytes.len()))?;
        if b[..2] != PROTOCOL_ID {
            return Err(VersionError::ProtocolId(b[0], b[1]));
        }
        if b[2] != MAJOR {
            return Err(VersionError::Major(b[2]));
        }
        Ok(Self {
            major: b[2],
            minor: b[3],
            transport_packet_size: u16::from_be_bytes([b[4], b[5]]),
            max_transactional_data_size: u16::from_be_bytes([b[6], b[7]]),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amazon_sample_vector() {
        let mut want = vec![0xFE, 0x03, 0x01, 0x00, 0x03, 0x20, 0x13, 0x88];
        want.extend([0u8; 12]);
        let v = VersionPacket::new(800, 5000);
        assert_eq!(v.encode().as_slice(), want.as_slice());
        assert_eq!(VersionPacket::decode(&want), Ok(v));
    }

    #[test]
    fn rejects_bad_packets() {
        assert_eq!(
            VersionPacket::decode(&[0xFE, 0x03]),
            Err(VersionError::Short(2))
        );
        let mut b = VersionPacket::new(0, 0).encode();
        b[1] = 0x04;
        assert_eq!(
            VersionPacket::decode(&b),
            Err(VersionError::ProtocolId(0xFE, 0x04))
        );
        let mut b = VersionPacket::new(0, 0).encode();
        b[2] = 2;
        assert_eq!(VersionPacket::decode(&b), Err(VersionError::Major(2)));
    }
}
