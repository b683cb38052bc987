//! The AMA sender: a tokio task that drains the real-time thread's outbound ring, runs the
//! [`Session`] and moves bytes over the current [`Link`].
//!
//! **Guarantees**: the real-time side is never blocked: the ring is polled every few ms with
//! `pop` (wait-free) and commands go back with `try_send` (a full command channel is logged and
//! counted, never waited on). One phone at a time. **Admission**: a new connection gets the version packet and
//! becomes the phone's link at once only when there is none; otherwise it waits (at most
//! `MAX_CANDIDATES`, the oldest dropped first) and replaces the current link only once it has
//! sent a valid frame (a control envelope with a known command). A link that sends no valid
//! frame within `[ama] handshake_timeout_ms`, or more than `max_garbage_bytes` malformed bytes
//! without a valid frame between, is closed; bytes that do not make a valid frame do not keep
//! a link alive (the session's link timeout counts frames). A link declared dead by the
//! session (keep-alive / link timeout) is closed, and the next connection takes its place. A
//! dropped link mid-utterance ends the stream cleanly (Command::End) and the next connection is
//! accepted. **Writes never block the sender**: bytes for the phone wait in the link's
//! [`Outbox`] and are written as the link takes them, so a flow-controlled link (an RFCOMM
//! phone slow to return credits) still has its requests read and the ring drained; a link that
//! takes none of the waiting bytes for the session's link timeout, or lets more than
//! `MAX_OUTBOX` bytes pile up, is closed. Closing a link shuts its socket down (others may
//! hold the same socket: bluetoothd does for RFCOMM). Not real-time safe (runs on the async
//! side).

use std::sync::Arc;
use std::time::Duration;

use ama_proto::proto::MediaControl;
use ama_proto::session::{
    FeatureValue, LinkAction, Outgoing, Output, Session, SessionStats, StateStore,
};
use ama_proto::transport::{encode_envelope, encode_voice, VersionPacket};
use engine_base::messages::{Command, Outbound};
use tokio::io::AsyncWriteExt;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tracing::{info, warn};

use crate::ama::active::{
    drop_link, extract, link_io, read_any, start_link, Active, Io, WRITE_TIMEOUT,
};
use crate::ama::link::{AmaError, Listener};
use crate::ama::store::FileStore;
use crate::config::Config;
use crate::duck::{Ducker, RestoreCause};

/// How often the outbound ring is polled and the session's timers run.
pub const POLL: Duration = Duration::from_millis(4);
/// A link that takes none of its waiting bytes for this long is closed when the session has
/// no link timeout of its own.
const STALL_LIMIT: Duration = Duration::from_secs(30);
/// What waits for a link the session closes gets this long to be written.
const CLOSE_FLUSH: Duration = Duration::from_secs(1);
/// More bytes than this waiting for a link close it (about 30 s of 32 kbps voice, with
/// framing, is 130 kB).
const MAX_OUTBOX: usize = 512 * 1024;
/// Connections waiting to prove themselves while a phone is linked; a further one drops the
/// oldest.
const MAX_CANDIDATES: usize = 4;

/// The sender, configured; [`AmaService::run`] runs it.
pub struct AmaService {
    cfg: Arc<Config>,
    media: Option<mpsc::Sender<MediaControl>>,
    features: Option<mpsc::Receiver<(u32, FeatureValue)>>,
    shutdown: Option<watch::Receiver<bool>>,
    store: Option<Box<dyn StateStore>>,
    stats: watch::Sender<SessionStats>,
    bound: Option<tokio::sync::oneshot::Sender<String>>,
    /// In a mutex only to keep `&AmaService` `Sync` (a mixer handle is not); taken once by
    /// `run`, never locked after.
    ducker: std::sync::Mutex<Option<Ducker>>,
}

impl std::fmt::Debug for AmaService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AmaService").finish_non_exhaustive()
    }
}

impl AmaService {
    /// A sender for `cfg` (its `[ama]` section says which link).
    pub fn new(cfg: Arc<Config>) -> Self {
        Self {
            cfg,
            media: None,
            features: None,
            shutdown: None,
            store: None,
            stats: watch::channel(SessionStats::default()).0,
            bound: None,
            ducker: std::sync::Mutex::new(None),
        }
    }

    /// Duck with this policy (`[aec] duck_db`): lowered on each speech stream the real-time
    /// thread opens while a phone is linked; restored when it ends, when the link goes down,
    /// and when the sender stops (or is dropped).
    pub fn with_ducker(&mut self, ducker: Ducker) {
        self.ducker = std::sync::Mutex::new(Some(ducker));
    }

    /// Media-control requests from the phone (ISSUE_MEDIA_CONTROL), for the Bluetooth side.
    /// Without a receiver they are answered SUCCESS and logged only.
    pub fn media_controls(&mut self, capacity: usize) -> mpsc::Receiver<MediaControl> {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        self.media = Some(tx);
        rx
    }

    /// Feature changes on the accessory's side (e.g. the Bluetooth side: A2DP connected 0x132,
    /// A2DP active 0x136): the session's table is updated and the phone is sent
    /// SYNCHRONIZE_STATE when the value changed.
    pub fn feature_updates(&mut self, capacity: usize) -> mpsc::Sender<(u32, FeatureValue)> {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        self.features = Some(rx);
        tx
    }

    /// Stop when this turns `true` (the link is closed, the stream in flight ended).
    pub fn shutdown_on(&mut self, rx: watch::Receiver<bool>) {
        self.shutdown = Some(rx);
    }

    /// Use this store instead of `[ama] state_dir` (tests).
    pub fn with_store(&mut self, store: Box<dyn StateStore>) {
        self.store = Some(store);
    }

    /// The session's counters, updated as they change.
    pub fn stats(&self) -> watch::Receiver<SessionStats> {
        self.stats.subscribe()
    }

    /// Reports the bound address (`tcp://127.0.0.1:PORT` with port 0 resolved) once listening.
    pub fn on_bound(&mut self) -> tokio::sync::oneshot::Receiver<String> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.bound = Some(tx);
        rx
    }

    /// Runs until shutdown or until the real-time thread sends `SourceEnded` (then the queued
    /// bytes are written and the link closed). Returns an error only if the link cannot be
    /// set up at all.
    pub async fn run(
        mut self,
        mut outbound: rtrb::Consumer<Outbound>,
        commands: mpsc::Sender<Command>,
    ) -> Result<(), AmaError> {
        let mut listener = Listener::bind(&self.cfg.ama).await?;
        let what = match &listener {
            Listener::Stream(s) => s.local_addr(),
            _ => String::from(self.cfg.ama.link.clone()),
        };
        info!("ama: listening on {what}");
        if let Some(tx) = self.bound.take() {
            let _ = tx.send(what);
        }
        let mut settings = self.cfg.ama.session_settings(self.cfg.opus.bitrate);
        if let Some(addr) = listener.bd_addr() {
            settings.bd_addr = addr;
        }
        let store = self
            .store
            .take()
            .unwrap_or_else(|| Box::new(FileStore::new(&self.cfg.ama.state_dir)));
        let stall_limit = settings.link_timeout.unwrap_or(STALL_LIMIT);
        let mut session = Session::new(settings, store);
        let version = VersionPacket::new(
            self.cfg.ama.transport_packet_size,
            self.cfg.ama.max_transactional_data_size,
        );
        let max_payload = usize::from(self.cfg.ama.max_transactional_data_size).max(1024);
        let mut shutdown = self.shutdown.take();
        let mut ducker = self
            .ducker
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        let mut features = self.features.take();
        let epoch = Instant::now();
        let mut link: Option<Active> = None;
        // Later connections wait here until they prove themselves (see `Active::proven`).
        let mut candidates: Vec<Active> = Vec::new();
        let guard = Guard {
            handshake: Duration::from_millis(u64::from(self.cfg.ama.handshake_timeout_ms)),
            max_garbage: self.cfg.ama.max_garbage_bytes as usize,
        };
        let mut out = Output::default();
        let mut tick = tokio::time::interval(POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut buf = vec![0u8; 4096];
        let mut cbuf = vec![0u8; 4096];
        let mut source_ended = false;
        // What the last bytes get at the end: all of WRITE_TIMEOUT once the capture ended (the
        // utterance's tail), CLOSE_FLUSH on a shutdown.
        let mut last_flush = WRITE_TIMEOUT;
        loop {
            out.clear();
            tokio::select! {
                _ = wait_shutdown(&mut shutdown) => {
                    info!("ama: shutting down");
                    last_flush = CLOSE_FLUSH;
                    break;
                }
                acc = listener.accept() => match acc {
                    Ok(new) => {
                        let now = epoch.elapsed();
                        if link.is_none() {
                            if let Some(a) = start_link(new, &version, max_payload, now).await {
                                session.link_up(now, a.link.info);
                                link = Some(a);
                            }
                        } else {
                            info!(
                                "ama: new connection from {} waits to prove itself (link to {} kept)",
                                new.peer,
                                link.as_ref().map_or("", |a| a.link.peer.as_str())
                            );
                            if candidates.len() >= MAX_CANDIDATES {
                                // The oldest had the most time to prove itself.
                                let mut old = candidates.remove(0);
                                warn!("ama: connection from {} dropped: too many unproven connections", old.link.peer);
                                let _ = old.link.writer.shutdown().await;
                            }
                            candidates.extend(start_link(new, &version, max_payload, now).await);
                        }
                    }
                    Err(e) => {
                        warn!("ama: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                },
                io = link_io(&mut link, &mut buf) => match io {
                    Io::Wrote(n) => {
                        let now = epoch.elapsed();
                        match (n, link.as_mut()) {
                            (Ok(n), Some(a)) if n > 0 => a.outbox.taken(n, now),
                            (r, _) => {
                                if let Some(a) = link.as_ref() {
                                    warn!("ama: write to {} failed ({r:?}); closing the link", a.link.peer);
                                }
                                drop_link(&mut link, Duration::ZERO).await;
                                session.link_down(now, &mut out);
                            }
                        }
                    }
                    Io::Read(n) => {
                        let now = epoch.elapsed();
                        let mut close = None;
                        match n {
                            Ok(n) if n > 0 => {
                                if let Some(a) = link.as_mut() {
                                    for f in a.receive(&buf[..n]) {
                                        session.on_frame(now, f, &mut out);
                                    }
                                    if a.garbage > guard.max_garbage {
                                        close = Some(format!("{} malformed bytes", a.garbage));
                                    }
                                }
                            }
                            Err(e) => close = Some(format!("failed: {e}")),
                            Ok(_) => close = Some("closed by the peer".into()),
                        }
                        if let Some(why) = close {
                            if let Some(mut a) = link.take() {
                                if let Some(e) = a.decoder.finish() {
                                    warn!("ama: {}: {e}", a.link.peer);
                                }
                                info!("ama: link to {}: {why}", a.link.peer);
                                let _ = a.link.writer.shutdown().await;
                            }
                            session.link_down(now, &mut out);
                        }
                    }
                },
                (i, n) = read_any(&mut candidates, &mut cbuf) => {
                    let now = epoch.elapsed();
                    match n {
                        Ok(n) if n > 0 => {
                            let c = &mut candidates[i];
                            let frames = c.receive(&cbuf[..n]);
                            c.held.extend(frames);
                            if c.garbage > guard.max_garbage {
                                warn!(
                                    "ama: connection from {} closed: {} malformed bytes",
                                    c.link.peer, c.garbage
                                );
                                let mut c = candidates.remove(i);
                                let _ = c.link.writer.shutdown().await;
                            } else if c.proven {
                                let c = candidates.remove(i);
                                promote(&mut link, c, &mut session, now, &mut out).await;
                            }
                        }
                        _ => {
                            let c = candidates.remove(i);
                            info!("ama: connection from {} ended before proving itself", c.link.peer);
                        }
                    }
                }
                Some((id, value)) = recv_opt(&mut features) => {
                    session.update_feature(epoch.elapsed(), id, value, &mut out);
                }
                _ = tick.tick() => {
                    let now = epoch.elapsed();
                    while let Ok(msg) = outbound.pop() {
                        if msg == Outbound::SourceEnded {
                            source_ended = true;
                        }
                        if let Some(d) = ducker.as_mut() {
                            match msg {
                                Outbound::StreamStarted { .. } if session.is_linked() => d.on_open(),
                                Outbound::StreamEnded { .. } => d.on_restore(RestoreCause::StreamEnded),
                                Outbound::SourceEnded => d.on_restore(RestoreCause::Exit),
                                _ => {}
                            }
                        }
                        session.on_outbound(now, msg, &mut out);
                    }
                    session.tick(now, &mut out);
                    if let Some(a) = link.as_ref().filter(|a| a.outbox.stalled(now, stall_limit)) {
                        warn!(
                            "ama: {} took none of {} waiting bytes for {} ms; closing the link",
                            a.link.peer,
                            a.outbox.len(),
                            stall_limit.as_millis()
                        );
                        drop_link(&mut link, Duration::ZERO).await;
                        session.link_down(now, &mut out);
                    }
                    if link.as_ref().is_some_and(|a| guard.expired(a, now)) {
                        if let Some(a) = link.as_ref() {
                            warn!("ama: link to {} sent no valid frame in time; closing", a.link.peer);
                        }
                        drop_link(&mut link, Duration::ZERO).await;
                        session.link_down(now, &mut out);
                    }
                    for mut c in extract(&mut candidates, |c| guard.expired(c, now)) {
                        warn!("ama: connection from {} sent no valid frame in time; refused", c.link.peer);
                        let _ = c.link.writer.shutdown().await;
                    }
                    crate::metrics::link::heartbeat(&session);
                }
            }
            let now = epoch.elapsed();
            self.act(&mut out, &mut link, &mut session, &commands, now)
                .await;
            // Every way a link goes down ends at `session.link_down`; a no-op unless ducked.
            if let Some(d) = ducker.as_mut().filter(|_| !session.is_linked()) {
                d.on_restore(RestoreCause::LinkLost);
            }
            self.stats.send_if_modified(|s| {
                let new = session.stats();
                let changed = *s != new;
                *s = new;
                changed
            });
            if source_ended {
                info!("ama: capture ended; closing");
                break;
            }
        }
        for mut c in candidates.drain(..) {
            let _ = c.link.writer.shutdown().await;
        }
        if let Some(d) = ducker.as_mut() {
            d.on_restore(RestoreCause::Exit);
        }
        drop_link(&mut link, last_flush).await;
        let mut out = Output::default();
        session.link_down(epoch.elapsed(), &mut out);
        forward_commands(&out, &commands);
        info!("ama: sender stopped: {:?}", session.stats());
        Ok(())
    }

    async fn act(
        &self,
        out: &mut Output,
        link: &mut Option<Active>,
        session: &mut Session,
        commands: &mpsc::Sender<Command>,
        now: Duration,
    ) {
        if let (false, Some(a)) = (out.send.is_empty(), link.as_mut()) {
            let mut bytes = Vec::new();
            for o in out.send.drain(..) {
                let ok = match &o {
                    Outgoing::Control(env) => encode_envelope(env, &mut bytes),
                    Outgoing::Voice(v) => encode_voice(v, &mut bytes),
                };
                if !ok {
                    warn!("ama: frame over 65535 bytes not sent");
                }
            }
            a.outbox.push(&bytes, now);
            if a.outbox.len() > MAX_OUTBOX {
                warn!(
                    "ama: {} bytes wait for {}; closing the link",
                    a.outbox.len(),
                    a.link.peer
                );
                drop_link(link, Duration::ZERO).await;
                session.link_down(now, out);
            }
        }
        for action in out.link.drain(..) {
            match action {
                LinkAction::Close(reason) => {
                    if let Some(a) = link.as_ref() {
                        info!("ama: closing the link to {} ({reason:?})", a.link.peer);
                    }
                    drop_link(link, CLOSE_FLUSH).await;
                }
                LinkAction::SwitchedTo(t) => info!("ama: phone switched to {}", t.as_str_name()),
            }
        }
        forward_commands(out, commands);
        for m in out.media.drain(..) {
            info!("ama: media control {} from the phone", m.as_str_name());
            if let Some(tx) = &self.media {
                if tx.try_send(m).is_err() {
                    warn!(
                        "ama: media-control channel full or closed; {} dropped",
                        m.as_str_name()
                    );
                }
            }
        }
    }
}

fn forward_commands(out: &Output, commands: &mpsc::Sender<Command>) {
    for c in &out.commands {
        if let Err(e) = commands.try_send(*c) {
            warn!("ama: command {c:?} not delivered to the real-time side: {e}");
        }
    }
}

/// The link-admission rule (`[ama] handshake_timeout_ms`, `max_garbage_bytes`).
struct Guard {
    handshake: Duration,
    max_garbage: usize,
}

impl Guard {
    /// A link that has not proved itself within the handshake timeout.
    fn expired(&self, a: &Active, now: Duration) -> bool {
        !a.proven && now.saturating_sub(a.since) >= self.handshake
    }
}

/// The proven candidate becomes the phone's link; the old link is closed.
async fn promote(
    link: &mut Option<Active>,
    mut c: Active,
    session: &mut Session,
    now: Duration,
    out: &mut Output,
) {
    if let Some(mut old) = link.take() {
        warn!(
            "ama: {} proved itself; it replaces {}",
            c.link.peer, old.link.peer
        );
        let _ = old.link.writer.shutdown().await;
        session.link_down(now, out);
    }
    session.link_up(now, c.link.info);
    for f in c.held.drain(..) {
        session.on_frame(now, f, out);
    }
    *link = Some(c);
}

async fn recv_opt<T>(rx: &mut Option<mpsc::Receiver<T>>) -> Option<T> {
    match rx {
        Some(r) => match r.recv().await {
            Some(v) => Some(v),
            None => {
                *rx = None;
                std::future::pending().await
            }
        },
        None => std::future::pending().await,
    }
}

async fn wait_shutdown(rx: &mut Option<watch::Receiver<bool>>) {
    match rx {
        Some(rx) => {
            if rx.wait_for(|v| *v).await.is_err() {
                std::future::pending::<()>().await;
            }
        }
        None => std::future::pending().await,
    }
}

/// The entry point for `ama-engine run`: serves the configured link until the capture source
/// ends. For a shutdown signal or media controls, build an [`AmaService`] instead.
pub async fn serve(
    cfg: Arc<Config>,
    outbound: rtrb::Consumer<Outbound>,
    commands: mpsc::Sender<Command>,
) -> Result<(), AmaError> {
    AmaService::new(cfg).run(outbound, commands).await
}
