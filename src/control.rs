//! The local control socket: a Unix socket (path from `[control]`, mode 0600) speaking JSON
//! lines.
//!
//! In (one JSON object per line):
//! - `{"directive": {"header": {..}, "payload": {..}}}`: an AVS Bluetooth directive;
//! - `{"command": "tap" | "press" | "release"}`: a button, sent to the audio side as
//!   `Command::Tap/Press/Release`;
//! - `{"command": "context"}`: answered with `{"context": [<BluetoothState>]}`;
//! - `{"command": "stats"}`: answered with `{"stats": {..}}`;
//! - `{"command": "reset"}`: the logout/reset (stop scan, leave discoverable mode, unpair every
//!   device, empty the device registry), answered once every stack call has returned with
//!   `{"reset": {"unpaired": [<uniqueDeviceId>..], "failed": [{"uniqueDeviceId", "error"}..],
//!   "errors": [<scan/discoverable/registry failure>..]}}`; no AVS event is sent for it.
//!
//! Out: `{"event": {..}}` (plus `"context": [..]` when the event carries it) to every client;
//! `{"avrcp": {"command": "PLAY" | "PAUSE" | "PLAY_PAUSE" | "STOP" | "NEXT" | "PREVIOUS",
//! "device"?: {"uniqueDeviceId", "friendlyName"}}}` to every client when a peer sends an AVRCP
//! command to our registered media player (BlueZ does not say which peer: `device` is the
//! connected A2DP-family device, absent when there is none); answers to the client that asked; and error lines
//! `{"error": {"header": {"namespace": "System", "name": "ExceptionEncountered", "messageId"},
//! "payload": {"unparsedDirective", "messageId"?, "error": {"type":
//! "UNEXPECTED_INFORMATION_RECEIVED", "message"}}}}` for a malformed line, an unknown
//! directive or a payload with missing fields (`messageId` is the directive's, when it has one).
//! A rejected line changes nothing.
//!
//! **Guarantees**: no input line can stop the engine or another client; lines longer than
//! `max_line_bytes` are rejected and skipped. Not real-time safe.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use avs_bluetooth::agent::AgentHandle;
use avs_bluetooth::model::{InterfaceVersion, ReceivedDirective};
use engine_base::messages::Command;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{broadcast, mpsc};

use crate::config::ControlConfig;

/// The error type of rejected input.
pub const UNEXPECTED_INFORMATION_RECEIVED: &str = "UNEXPECTED_INFORMATION_RECEIVED";

#[derive(Debug, Default)]
struct Counters {
    clients: AtomicUsize,
    lines: AtomicU64,
    errors: AtomicU64,
    commands: AtomicU64,
}

struct Shared {
    agent: AgentHandle,
    commands: mpsc::Sender<Command>,
    version: InterfaceVersion,
    max_clients: usize,
    max_line: usize,
    counters: Counters,
}

/// The control socket could not be set up, or accepting clients failed.
#[derive(Debug, thiserror::Error)]
#[error("control socket {path}: {source}")]
pub struct ControlError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

/// An ExceptionEncountered-style error line.
pub fn error_line(unparsed: &str, message_id: Option<&str>, kind: &str, message: &str) -> Value {
    let mut unparsed = unparsed.to_owned();
    if unparsed.len() > 4096 {
        let mut cut = 4096;
        while !unparsed.is_char_boundary(cut) {
            cut -= 1;
        }
        unparsed.truncate(cut);
    }
    let mut payload = json!({
        "unparsedDirective": unparsed,
        "error": {"type": kind, "message": message},
    });
    if let (Some(id), Some(obj)) = (message_id, payload.as_object_mut()) {
        obj.insert("messageId".into(), Value::String(id.to_owned()));
    }
    json!({"error": {
        "header": {
            "namespace": "System",
            "name": "ExceptionEncountered",
            "messageId": uuid::Uuid::new_v4().to_string(),
        },
        "payload": payload,
    }})
}

/// Binds the socket (replacing a stale one) with mode 0600.
pub fn bind(path: &Path) -> Result<UnixListener, ControlError> {
    let err = |source| ControlError {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(err(e)),
    }
    let listener = UnixListener::bind(path).map_err(err)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(err)?;
    Ok(listener)
}

/// Serves clients on `listener` until the agent stops. Each client gets every event sent after
/// it connected.
pub async fn serve(
    cfg: &ControlConfig,
    listener: UnixListener,
    agent: AgentHandle,
    commands: mpsc::Sender<Command>,
    version: InterfaceVersion,
) -> Result<(), ControlError> {
    let shared = Arc::new(Shared {
        agent,
        commands,
        version,
        max_clients: cfg.max_clients as usize,
        max_line: cfg.max_line_bytes as usize,
        counters: Counters::default(),
    });
    loop {
        let (stream, _) = listener.accept().await.map_err(|source| ControlError {
            path: cfg.path.clone(),
            source,
        })?;
        let shared = shared.clone();
        // Subscribed at accept: the client sees every event from here on.
        let events = shared.agent.subscribe();
        let local = shared.agent.subscribe_local();
        tokio::spawn(async move {
            if shared.counters.clients.fetch_add(1, Ordering::Relaxed) >= shared.max_clients {
                let mut s = stream;
                let line = error_line("", None, "INTERNAL_ERROR", "too many clients");
                let _ = s.write_all(format!("{line}\n").as_bytes()).await;
            } else {
                client(stream, events, local, &shared).await;
            }
            shared.counters.clients.fetch_sub(1, Ordering::Relaxed);
        });
    }
}

async fn client(
    stream: UnixStream,
    mut events: broadcast::Receiver<avs_bluetooth::agent::OutEvent>,
    mut local: broadcast::Receiver<avs_bluetooth::agent::LocalEvent>,
    shared: &Shared,
) {
    let (rd, mut wr) = stream.into_split();
    let (tx, mut rx) = mpsc::channel::<Value>(64);
    let writer = async move {
        loop {
            let line = tokio::select! {
                biased;
                r = rx.recv() => match r {
                    Some(v) => v,
                    None => break,
                },
                e = events.recv() => match e {
                    Ok(ev) => ev.to_json(),
                    Err(broadcast::error::RecvError::Lagged(n)) => error_line(
                        "", None, "INTERNAL_ERROR", &format!("client too slow: {n} events missed"),
                    ),
                    Err(broadcast::error::RecvError::Closed) => break,
                },
                e = local.recv() => match e {
                    Ok(ev) => ev.to_json(),
                    Err(broadcast::error::RecvError::Lagged(n)) => error_line(
                        "", None, "INTERNAL_ERROR", &format!("client too slow: {n} lines missed"),
                    ),
                    Err(broadcast::error::RecvError::Closed) => break,
                },
            };
            if wr.write_all(format!("{line}\n").as_bytes()).await.is_err() {
                break;
            }
        }
    };
    let reader = async move {
        let mut rd = BufReader::new(rd);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let limit = shared.max_line as u64 + 1;
            match (&mut rd).take(limit).read_until(b'\n', &mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            if buf.len() as u64 >= limit && buf.last() != Some(&b'\n') {
                // Too long: reject and skip the rest of the line.
                shared.counters.errors.fetch_add(1, Ordering::Relaxed);
                let msg = format!("line longer than {} bytes", shared.max_line);
                let _ = tx
                    .send(error_line("", None, UNEXPECTED_INFORMATION_RECEIVED, &msg))
                    .await;
                let mut skip = Vec::new();
                if rd.read_until(b'\n', &mut skip).await.unwrap_or(0) == 0 {
                    break;
                }
                continue;
            }
            let text = String::from_utf8_lossy(&buf);
            let text = text.trim();
            if text.is_empty() {
                continue;
            }
            shared.counters.lines.fetch_add(1, Ordering::Relaxed);
            if let Some(reply) = handle_line(text, shared).await {
                if tx.send(reply).await.is_err() {
                    break;
                }
            }
        }
    };
    // The client is done when it closes its side; pending writes are dropped with it.
    tokio::select! {
        _ = reader => {}
        _ = writer => {}
    }
}

async fn handle_line(text: &str, shared: &Shared) -> Option<Value> {
    let reject = |id: Option<&str>, msg: &str| {
        shared.counters.errors.fetch_add(1, Ordering::Relaxed);
        Some(error_line(text, id, UNEXPECTED_INFORMATION_RECEIVED, msg))
    };
    let v: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => return reject(None, &format!("not JSON: {e}")),
    };
    if let Some(d) = v.get("directive") {
        return match ReceivedDirective::parse(shared.version, d.clone()) {
            Ok(d) => {
                if shared.agent.directive(d).await {
                    None
                } else {
                    Some(error_line(
                        text,
                        None,
                        "INTERNAL_ERROR",
                        "Bluetooth agent stopped",
                    ))
                }
            }
            Err(e) => reject(e.message_id.as_deref(), &e.reason),
        };
    }
    let Some(cmd) = v.get("command").and_then(Value::as_str) else {
        return reject(
            None,
            "expected {\"directive\": {..}} or {\"command\": \"..\"}",
        );
    };
    let button = match cmd {
        "tap" => Some(Command::Tap),
        "press" => Some(Command::Press),
        "release" => Some(Command::Release),
        _ => None,
    };
    if let Some(c) = button {
        shared.counters.commands.fetch_add(1, Ordering::Relaxed);
        return Some(match shared.commands.send(c).await {
            Ok(()) => json!({"ok": cmd}),
            Err(_) => error_line(text, None, "INTERNAL_ERROR", "audio side not running"),
        });
    }
    match cmd {
        "context" => Some(match shared.agent.context().await {
            Some(c) => json!({"context": [c.to_value()]}),
            None => error_line(text, None, "INTERNAL_ERROR", "Bluetooth agent stopped"),
        }),
        "reset" => Some(match shared.agent.reset().await {
            Some(report) => json!({"reset": report}),
            None => error_line(text, None, "INTERNAL_ERROR", "Bluetooth agent stopped"),
        }),
        "stats" => {
            let agent = shared.agent.stats().await;
            let c = &shared.counters;
            Some(json!({"stats": {
                "bluetooth": agent,
                "control": {
                    "clients": c.clients.load(Ordering::Relaxed),
                    "lines": c.lines.load(Ordering::Relaxed),
                    "errors": c.errors.load(Ordering::Relaxed),
                    "commands": c.commands.load(Ordering::Relaxed),
                }
            }}))
        }
        other => reject(
            None,
            &format!(
                "unknown command {other:?} (accepted: tap, press, release, context, reset, stats)"
            ),
        ),
    }
}
