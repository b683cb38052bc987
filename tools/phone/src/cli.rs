//! Arguments of `ama-phone` and its entry point (the binary's edge: anyhow-free, prints).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use crate::{run_with, PhoneOptions, PhoneRequest};

/// `ama-phone CONNECT-ADDR`: the phone side of AMA (the Alexa app), for development.
#[derive(Debug, clap::Parser)]
#[command(name = "ama-phone", version)]
pub struct PhoneArgs {
    /// `tcp://HOST:PORT`, `HOST:PORT` or `unix:/path` (the engine's `[ama] link`), or over
    /// real Bluetooth (BlueZ on this machine): `rfcomm://BDADDR[:CH]` (no channel: the one in
    /// the board's SDP record) or `ble://BDADDR`.
    pub addr: String,
    /// The Bluetooth adapter for `rfcomm://` and `ble://` (e.g. `hci1`; default: BlueZ's).
    #[arg(long)]
    pub adapter: Option<String>,
    /// Send ENDPOINT_SPEECH this many seconds after accepting an utterance (0: wait for the
    /// accessory to end it).
    #[arg(long, default_value_t = 3.0)]
    pub endpoint_after: f64,
    /// Send STOP_SPEECH this many seconds after accepting, instead of endpointing.
    #[arg(long)]
    pub stop_after: Option<f64>,
    /// Answer START_SPEECH with BUSY.
    #[arg(long)]
    pub busy: bool,
    /// PROVIDE_SPEECH this many extra turns per dialog (multi-turn).
    #[arg(long, default_value_t = 0)]
    pub multi_turn: u32,
    /// Write each utterance here as Ogg Opus.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Exit after this many utterances.
    #[arg(long)]
    pub utterances: Option<usize>,
    /// Exit after this many seconds.
    #[arg(long)]
    pub max_seconds: Option<f64>,
    /// Send KEEP_ALIVE every this many seconds.
    #[arg(long)]
    pub keepalive: Option<f64>,
    /// Keep connecting for this many seconds while the engine is not listening yet.
    #[arg(long, default_value_t = 10.0)]
    pub wait: f64,
    /// Print a JSON summary at the end.
    #[arg(long)]
    pub json: bool,
}

fn secs(v: f64) -> Option<Duration> {
    (v.is_finite() && v > 0.0).then(|| Duration::from_secs_f64(v))
}

/// Runs the tool; reads `e` (endpoint), `s` (stop), `p` (provide speech), `q` (quit) from stdin.
pub fn main(args: PhoneArgs) -> ExitCode {
    if let Err(e) = crate::PhoneAddr::parse(&args.addr) {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    let mut opts = PhoneOptions::new(&args.addr);
    opts.adapter = args.adapter.clone();
    opts.endpoint_after = secs(args.endpoint_after);
    opts.stop_after = args.stop_after.and_then(secs);
    opts.busy = args.busy;
    opts.multi_turn = args.multi_turn;
    opts.out_dir = args.out.clone();
    opts.utterances = args.utterances;
    opts.max_time = args.max_seconds.and_then(secs);
    opts.keepalive = args.keepalive.and_then(secs);
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    rt.block_on(async move {
        let mut opts = opts;
        let (tx, rx) = tokio::sync::mpsc::channel(8);
        // stdin is read on a plain thread (blocking reads), handing requests over a channel.
        std::thread::spawn(move || {
            for line in std::io::stdin().lines() {
                let Ok(l) = line else { break };
                let r = match l.trim() {
                    "e" => PhoneRequest::Endpoint,
                    "s" => PhoneRequest::Stop,
                    "p" => PhoneRequest::ProvideSpeech,
                    "q" => PhoneRequest::Quit,
                    _ => continue,
                };
                if tx.blocking_send(r).is_err() {
                    break;
                }
            }
        });
        opts.connect_wait = secs(args.wait).unwrap_or_default();
        let res = run_with(opts, rx).await;
        match res {
            Ok(report) => {
                if args.json {
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&report).unwrap_or_default()
                    );
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(1)
            }
        }
    })
}
