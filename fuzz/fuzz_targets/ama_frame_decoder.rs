//! The streaming frame decoder on arbitrary bytes, pushed in arbitrary chunk sizes: never a
//! panic, bounded memory, and every control frame's payload goes through the envelope decoder.
#![no_main]

use ama_proto::{envelope, transport::{Decoder, Frame}};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&split, rest)) = data.split_first() else { return };
    let chunk = usize::from(split).max(1);
    let mut d = Decoder::new(4096);
    for piece in rest.chunks(chunk) {
        d.push(piece);
        while let Some(r) = d.next_frame() {
            if let Ok(Frame::Control(body)) = r {
                let _ = envelope::decode(&body);
            }
        }
        assert!(d.pending() <= 4096 + 4 + chunk);
    }
    let _ = d.finish();
});
