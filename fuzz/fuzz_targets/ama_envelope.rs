//! The control-envelope decoder, and the session's handling of whatever decodes: never a panic.
#![no_main]

use std::time::Duration;

use ama_proto::envelope;
use ama_proto::proto::Transport;
use ama_proto::session::{LinkInfo, MemoryStore, Output, Session, SessionSettings};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(env) = envelope::decode(data) else { return };
    let settings = SessionSettings::default();
    let mut s = Session::new(settings, Box::new(MemoryStore::default()));
    s.link_up(Duration::ZERO, LinkInfo { transport: Transport::BluetoothRfcomm, mtu: 990, ble: false });
    let mut out = Output::default();
    s.on_envelope(Duration::from_millis(1), env, &mut out);
    s.tick(Duration::from_secs(100), &mut out);
});
