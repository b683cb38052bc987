//! Alexa Mobile Accessory: protocol, transport framing, session, links (issue 4).
//!
//! Layers, each tested on its own:
//! - [`proto`]: the generated protobuf messages (only `ama/` knows protobuf);
//! - [`transport`]: version packet, frame encode, streaming decoder;
//! - [`envelope`]: building and decoding control envelopes;
//! - `session`: the accessory's state machine, pure (no I/O, no clock);
//! - `link`: byte streams (TCP, Unix, RFCOMM) and the BLE GATT server;
//! - `sender`: the tokio task that drains the real-time ring and runs the session on a link;
//! - `phone`: the phone-side test tool.

pub mod envelope;
pub mod link;
pub mod phone;
pub mod proto;
pub mod sender;
pub mod session;
pub mod transport;

pub use link::AmaError;
pub use sender::{serve, AmaService};
