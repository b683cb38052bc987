//! A real Prometheus (Debian's package) scrapes metrics over loopback and answers PromQL through
//! its HTTP API; the fleet path of the README (an agent remote-writing to a central server) is
//! exercised the same way.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};

use crate::prometheus_support::Prometheus;

/// A fixed exposition served over HTTP: checks the harness itself, independent of the engine.
fn static_target(text: &'static str) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let _ = write!(
                conn,
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{text}",
                text.len()
            );
        }
    });
    addr
}

const STATIC: &str = "# TYPE fixture_periods counter\nfixture_periods_total 1234\n\
# TYPE fixture_link_up gauge\nfixture_link_up{link=\"ble\"} 1\n";

#[test]
fn prometheus_scrapes_a_target_and_answers_promql() {
    let target = static_target(STATIC);
    let prom = Prometheus::server(&[target], 500);
    let got = prom.wait_for("fixture_periods_total", 60, |s| !s.is_empty());
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].value, 1234.0);
    assert_eq!(got[0].label("job"), Some("engine"));
    assert_eq!(got[0].label("instance"), Some(target.to_string().as_str()));
    let up = prom.wait_for("fixture_link_up{link=\"ble\"}", 60, |s| !s.is_empty());
    assert_eq!(up[0].value, 1.0);
}

#[test]
fn an_agent_remote_writes_what_it_scrapes_to_a_central_server() {
    let target = static_target(STATIC);
    let central = Prometheus::receiver();
    let _agent = Prometheus::agent(&[target], 500, &central);
    let got = central.wait_for("fixture_periods_total{job=\"engine\"}", 90, |s| {
        !s.is_empty()
    });
    assert_eq!(got[0].value, 1234.0);
}
