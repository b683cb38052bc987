//! Generates the AMA protobuf types (src/proto.rs includes them) from proto/*.proto.
//! protox compiles the files in Rust, so no `protoc` binary is needed.

use std::path::PathBuf;

const PROTOS: &[&str] = &[
    "proto/accessories.proto",
    "proto/common.proto",
    "proto/device.proto",
    "proto/speech.proto",
    "proto/state.proto",
    "proto/system.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for p in PROTOS {
        println!("cargo:rerun-if-changed={p}");
    }
    let fds = protox::compile(PROTOS, ["proto"])?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    prost_build::Config::new().out_dir(&out).compile_fds(fds)?;
    Ok(())
}
