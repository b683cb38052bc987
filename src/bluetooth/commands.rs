//! The `capabilities`, `devices` and `bluetooth` subcommands (their arguments and logic; cli.rs
//! only dispatches).

use std::path::PathBuf;
use std::process::ExitCode;

use avs_bluetooth::model::capability_assertion;
use clap::Args;

use crate::config::Config;

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
    let v = capability_assertion(cfg.bluetooth.interface_version, &cfg.bluetooth.profiles);
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

fn init_logging() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .try_init();
}

fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("error: cannot start the async runtime: {e}");
            ExitCode::FAILURE
        })
}

async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}

/// `ama-engine bluetooth`: runs the Bluetooth interface and the control socket alone (no audio;
/// button commands are logged) until SIGINT/SIGTERM.
pub fn bluetooth(args: &BluetoothArgs) -> ExitCode {
    let cfg = match args.load() {
        Ok(c) => std::sync::Arc::new(c),
        Err(code) => return code,
    };
    init_logging();
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let socket = cfg.control.path.clone();
    let result = rt.block_on(async move {
        let (tx, mut rx) = tokio::sync::mpsc::channel(16);
        tokio::spawn(async move {
            while let Some(c) = rx.recv().await {
                tracing::info!("button command {c:?} (no audio side in `bluetooth` mode)");
            }
        });
        tokio::select! {
            r = super::serve(cfg, tx) => r,
            _ = shutdown_signal() => Ok(()),
        }
    });
    let _ = std::fs::remove_file(&socket);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `ama-engine devices`: the registry (ids, MACs, categories, most recent first) and BlueZ's
/// view of each device (paired, connected, profiles, streaming).
pub fn devices(args: &BluetoothArgs) -> ExitCode {
    use avs_bluetooth::model::InterfaceVersion;
    use avs_bluetooth::registry::Registry;
    use avs_bluez::BluezBackend;

    let cfg = match args.load() {
        Ok(c) => c,
        Err(code) => return code,
    };
    let registry = match Registry::open(&cfg.bluetooth.registry_path()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("warning: {e}");
            Registry::in_memory()
        }
    };
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let view = rt.block_on(async {
        match BluezBackend::connect(&cfg.bluetooth.adapter).await {
            Ok((b, _events)) => Some(b.view()),
            Err(e) => {
                eprintln!("warning: BlueZ not available ({e}); showing the registry only");
                None
            }
        }
    });
    println!(
        "{:<36}  {:<17}  {:<14}  {:<6}  {:<9}  {:<9}  {:<28}  name",
        "uniqueDeviceId", "mac", "category", "paired", "connected", "streaming", "profiles"
    );
    let mut shown = std::collections::HashSet::new();
    let row = |id: &str, mac: &str, category: &str| {
        let dev = view.as_ref().and_then(|v| v.devices.get(mac));
        let streaming = view
            .as_ref()
            .and_then(|v| v.transport_of(mac))
            .map(|t| format!("{:?}", t.state).to_ascii_lowercase())
            .unwrap_or_else(|| "-".into());
        let yn = |b: Option<bool>| match b {
            Some(true) => "yes",
            Some(false) => "no",
            None => "?",
        };
        let profiles = dev
            .map(|d| {
                d.profiles
                    .iter()
                    .map(|p| p.wire_name(InterfaceVersion::V2))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_default();
        println!(
            "{:<36}  {:<17}  {:<14}  {:<6}  {:<9}  {:<9}  {:<28}  {}",
            id,
            mac,
            category,
            yn(dev.map(|d| d.paired)),
            yn(dev.map(|d| d.connected)),
            streaming,
            profiles,
            dev.map(|d| d.name.as_str()).unwrap_or("")
        );
    };
    for r in registry.records() {
        shown.insert(r.mac.clone());
        row(&r.unique_device_id, &r.mac, r.category.as_str());
    }
    if let Some(v) = &view {
        for mac in v.devices.keys().filter(|m| !shown.contains(*m)) {
            row("-", mac, "-");
        }
    }
    ExitCode::SUCCESS
}
