//! AMA transport (spec/ama-protocol.md, "Transport"): the 20-byte version packet sent first on
//! every link, the frame header (version 1, 5-bit stream id, 8- or 16-bit length), and a
//! streaming decoder that rebuilds frames from bytes split anywhere.
//!
//! **Guarantees**: nothing here panics on any input or allocates without bound; the decoder
//! holds at most one frame plus one read's bytes, counts every malformed header and resyncs.

mod decoder;
mod frame;
mod version;

pub use decoder::{DecodeError, DecodeStats, Decoder, Frame};
pub use frame::{
    encode_control, encode_envelope, encode_frame, encode_voice, header_len, Stream, MAX_PAYLOAD,
};
pub use version::{VersionError, VersionPacket, VERSION_PACKET_LEN};
