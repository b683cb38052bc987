//! One phone connection as the sender holds it: the link, its frame decoder, its admission
//! state and its outbox, with the helpers that read, write and close it. Not real-time safe.

use std::time::Duration;

use ama_proto::envelope;
use ama_proto::transport::{DecodeError, Decoder, Frame, VersionPacket};
use std::pin::Pin;
use std::task::Poll;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tracing::{info, warn};

use crate::ama::link::Link;
use crate::ama::outbox::Outbox;

/// The version packet gets this long to be written.
pub(crate) const WRITE_TIMEOUT: Duration = Duration::from_secs(5);

pub(crate) struct Active {
    pub(crate) link: Link,
    pub(crate) decoder: Decoder,
    /// When the version packet was sent.
    pub(crate) since: Duration,
    /// It has sent a valid control frame: a `ControlEnvelope` with a known command.
    pub(crate) proven: bool,
    /// Malformed bytes since the last valid frame.
    pub(crate) garbage: usize,
    /// A candidate's frames, handed to the session when it is promoted.
    pub(crate) held: Vec<Frame>,
    /// Bytes for the phone not yet taken by the link.
    pub(crate) outbox: Outbox,
}

impl Active {
    /// Decodes `bytes`; counts malformed input, marks the link proven on a valid frame.
    pub(crate) fn receive(&mut self, bytes: &[u8]) -> Vec<Frame> {
        self.decoder.push(bytes);
        let mut frames = Vec::new();
        while let Some(r) = self.decoder.next_frame() {
            match r {
                Ok(f) => {
                    let valid = match &f {
                        Frame::Control(body) => envelope::decode(body).is_ok_and(|env| {
                            env.command != 0 && envelope::command_of(&env).is_ok()
                        }),
                        Frame::Voice(_) => self.proven,
                    };
                    if valid {
                        self.proven = true;
                        self.garbage = 0;
                    } else {
                        self.garbage += f.payload().len() + 2;
                    }
                    frames.push(f);
                }
                Err(e) => {
                    self.garbage += match e {
                        DecodeError::BadHeader { skipped, .. }
                        | DecodeError::Oversize { skipped, .. } => skipped.max(1),
                        DecodeError::UnknownStream { len, .. } => len + 2,
                        _ => 1,
                    };
                    warn!("ama: {} sent malformed bytes: {e}", self.link.peer);
                }
            }
        }
        frames
    }
}

/// Closes the link in `slot`, if any: what waits in its outbox gets up to `flush` to be
/// written, then the socket is shut down, not only dropped, because it may have other owners
/// (bluetoothd keeps its own descriptor of every RFCOMM connection it hands to a profile:
/// closing ours alone left the channel open and the phone waiting, the lab's ama-rfcomm).
pub(crate) async fn drop_link(slot: &mut Option<Active>, flush: Duration) {
    if let Some(mut a) = slot.take() {
        if !a.outbox.is_empty() && !flush.is_zero() {
            let w = a.link.writer.write_all(a.outbox.pending());
            let _ = tokio::time::timeout(flush, w).await;
        }
        // Sockets shut down at once; the bound is for writers that would flush first.
        let _ = tokio::time::timeout(Duration::from_secs(1), a.link.writer.shutdown()).await;
    }
}

/// What happened on the phone's link first.
#[derive(Debug)]
pub(crate) enum Io {
    /// A read: bytes into the buffer (0: the peer closed).
    Read(std::io::Result<usize>),
    /// A write: bytes the link took from the outbox.
    Wrote(std::io::Result<usize>),
}

/// Reads from the link and, while its outbox holds bytes, writes to it: whichever completes
/// first. Reads are polled first, so a link that does not drain never keeps the phone's
/// requests from being read. Pending while there is no link. Cancel-safe (an operation that
/// did not complete read or wrote nothing).
pub(crate) async fn link_io(link: &mut Option<Active>, buf: &mut [u8]) -> Io {
    let Some(a) = link.as_mut() else {
        return std::future::pending().await;
    };
    std::future::poll_fn(|cx| {
        let mut rb = tokio::io::ReadBuf::new(buf);
        if let Poll::Ready(r) = Pin::new(&mut a.link.reader).poll_read(cx, &mut rb) {
            return Poll::Ready(Io::Read(r.map(|()| rb.filled().len())));
        }
        if !a.outbox.is_empty() {
            if let Poll::Ready(r) = Pin::new(&mut a.link.writer).poll_write(cx, a.outbox.pending())
            {
                return Poll::Ready(Io::Wrote(r));
            }
        }
        Poll::Pending
    })
    .await
}

/// Removes and returns the elements for which `f` holds.
pub(crate) fn extract(v: &mut Vec<Active>, f: impl Fn(&Active) -> bool) -> Vec<Active> {
    let mut taken = Vec::new();
    let mut i = 0;
    while i < v.len() {
        if f(&v[i]) {
            taken.push(v.remove(i));
        } else {
            i += 1;
        }
    }
    taken
}

/// Reads from whichever candidate has bytes first: (its index, the read's result).
/// Cancel-safe (a read that did not complete consumed nothing).
pub(crate) async fn read_any(
    cands: &mut [Active],
    buf: &mut [u8],
) -> (usize, std::io::Result<usize>) {
    if cands.is_empty() {
        return std::future::pending().await;
    }
    std::future::poll_fn(|cx| {
        for (i, c) in cands.iter_mut().enumerate() {
            let mut rb = tokio::io::ReadBuf::new(buf);
            match std::pin::Pin::new(&mut c.link.reader).poll_read(cx, &mut rb) {
                std::task::Poll::Ready(r) => {
                    return std::task::Poll::Ready((i, r.map(|()| rb.filled().len())))
                }
                std::task::Poll::Pending => {}
            }
        }
        std::task::Poll::Pending
    })
    .await
}

pub(crate) async fn start_link(
    mut link: Link,
    version: &VersionPacket,
    max_payload: usize,
    now: Duration,
) -> Option<Active> {
    info!("ama: phone connected: {} ({:?})", link.peer, link.info);
    let sent = tokio::time::timeout(WRITE_TIMEOUT, link.writer.write_all(&version.encode())).await;
    if !matches!(sent, Ok(Ok(()))) {
        warn!("ama: cannot send the version packet to {}", link.peer);
        return None;
    }
    let _ = link.writer.flush().await;
    Some(Active {
        link,
        decoder: Decoder::new(max_payload),
        since: now,
        proven: false,
        garbage: 0,
        held: Vec::new(),
        outbox: Outbox::default(),
    })
}

#[cfg(test)]
#[path = "active_tests.rs"]
mod tests;
