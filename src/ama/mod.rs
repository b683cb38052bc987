//! The AMA link runtime (issue 4): the tokio side that carries the session of ama-proto.
//!
//! - `link`: byte streams (TCP, Unix, RFCOMM through BlueZ) and the BLE GATT server;
//! - `active`: one phone connection as the sender holds it (decoder, admission, outbox);
//! - `outbox`: the bytes waiting for a link (the sender never waits on a write);
//! - `sender`: the task that drains the real-time thread's ring and runs the session on a link;
//! - `store`: the session's state file (`ama-state.json`, written atomically).

mod active;
pub mod link;
pub mod outbox;
pub mod sender;
pub mod store;

pub use link::AmaError;
pub use sender::{serve, AmaService};
