//! The `ama-engine` command line: glue between clap and the library's commands.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{Config, ConfigError};

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
        /// Do not check that the ALSA device exists.
        #[arg(long)]
        no_device: bool,
    },
    /// Run the pipeline on a WAV file (16-bit mono, 16 or 48 kHz) through the real-time loop.
    ///
    /// Writes DIR/stream-NNN.ogg (Ogg Opus, one per stream) and DIR/report.json. The input is
    /// read as it is processed, so memory does not grow with its length. Nothing is dropped
    /// silently: with `--gate always` the whole input is one stream, never capped;
    /// `[gate] max_utterance_ms` caps wake-word, tap, press-and-hold and continuation streams,
    /// and each stream's `end_reason` in report.json says what ended it (input_ended,
    /// max_duration, release, local_end_of_speech, shutdown).
    ///
    /// SIGINT, SIGTERM or SIGHUP stop it cleanly: the open stream is finished as a valid Ogg
    /// Opus file (end_reason "shutdown"), report.json is written with the signal's name, and
    /// the exit status is 128 + the signal's number (130 for SIGINT); a second signal exits
    /// at once.
    Simulate {
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long)]
        input: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// `always`: the whole input is one stream (no length cap).
        #[arg(long, value_enum, default_value = "auto")]
        gate: crate::simulate::GateMode,
        /// Pace the input to real time.
        #[arg(long)]
        realtime: bool,
        /// Tap the button at this time, in seconds (repeatable).
        #[arg(long = "tap-at")]
        tap_at: Vec<f64>,
        /// Press and hold the button from FROM to TO seconds (repeatable).
        #[arg(long, value_parser = crate::simulate::parse_hold)]
        hold: Vec<(f64, f64)>,
        /// Also write each stream's 16 kHz PCM as handed to the encoder (stream-NNN.wav).
        #[arg(long)]
        pcm: bool,
        /// The echo canceller's reference as a second mono WAV file ([aec] reference =
        /// "device"). With reference = "channel" the input has 2 channels instead.
        #[arg(long)]
        reference: Option<PathBuf>,
    },
    /// Capture from ALSA until SIGINT/SIGTERM (or [audio] max_seconds).
    Run {
        #[arg(long)]
        config: Option<PathBuf>,
        /// Where streams are written when no AMA link is configured.
        #[arg(long, default_value = "out/run")]
        out: PathBuf,
    },
    /// Print the Bluetooth capability assertion object (JSON).
    Capabilities(crate::bluetooth::commands::BluetoothArgs),
    /// List the Bluetooth device registry and BlueZ's view of each device.
    Devices(crate::bluetooth::commands::BluetoothArgs),
    /// Run the AVS Bluetooth interface and the control socket alone (without audio).
    Bluetooth(crate::bluetooth::commands::BluetoothArgs),
}

/// Loads `path`, or the built-in default when absent. With a file and `[wakeword] enabled`,
/// the model and runtime must load (a config error naming the key and path otherwise).
fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
    match path {
        Some(p) => {
            let cfg = Config::load(p)?;
            crate::config::paths::check_wakeword_of(&cfg, p)?;
            Ok(cfg)
        }
        None => Ok(Config::default()),
    }
}

/// [`load`] without the wake-word check: for runs that never use the detector.
fn load_without_wakeword(path: Option<&Path>) -> Result<Config, ConfigError> {
    match path {
        Some(p) => {
            let cfg = Config::load(p)?;
            let text = std::fs::read_to_string(p).unwrap_or_default();
            crate::config::paths::check_link(&cfg, &text, p)?;
            Ok(cfg)
        }
        None => Ok(Config::default()),
    }
}

/// Loads a config and checks that its ALSA device opens, naming the file, line and key when
/// it does not.
fn load_with_device(path: Option<&Path>) -> Result<Config, ConfigError> {
    let cfg = load(path)?;
    check_device(path, &cfg)?;
    Ok(cfg)
}

/// Checks that the config's ALSA capture device opens.
fn check_device(path: Option<&Path>, cfg: &Config) -> Result<(), ConfigError> {
    if let Err(e) = rt_core::audio::alsa::probe(&cfg.capture_options()) {
        let file = path.map_or_else(|| PathBuf::from("<built-in default>"), Path::to_path_buf);
        let line = path
            .and_then(|p| std::fs::read_to_string(p).ok())
            .map_or(1, |t| crate::config::line_of_key(&t, "audio.device"));
        return Err(ConfigError::Invalid {
            file,
            line,
            key: "audio.device".into(),
            message: e.to_string(),
            accepted: "a capture PCM that exists (see `arecord -L`)".into(),
        });
    }
    Ok(())
}

/// The wake-word detector the config asks for; without one (disabled, or the model or
/// runtime missing) the engine runs on with the button initiators only, and says why.
fn detector(cfg: &Config) -> Option<Box<dyn dsp::wakeword::WakeWordDetector>> {
    if !cfg.wakeword.enabled {
        return None;
    }
    match rt_core::wakeword::build_detector(&cfg.wakeword.options()) {
        Ok(d) => Some(d),
        Err(e) => {
            tracing::warn!("wake word off: {e} (run scripts/setup.sh to install the model)");
            None
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("AMA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // journald and log files get plain text; colours only on a terminal.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

fn fail(e: impl std::fmt::Display) -> ExitCode {
    crate::output::errln!("error: {e}");
    ExitCode::from(2)
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    match cli.command {
        Commands::CheckConfig { file, no_device } => {
            let res = if no_device {
                load(Some(&file))
            } else {
                load_with_device(Some(&file))
            };
            match res {
                Ok(cfg) => {
                    crate::output::result_or_stderr(&cfg.to_toml());
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
        Commands::Simulate {
            config,
            input,
            out,
            gate,
            realtime,
            tap_at,
            hold,
            pcm,
            reference,
        } => {
            // `--gate always` never consults the wake word: neither check nor load its
            // model and TFLite runtime (about 3.5 MiB of RSS with the libstdc++ it pulls in).
            let always = gate == crate::simulate::GateMode::Always;
            let loaded = if always {
                load_without_wakeword(config.as_deref())
            } else {
                load(config.as_deref())
            };
            let config = match loaded {
                Ok(c) => c,
                Err(e) => return fail(e),
            };
            let mut args = crate::simulate::SimulateArgs::new(config, input, &out)
                .gate(gate)
                .realtime(realtime)
                .pcm(pcm)
                .signals(true);
            args.taps = tap_at;
            args.holds = hold;
            args.reference = reference;
            let det = if always { None } else { detector(&args.config) };
            match crate::simulate::simulate(&args, det) {
                Ok(report) => {
                    crate::output::result_or_stderr(&crate::simulate::summary(&report, &out));
                    match report.signal_number {
                        Some(sig) => {
                            crate::output::errln!(
                                "stopped by {}: the open stream was finished, report.json written",
                                crate::stop_signals::name(sig)
                            );
                            ExitCode::from(crate::stop_signals::exit_status(sig))
                        }
                        None => ExitCode::SUCCESS,
                    }
                }
                Err(e) => fail(format!("{e:#}")),
            }
        }
        Commands::Run { config: path, out } => {
            let config = match load(path.as_deref()) {
                Ok(c) => c,
                Err(e) => return fail(e),
            };
            // One engine per state, before anything else (crate::instance_lock).
            let _lock = match crate::instance_lock::acquire_for(&config, config.bluetooth.enabled) {
                Ok(l) => l,
                Err(e) => return fail(e),
            };
            if let Err(e) = check_device(path.as_deref(), &config) {
                return fail(e);
            }
            let det = detector(&config);
            match crate::run::run(crate::run::RunArgs { config, out }, det) {
                Ok(table) => {
                    crate::output::result_or_stderr(&table);
                    ExitCode::SUCCESS
                }
                Err(e) => fail(format!("{e:#}")),
            }
        }
        Commands::Capabilities(args) => crate::bluetooth::commands::capabilities(&args),
        Commands::Devices(args) => crate::bluetooth::commands::devices(&args),
        Commands::Bluetooth(args) => crate::bluetooth::commands::bluetooth(&args),
    }
}
