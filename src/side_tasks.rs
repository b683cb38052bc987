//! The tasks `run` adds to the async runtime beside the links: the sd_notify protocol
//! ([`crate::notify`]) and, with `[telemetry] listen`, the metrics exporter
//! ([`crate::metrics`]). Both only read the engine's atomics.

use std::sync::Arc;

use rt_core::telemetry::Telemetry;

use crate::config::{AmaLink, Config};

/// What to spawn, decided before the runtime starts.
#[derive(Debug)]
pub struct SideTasks {
    tel: Arc<Telemetry>,
    ama: bool,
    status_line: fn(&Telemetry) -> String,
    listen: Option<std::net::SocketAddr>,
}

impl SideTasks {
    /// The tasks for `cfg`, reading `tel`; `status_line` renders the `STATUS=` line.
    pub fn new(cfg: &Config, tel: Arc<Telemetry>, status_line: fn(&Telemetry) -> String) -> Self {
        Self {
            tel,
            status_line,
            ama: cfg.ama.link != AmaLink::None,
            listen: cfg.telemetry.listen_addr(),
        }
    }

    /// Spawns them on the current tokio runtime.
    pub fn spawn(self) {
        tokio::spawn(crate::notify::serve(
            self.tel.clone(),
            self.ama,
            self.status_line,
        ));
        if let Some(addr) = self.listen {
            let registry = crate::metrics::registry(self.tel, self.ama);
            tokio::spawn(crate::metrics::serve(addr, registry));
        }
    }
}
