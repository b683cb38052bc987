//! Alexa Mobile Accessory, the accessory's side, pure: the protocol messages, the transport
//! framing, control envelopes and the session state machine (issue 4). The facts come from
//! spec/ama-protocol.md.
//!
//! Layers, each tested on its own:
//! - [`proto`]: the generated protobuf messages (this crate is the only one that knows
//!   protobuf);
//! - [`transport`]: version packet, frame encode, streaming decoder;
//! - [`envelope`]: building and decoding control envelopes;
//! - [`session`]: the accessory's state machine (no I/O, no clock).
//!
//! **Invariants** (enforced by this crate's dependencies): no async runtime, no sockets, no
//! files, no ALSA, no BlueZ: prost and the shared vocabulary (`engine-base`) only. The links,
//! the sender task and the file-backed state store are the application's. The fuzz targets
//! (fuzz/) depend on this crate alone.

pub mod envelope;
pub mod proto;
pub mod session;
pub mod transport;
