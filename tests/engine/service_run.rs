//! `run` as a system service sees it: systemd's side of the notify protocol on a real
//! NOTIFY_SOCKET datagram socket (READY=1 only after the capture is open, periodic WATCHDOG=1
//! and STATUS= lines, the pings stop when the test-only fault switch stalls the real-time
//! loop), plain logs on a pipe, and the metrics exporter scraped by a real Prometheus (period
//! count and xrun counter, with xruns caused through the engine's own recovery).
//!
//! No timing assertions: every wait is bounded, and only order and counts are checked.

use std::net::SocketAddr;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::prometheus_support::{http_get, Prometheus};
use crate::support::*;

/// `ama-engine run` on the demo clip through the file plugin, paced, until killed; stderr goes
/// to `dir/stderr.log` (a file: not a terminal).
struct Engine {
    child: Child,
    dir: PathBuf,
}

impl Engine {
    fn start(dir: &Path, extra_toml: &str, env: &[(&str, &str)]) -> Self {
        let cfg = dir.join("board.toml");
        std::fs::write(
            &cfg,
            format!(
                "[audio]\ndevice = \"ama_file:FILE={}\"\npace = true\n\
                 [realtime]\nlock_memory = false\n[wakeword]\nenabled = false\n{extra_toml}",
                data("demo-48k.raw").display()
            ),
        )
        .unwrap();
        // WATCHDOG_PID must be the engine's own pid, as systemd sets it: the shell execs.
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg("WATCHDOG_PID=$$ exec \"$0\" \"$@\"")
            .arg(env!("CARGO_BIN_EXE_ama-engine"))
            .args(["run", "--config"])
            .arg(&cfg)
            .arg("--out")
            .arg(dir.join("out"))
            .env("ALSA_CONFIG_PATH", alsa_config_path())
            .env("AMA_ENGINE_TEST_FAULTS", "1")
            .env_remove("NOTIFY_SOCKET")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("stderr.log")).unwrap());
        for (k, v) in env {
            cmd.env(k, v);
        }
        Self {
            child: cmd.spawn().expect("spawn ama-engine"),
            dir: dir.to_owned(),
        }
    }

    fn signal(&self, sig: Signal) {
        kill(Pid::from_raw(self.child.id() as i32), sig).expect("signal the engine");
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.join("stderr.log")).unwrap_or_default()
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The next datagram on `sock` (None after `wait` without one).
fn recv(sock: &UnixDatagram, wait: Duration) -> Option<String> {
    sock.set_read_timeout(Some(wait)).unwrap();
    let mut buf = [0u8; 4096];
    sock.recv(&mut buf)
        .ok()
        .map(|n| String::from_utf8_lossy(&buf[..n]).into_owned())
}

fn has(msg: &str, line: &str) -> bool {
    msg.lines().any(|l| l == line)
}

/// Counts WATCHDOG=1 pings until ten STATUS= lines in a row came without one (the engine is
/// alive but withholds its pings); fails at `deadline`.
fn pings_until_quiet(sock: &UnixDatagram, deadline: Instant, what: &str) -> usize {
    let (mut late_pings, mut quiet) = (0, 0);
    while quiet < 10 {
        assert!(
            Instant::now() < deadline,
            "pings went on {what} ({late_pings})"
        );
        let Some(msg) = recv(sock, Duration::from_secs(1)) else {
            continue;
        };
        if has(&msg, "WATCHDOG=1") {
            late_pings += 1;
            quiet = 0;
        } else if msg.lines().any(|l| l.starts_with("STATUS=")) {
            quiet += 1;
        }
    }
    late_pings
}

#[test]
fn run_notifies_ready_after_capture_open_pings_the_watchdog_and_stops_when_the_loop_stalls() {
    let tmp = tempfile::tempdir().unwrap();
    let sock_path = tmp.path().join("notify.sock");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    let engine = Engine::start(
        tmp.path(),
        "",
        &[
            ("NOTIFY_SOCKET", sock_path.to_str().unwrap()),
            // A ping every 100 ms (half of it).
            ("WATCHDOG_USEC", "200000"),
        ],
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    // READY=1 first, and only once the capture is open (logged before the loop starts).
    let ready = loop {
        assert!(
            Instant::now() < deadline,
            "no READY=1; stderr:\n{}",
            engine.stderr()
        );
        let Some(msg) = recv(&sock, Duration::from_secs(1)) else {
            continue;
        };
        assert!(
            !has(&msg, "WATCHDOG=1"),
            "a watchdog ping before READY=1: {msg:?}"
        );
        if has(&msg, "READY=1") {
            break msg;
        }
    };
    assert!(
        engine.stderr().contains("capture open"),
        "READY=1 before the capture was open:\n{}",
        engine.stderr()
    );
    assert!(
        ready.lines().any(|l| l.starts_with("STATUS=frames ")),
        "READY=1 comes with the status line: {ready:?}"
    );
    // Periodic pings with the live status line.
    let (mut pings, mut statuses) = (0, 0);
    while pings < 5 {
        assert!(Instant::now() < deadline, "only {pings} pings");
        let Some(msg) = recv(&sock, Duration::from_secs(1)) else {
            continue;
        };
        pings += usize::from(has(&msg, "WATCHDOG=1"));
        statuses += usize::from(msg.lines().any(|l| l.starts_with("STATUS=frames ")));
    }
    assert!(statuses >= pings, "every ping carries a status line");
    // Stall the real-time loop: after at most one ping in flight, the pings stop while the
    // status lines go on (the async side is alive; the loop is not).
    engine.signal(Signal::SIGUSR1);
    let late_pings = pings_until_quiet(&sock, deadline, "after the stall");
    assert!(late_pings <= 2, "{late_pings} pings after the stall");
    assert!(
        engine.stderr().contains("pings withheld"),
        "the engine says why:\n{}",
        engine.stderr()
    );
}

#[test]
fn logs_on_a_pipe_or_file_carry_no_colour_codes() {
    let tmp = tempfile::tempdir().unwrap();
    let mut engine = Engine::start(tmp.path(), "", &[]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !engine.stderr().contains("capture open") {
        assert!(Instant::now() < deadline, "no log:\n{}", engine.stderr());
        std::thread::sleep(Duration::from_millis(50));
    }
    engine.signal(Signal::SIGTERM);
    let _ = engine.child.wait();
    let log = engine.stderr();
    assert!(log.contains("INFO"), "{log}");
    assert!(
        !log.contains('\x1b'),
        "escape codes in a log file:\n{log:?}"
    );
}

/// One scrape of the exporter: the value of the sample `name` (no labels).
pub fn scrape(addr: SocketAddr, name: &str) -> Option<f64> {
    let (status, body) = http_get(addr, "/metrics").ok()?;
    assert_eq!(status, 200, "{body}");
    body.lines().find_map(|l| {
        l.strip_prefix(name)
            .and_then(|rest| rest.strip_prefix(' '))
            .and_then(|v| v.trim().parse().ok())
    })
}

pub fn wait_scrape(addr: SocketAddr, name: &str, done: impl Fn(f64) -> bool) -> f64 {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(v) = scrape(addr, name) {
            if done(v) {
                return v;
            }
        }
        assert!(Instant::now() < deadline, "{name} never matched");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn prometheus_scrapes_the_engine_period_count_and_xruns_from_real_recovery() {
    let tmp = tempfile::tempdir().unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let engine = Engine::start(
        tmp.path(),
        &format!("[telemetry]\nlisten = \"{addr}\"\n"),
        &[],
    );
    wait_scrape(addr, "ama_engine_periods_total", |v| v > 10.0);
    // Two xruns, one at a time, each through the engine's recovery (counted, PCM prepared).
    for n in 1..=2 {
        engine.signal(Signal::SIGUSR2);
        wait_scrape(addr, "ama_engine_xruns_total", |v| v == f64::from(n));
    }
    // Stall the loop so the period count holds still, and read it from the exporter.
    engine.signal(Signal::SIGUSR1);
    let mut periods = wait_scrape(addr, "ama_engine_periods_total", |_| true);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        std::thread::sleep(Duration::from_millis(300));
        let now = wait_scrape(addr, "ama_engine_periods_total", |_| true);
        if now == periods {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the period count never held still"
        );
        periods = now;
    }
    let prom = Prometheus::server(&[addr], 500);
    let got = prom.wait_for("ama_engine_periods_total", 90, |s| {
        s.len() == 1 && s[0].value == periods
    });
    assert_eq!(got[0].label("job"), Some("engine"));
    let xruns = prom.wait_for("ama_engine_xruns_total", 30, |s| !s.is_empty());
    assert_eq!(xruns[0].value, 2.0);
    // The stage histograms arrive as histograms: PromQL computes a quantile from them.
    let median = prom.wait_for(
        "histogram_quantile(0.5, ama_engine_stage_seconds_bucket{stage=\"period\"})",
        30,
        |s| !s.is_empty(),
    );
    assert!(
        median[0].value > 0.0 && median[0].value <= 0.05,
        "{median:?}"
    );
    let streams = prom.wait_for("ama_engine_streams_total", 30, |s| s.len() == 5);
    assert!(streams.iter().all(|s| s.label("initiator").is_some()));
    assert!(
        !engine.stderr().contains('\x1b'),
        "plain logs:\n{}",
        engine.stderr()
    );
}

#[test]
fn with_an_ama_link_a_stuck_sender_stops_the_pings_while_the_loop_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let sock_path = tmp.path().join("notify.sock");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let engine = Engine::start(
        tmp.path(),
        &format!(
            "[ama]\nlink = \"tcp://127.0.0.1:{}\"\nstate_dir = \"{}\"\n[telemetry]\nlisten = \"{addr}\"\n",
            free_port(),
            tmp.path().join("state").display()
        ),
        &[
            ("NOTIFY_SOCKET", sock_path.to_str().unwrap()),
            ("WATCHDOG_USEC", "200000"),
        ],
    );
    // No phone connects: the sender loop still turns, so the pings go on.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut pings = 0;
    while pings < 5 {
        assert!(
            Instant::now() < deadline,
            "only {pings} pings; stderr:\n{}",
            engine.stderr()
        );
        if let Some(msg) = recv(&sock, Duration::from_secs(1)) {
            pings += usize::from(has(&msg, "WATCHDOG=1"));
        }
    }
    wait_scrape(addr, "ama_engine_ama_sender_ticks_total", |v| v > 0.0);
    assert_eq!(scrape(addr, "ama_engine_ama_link_up"), Some(0.0));
    // A stuck link task (the test-only switch blocks the sender): the pings stop although
    // the real-time loop goes on.
    engine.signal(Signal::SIGURG);
    let late_pings = pings_until_quiet(&sock, deadline, "with the link task stuck");
    assert!(
        late_pings <= 2,
        "{late_pings} pings after the link task stuck"
    );
    let periods = scrape(addr, "ama_engine_periods_total").unwrap();
    wait_scrape(addr, "ama_engine_periods_total", |v| v > periods);
    assert!(
        engine.stderr().contains("link_progress=false"),
        "the engine says why:\n{}",
        engine.stderr()
    );
}
