//! A real Prometheus server (Debian's `prometheus`, installed by scripts/setup.d/deploy.sh) on
//! loopback for the telemetry tests: it scrapes the given targets, and PromQL queries go through
//! its HTTP API (`/api/v1/query`). Also the fleet shape the README describes: an agent
//! (`--enable-feature=agent`) scraping a target and remote-writing to a central server started
//! with `--web.enable-remote-write-receiver`.
//!
//! Waits are bounded and poll; nothing asserts how long anything took. The child is killed on
//! drop; its log is printed when a wait gives up.
#![allow(dead_code)] // each test binary uses a different subset

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::free_port;

/// The Prometheus binary (Debian's package puts it on PATH).
const BINARY: &str = "prometheus";

/// One sample of an instant vector: its labels and value.
#[derive(Debug, Clone)]
pub struct Sample {
    pub labels: serde_json::Map<String, serde_json::Value>,
    pub value: f64,
}

impl Sample {
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels.get(name).and_then(|v| v.as_str())
    }
}

/// A running Prometheus (server or agent) with its own storage in a temporary directory.
pub struct Prometheus {
    child: Child,
    pub addr: SocketAddr,
    dir: tempfile::TempDir,
}

impl Prometheus {
    /// A server scraping `targets` (job `engine`) every `interval_ms`.
    pub fn server(targets: &[SocketAddr], interval_ms: u64) -> Self {
        Self::start(&scrape_config(targets, interval_ms, None), &[])
    }

    /// A central server that only receives remote writes (what a fleet's agents send to).
    pub fn receiver() -> Self {
        Self::start(
            "global:\n  scrape_interval: 1m\n",
            &["--web.enable-remote-write-receiver"],
        )
    }

    /// An agent scraping `targets` and remote-writing everything to `central`.
    pub fn agent(targets: &[SocketAddr], interval_ms: u64, central: &Prometheus) -> Self {
        let url = format!("http://{}/api/v1/write", central.addr);
        Self::start(
            &scrape_config(targets, interval_ms, Some(&url)),
            &["--enable-feature=agent"],
        )
    }

    fn start(config: &str, extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("prometheus.yml");
        std::fs::write(&file, config).unwrap();
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let agent = extra.contains(&"--enable-feature=agent");
        let storage = if agent {
            "--storage.agent.path"
        } else {
            "--storage.tsdb.path"
        };
        let log = std::fs::File::create(dir.path().join("prometheus.log")).unwrap();
        let child = Command::new(BINARY)
            .arg(format!("--config.file={}", file.display()))
            .arg(format!("{storage}={}", dir.path().join("data").display()))
            .arg(format!("--web.listen-address={addr}"))
            .arg("--log.level=warn")
            .args(extra)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect(
                "prometheus (Debian package prometheus; scripts/setup.d/deploy.sh installs it)",
            );
        let p = Self { child, addr, dir };
        p.wait_ready();
        p
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok((200, _)) = http_get(self.addr, "/-/ready") {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "prometheus not ready:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// What Prometheus logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("prometheus.log")).unwrap_or_default()
    }

    /// The instant vector `promql` evaluates to now.
    pub fn query(&self, promql: &str) -> Result<Vec<Sample>, String> {
        let path = format!("/api/v1/query?query={}", percent_encode(promql));
        let (status, body) = http_get(self.addr, &path).map_err(|e| e.to_string())?;
        let v: serde_json::Value =
            serde_json::from_str(&body).map_err(|e| format!("{e}: {body}"))?;
        if status != 200 || v["status"] != "success" {
            return Err(format!("HTTP {status}: {body}"));
        }
        let result = v["data"]["result"].as_array().cloned().unwrap_or_default();
        Ok(result
            .into_iter()
            .map(|r| Sample {
                labels: r["metric"].as_object().cloned().unwrap_or_default(),
                value: r["value"][1]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(f64::NAN),
            })
            .collect())
    }

    /// Polls `promql` until `done` accepts its result (at most `secs` seconds) and returns it.
    pub fn wait_for(
        &self,
        promql: &str,
        secs: u64,
        done: impl Fn(&[Sample]) -> bool,
    ) -> Vec<Sample> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        let mut last = Err(String::from("not queried"));
        while Instant::now() < deadline {
            last = self.query(promql);
            if let Ok(samples) = &last {
                if done(samples) {
                    return samples.clone();
                }
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!(
            "`{promql}` never matched within {secs} s; last: {last:?}\nprometheus log:\n{}",
            self.log()
        );
    }

    /// The scrape targets' health as Prometheus sees it (`/api/v1/targets`).
    pub fn targets(&self) -> String {
        http_get(self.addr, "/api/v1/targets")
            .map(|(_, b)| b)
            .unwrap_or_default()
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn scrape_config(targets: &[SocketAddr], interval_ms: u64, remote_write: Option<&str>) -> String {
    let list = targets
        .iter()
        .map(|t| format!("'{t}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut yml = format!(
        "global:\n  scrape_interval: {interval_ms}ms\n  scrape_timeout: {interval_ms}ms\n\
         scrape_configs:\n  - job_name: engine\n    static_configs:\n      - targets: [{list}]\n"
    );
    if let Some(url) = remote_write {
        yml += &format!("remote_write:\n  - url: {url}\n");
    }
    yml
}

/// GET over HTTP/1.1 (loopback, `Connection: close`): status and body.
pub fn http_get(addr: SocketAddr, path: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAccept: */*\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    Ok((
        status,
        if chunked {
            dechunk(body)
        } else {
            body.to_string()
        },
    ))
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out += &rest[..n];
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
