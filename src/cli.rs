//! The `ama-engine` command line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Config;

#[derive(Debug, Parser)]
#[command(
    name = "ama-engine",
    version,
    about = "Alexa Mobile Accessory audio engine"
)]
struct Cli {
    #[command(subcommand)]
    command: Commands,
}

#[derive(Debug, Subcommand)]
enum Commands {
    /// Print the resolved configuration, or say exactly what is wrong with it.
    CheckConfig {
        /// The TOML file.
        file: PathBuf,
    },
    /// Print the Bluetooth capability assertion object (JSON).
    Capabilities(crate::bluetooth::commands::BluetoothArgs),
    /// List the Bluetooth device registry and BlueZ's view of each device.
    Devices(crate::bluetooth::commands::BluetoothArgs),
    /// Run the AVS Bluetooth interface and the control socket alone (without audio).
    Bluetooth(crate::bluetooth::commands::BluetoothArgs),
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Commands::CheckConfig { file } => match Config::load(&file) {
            Ok(cfg) => {
                print!("{}", cfg.to_toml());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        },
        Commands::Capabilities(args) => crate::bluetooth::commands::capabilities(&args),
        Commands::Devices(args) => crate::bluetooth::commands::devices(&args),
        Commands::Bluetooth(args) => crate::bluetooth::commands::bluetooth(&args),
    }
}
