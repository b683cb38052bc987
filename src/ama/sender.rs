//! The AMA sender: a tokio task that drains the real-time thread's outbound ring, runs the
//! [`Session`] and moves bytes over the current [`Link`].
//!
//! **Guarantees**: the real-time side is never blocked: the ring is polled every few ms with
//! `pop` (wait-free) and commands go back with `try_send` (a full command channel is logged and
//! counted, never waited on). One phone at a time; a new connection replaces a stale one; a
//! dropped link mid-utterance ends the stream cleanly (Command::End) and the next connection is
//! accepted. Writes that stall longer than the link timeout drop the link. Not real-time safe
//! (runs on the async side).

use std::sync::Arc;
use std::time::Duration;

use ama_proto::proto::MediaControl;
use ama_proto::session::{
    FeatureValue, LinkAction, Outgoing, Output, Session, SessionStats, StateStore,
};
use ama_proto::transport::{encode_envelope, encode_voice, Decoder, VersionPacket};
use engine_base::messages::{Command, Outbound};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tracing::{info, warn};

use crate::ama::link::{AmaError, Link, Listener};
use crate::ama::store::FileStore;
use crate::config::Config;

/// How often the outbound ring is polled and the session's timers run.
pub const POLL: Duration = Duration::from_millis(4);
/// A write that takes longer than this drops the link (a phone that stopped reading).
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);

/// The sender, configured; [`AmaService::run`] runs it.
pub struct AmaService {
    cfg: Arc<Config>,
    media: Option<mpsc::Sender<MediaControl>>,
    features: Option<mpsc::Receiver<(u32, FeatureValue)>>,
    shutdown: Option<watch::Receiver<bool>>,
    store: Option<Box<dyn StateStore>>,
    stats: watch::Sender<SessionStats>,
    bound: Option<tokio::sync::oneshot::Sender<String>>,
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
        }
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
        let mut session = Session::new(settings, store);
        let version = VersionPacket::new(
            self.cfg.ama.transport_packet_size,
            self.cfg.ama.max_transactional_data_size,
        );
        let max_payload = usize::from(self.cfg.ama.max_transactional_data_size).max(1024);
        let mut shutdown = self.shutdown.take();
        let mut features = self.features.take();
        let epoch = Instant::now();
        let mut link: Option<Active> = None;
        let mut out = Output::default();
        let mut tick = tokio::time::interval(POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut buf = vec![0u8; 4096];
        let mut source_ended = false;
        loop {
            out.clear();
            tokio::select! {
                _ = wait_shutdown(&mut shutdown) => {
                    info!("ama: shutting down");
                    break;
                }
                acc = listener.accept() => match acc {
                    Ok(new) => {
                        let now = epoch.elapsed();
                        if let Some(old) = link.take() {
                            warn!("ama: new connection from {}; dropping {}", new.peer, old.link.peer);
                            session.link_down(now, &mut out);
                        }
                        link = start_link(new, &version, max_payload, &mut session, now).await;
                    }
                    Err(e) => {
                        warn!("ama: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                },
                n = read_link(&mut link, &mut buf) => {
                    let now = epoch.elapsed();
                    match n {
                        Ok(n) if n > 0 => {
                            if let Some(a) = link.as_mut() {
                                session.on_bytes(now);
                                a.decoder.push(&buf[..n]);
                                while let Some(r) = a.decoder.next_frame() {
                                    match r {
                                        Ok(f) => session.on_frame(now, f, &mut out),
                                        Err(e) => warn!("ama: {} sent malformed bytes: {e}", a.link.peer),
                                    }
                                }
                            }
                        }
                        other => {
                            if let Some(mut a) = link.take() {
                                if let Some(e) = a.decoder.finish() {
                                    warn!("ama: {}: {e}", a.link.peer);
                                }
                                match other {
                                    Err(e) => info!("ama: link to {} failed: {e}", a.link.peer),
                                    _ => info!("ama: {} closed the link", a.link.peer),
                                }
                            }
                            session.link_down(now, &mut out);
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
                        session.on_outbound(now, msg, &mut out);
                    }
                    session.tick(now, &mut out);
                }
            }
            let now = epoch.elapsed();
            self.act(&mut out, &mut link, &mut session, &commands, now)
                .await;
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
        if let Some(mut a) = link.take() {
            let _ = a.link.writer.shutdown().await;
        }
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
        if !out.send.is_empty() {
            if let Some(a) = link.as_mut() {
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
                let w = tokio::time::timeout(WRITE_TIMEOUT, a.link.writer.write_all(&bytes)).await;
                let ok = matches!(w, Ok(Ok(())));
                if ok {
                    let _ = a.link.writer.flush().await;
                } else {
                    warn!(
                        "ama: write to {} failed or stalled; dropping the link",
                        a.link.peer
                    );
                    *link = None;
                    session.link_down(now, out);
                }
            }
        }
        for action in out.link.drain(..) {
            match action {
                LinkAction::Close(reason) => {
                    if let Some(mut a) = link.take() {
                        info!("ama: closing the link to {} ({reason:?})", a.link.peer);
                        let _ = a.link.writer.shutdown().await;
                    }
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

struct Active {
    link: Link,
    decoder: Decoder,
}

async fn start_link(
    mut link: Link,
    version: &VersionPacket,
    max_payload: usize,
    session: &mut Session,
    now: Duration,
) -> Option<Active> {
    info!("ama: phone connected: {} ({:?})", link.peer, link.info);
    let sent = tokio::time::timeout(WRITE_TIMEOUT, link.writer.write_all(&version.encode())).await;
    if !matches!(sent, Ok(Ok(()))) {
        warn!("ama: cannot send the version packet to {}", link.peer);
        return None;
    }
    let _ = link.writer.flush().await;
    session.link_up(now, link.info);
    Some(Active {
        link,
        decoder: Decoder::new(max_payload),
    })
}

async fn read_link(link: &mut Option<Active>, buf: &mut [u8]) -> std::io::Result<usize> {
    match link {
        Some(a) => a.link.reader.read(buf).await,
        None => std::future::pending().await,
    }
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
