//! `ama-phone`: the phone's side of AMA against a running engine (TCP or Unix link).

use clap::Parser;

fn main() -> std::process::ExitCode {
    ama_phone::cli::main(ama_phone::cli::PhoneArgs::parse())
}
