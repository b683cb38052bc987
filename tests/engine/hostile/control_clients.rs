//! Idle control clients cannot lock everyone else out: at `max_clients`, the client idle
//! longest (past `[control] idle_evict_ms`) is told why and closed, and the newcomer served.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use super::{bluetooth_config, spawn_bluetooth};
use crate::bluetooth_support::Mock;

const WAIT: Duration = Duration::from_secs(30);

fn line(r: &mut BufReader<UnixStream>) -> String {
    let mut l = String::new();
    let _ = r.read_line(&mut l);
    l
}

#[test]
fn the_idlest_client_makes_room_at_max_clients() {
    let dir = tempfile::tempdir().unwrap();
    let mock = Mock::start();
    let socket = dir.path().join("control.sock");
    let cfg = bluetooth_config(
        dir.path(),
        dir.path(),
        &socket,
        "max_clients = 2\nidle_evict_ms = 200\n",
    );
    let mut engine = spawn_bluetooth(&cfg, &mock.address, false);
    let start = Instant::now();
    let a = loop {
        if let Ok(s) = UnixStream::connect(&socket) {
            break s;
        }
        assert!(start.elapsed() < WAIT, "no control socket");
        std::thread::sleep(Duration::from_millis(20));
    };
    let b = UnixStream::connect(&socket).unwrap();
    a.set_read_timeout(Some(WAIT)).unwrap();
    let mut a = BufReader::new(a);

    // Newcomers until one is served (the two idle ones age past idle_evict_ms meanwhile).
    let start = Instant::now();
    let mut served = None;
    while served.is_none() && start.elapsed() < WAIT {
        let mut c = UnixStream::connect(&socket).unwrap();
        c.set_read_timeout(Some(WAIT)).unwrap();
        // A refused newcomer may find the socket already closed (EPIPE): its refusal line
        // is still there to read.
        let _ = c.write_all(b"{\"command\": \"context\"}\n");
        let mut r = BufReader::new(c);
        let reply = line(&mut r);
        if reply.contains("\"context\"") {
            served = Some(r);
        } else {
            assert!(reply.contains("too many clients"), "{reply}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    let _ = engine.kill();
    let _ = engine.wait();
    assert!(served.is_some(), "two idle clients kept a third out");
    let goodbye = line(&mut a);
    assert!(goodbye.contains("make room"), "{goodbye}");
    drop(b);
}
