//! [telemetry] section: the Prometheus/OpenMetrics exporter.

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

use super::Invalid;

/// [telemetry] section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TelemetryConfig {
    /// `IP:PORT` where the exporter serves the metrics over HTTP (any path; GET), for example
    /// `"127.0.0.1:9464"`. Empty (the default): no exporter.
    pub listen: String,
}

impl TelemetryConfig {
    /// The address to listen on, when the exporter is on.
    pub fn listen_addr(&self) -> Option<SocketAddr> {
        self.listen.parse().ok()
    }

    pub(super) fn validate(&self) -> Result<(), Invalid> {
        if self.listen.is_empty() || self.listen.parse::<SocketAddr>().is_ok() {
            Ok(())
        } else {
            Err(Invalid::new(
                "telemetry.listen",
                format!("`{}` is not an address and port", self.listen),
                "IP:PORT such as \"127.0.0.1:9464\", or \"\" for off",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::{Config, ConfigError};

    #[test]
    fn off_by_default_and_an_address_turns_it_on() {
        assert_eq!(Config::default().telemetry.listen_addr(), None);
        let cfg = Config::parse(
            "[telemetry]\nlisten = \"127.0.0.1:9464\"\n",
            Path::new("t.toml"),
        )
        .unwrap();
        assert_eq!(
            cfg.telemetry.listen_addr(),
            Some("127.0.0.1:9464".parse().unwrap())
        );
    }

    #[test]
    fn a_bad_address_names_the_key_and_line() {
        let err = Config::parse("[telemetry]\nlisten = \"localhost\"\n", Path::new("t.toml"))
            .unwrap_err();
        assert!(
            matches!(&err, ConfigError::Invalid { line: 2, key, .. } if key == "telemetry.listen"),
            "{err}"
        );
    }
}
