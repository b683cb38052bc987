//! The AMA link's admission rule: a new connection replaces the phone only after it has sent
//! a valid frame (a control envelope with a known command) within `[ama]
//! handshake_timeout_ms`; garbage beyond `max_garbage_bytes` closes the offending link; a link
//! that never proves itself (one byte at a time) is closed at the handshake timeout.

use std::time::Duration;

use ama_phone as phone;
use ama_phone::{Ending, PhoneOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{garbage, long_run, run_config, spawn_run};
use crate::support::free_port;

/// Reads until the engine closes the connection; false if it is still open after `limit`.
async fn closed_within(sock: &mut TcpStream, limit: Duration) -> bool {
    let mut buf = [0u8; 256];
    let end = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(end, sock.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strangers_sending_garbage_do_not_take_the_phones_link() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let cfg = run_config(
        dir.path(),
        &format!("link = \"tcp://{addr}\"\nhandshake_timeout_ms = 2000\nmax_garbage_bytes = 64"),
        "",
    );
    let engine = spawn_run(&cfg, dir.path());

    // Strangers: one connection after another, each sending random bytes, all through the
    // phone's dialog.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let attacker = {
        let stop = stop.clone();
        let addr = addr.clone();
        tokio::spawn(async move {
            let mut seed = 1u64;
            let mut connections = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_millis(150)).await;
                let Ok(mut s) = TcpStream::connect(&addr).await else {
                    continue;
                };
                connections += 1;
                seed += 1;
                let _ = s.write_all(&garbage(seed, 200)).await;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            connections
        })
    };

    let mut o = PhoneOptions::new(&format!("tcp://{addr}"));
    o.quiet = true;
    o.endpoint_after = None;
    o.utterances = Some(1);
    o.max_time = Some(Duration::from_secs(40));
    o.connect_wait = Duration::from_secs(20);
    let report = phone::run(o).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let connections = attacker.await.unwrap();
    let out = tokio::task::spawn_blocking(move || engine.wait_with_output().unwrap())
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report = report.unwrap_or_else(|e| panic!("phone: {e}\n{stderr}"));
    assert!(
        connections >= 5,
        "the strangers connected {connections} times"
    );
    assert_eq!(report.utterances.len(), 1, "{stderr}");
    assert_eq!(
        report.utterances[0].ending,
        Ending::AccessoryEndpoint,
        "{stderr}"
    );
    assert!(out.status.success(), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_that_never_proves_itself_is_closed() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    // A long capture (the clip is 5.5 s; max_seconds keeps the engine up past every bound
    // below): the engine must close these links itself, not by exiting.
    let cfg = run_config(
        dir.path(),
        &format!(
            "link = \"tcp://{addr}\"\nhandshake_timeout_ms = 300\nmax_garbage_bytes = 64\n\
             keepalive_ms = 0\nlink_timeout_ms = 0"
        ),
        "",
    );
    long_run(&cfg, 120);
    let mut engine = spawn_run(&cfg, dir.path());

    let connect = || async {
        let end = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(s) = TcpStream::connect(&addr).await {
                return s;
            }
            assert!(tokio::time::Instant::now() < end, "engine not listening");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };

    // One byte every 100 ms, never a frame: closed at the handshake timeout.
    let mut drip = connect().await;
    let mut closed = false;
    for i in 0..300u32 {
        if drip.write_all(&[0x20 + (i % 64) as u8]).await.is_err() {
            closed = true;
            break;
        }
        if closed_within(&mut drip, Duration::from_millis(100)).await {
            closed = true;
            break;
        }
    }
    assert!(closed, "a link dripping bytes stayed open for 30 s");

    // A flood of random bytes: closed once past max_garbage_bytes (well before 30 s).
    let mut flood = connect().await;
    let _ = flood.write_all(&garbage(7, 4096)).await;
    assert!(
        closed_within(&mut flood, Duration::from_secs(30)).await,
        "a link sending garbage stayed open"
    );

    // Silence: closed at the handshake timeout too.
    let mut silent = connect().await;
    assert!(
        closed_within(&mut silent, Duration::from_secs(30)).await,
        "a silent link stayed open"
    );
    assert!(
        engine.try_wait().unwrap().is_none(),
        "the engine kept running"
    );
    engine.kill().unwrap();
    engine.wait().unwrap();
}
