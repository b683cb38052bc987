//! The `capabilities`, `devices` and `bluetooth` subcommands (their arguments and logic; cli.rs
//! only dispatches).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::config::Config;

use super::model::capability_assertion;

/// Arguments shared by the Bluetooth subcommands.
#[derive(Debug, Clone, Args)]
pub struct BluetoothArgs {
    /// The TOML configuration (built-in defaults when absent).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

impl BluetoothArgs {
    fn load(&self) -> Result<Config, ExitCode> {
        match &self.config {
            None => Ok(Config::default()),
            Some(f) => Config::load(f).map_err(|e| {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }),
        }
    }
}

/// `ama-engine capabilities`: prints the Bluetooth capability assertion object as JSON.
pub fn capabilities(args: &BluetoothArgs) -> ExitCode {
    let cfg = match args.load() {
        Ok(c) => c,
        Err(code) => return code,
    };
    let v = capability_assertion(cfg.bluetooth.version(), &cfg.bluetooth.profile_kinds());
    match serde_json::to_string_pretty(&v) {
        Ok(s) => {
            println!("{s}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
