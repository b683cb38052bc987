//! Bytes on their way to the phone: the sender queues what the session produces here and the
//! link takes them as fast as it can, so the sender never waits on a write (it keeps reading
//! the phone and draining the real-time ring while a link is flow-controlled).
//!
//! **Guarantees**: bytes leave in the order they were queued, each exactly once; a link is
//! "stalled" only when bytes are waiting and the link took none of them for the whole limit
//! (a slow link that keeps taking bytes is not stalled). Not real-time safe (allocates).

use std::time::Duration;

/// The queue of one link.
#[derive(Debug, Default)]
pub struct Outbox {
    buf: Vec<u8>,
    /// Bytes at the front of `buf` already written.
    sent: usize,
    /// Since when bytes have waited without the link taking any.
    waiting_since: Option<Duration>,
}

impl Outbox {
    /// Queues `bytes` at `now`.
    pub fn push(&mut self, bytes: &[u8], now: Duration) {
        if bytes.is_empty() {
            return;
        }
        if self.is_empty() {
            self.waiting_since = Some(now);
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes waiting to be written.
    pub fn len(&self) -> usize {
        self.buf.len() - self.sent
    }

    /// Nothing waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes to write next.
    pub fn pending(&self) -> &[u8] {
        &self.buf[self.sent..]
    }

    /// The link took `n` of the pending bytes at `now`.
    pub fn taken(&mut self, n: usize, now: Duration) {
        self.sent = (self.sent + n).min(self.buf.len());
        if self.is_empty() {
            self.buf.clear();
            self.sent = 0;
            self.waiting_since = None;
        } else {
            if self.sent >= self.buf.len() / 2 {
                self.buf.drain(..self.sent);
                self.sent = 0;
            }
            self.waiting_since = Some(now);
        }
    }

    /// Bytes have waited `limit` or longer at `now` without the link taking any.
    pub fn stalled(&self, now: Duration, limit: Duration) -> bool {
        self.waiting_since
            .is_some_and(|t| now.saturating_sub(t) >= limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn bytes_leave_in_order_once() {
        let mut o = Outbox::default();
        o.push(b"abc", S(0));
        o.push(b"de", S(0));
        assert_eq!(o.pending(), b"abcde");
        o.taken(2, S(1));
        assert_eq!(o.pending(), b"cde");
        o.push(b"f", S(1));
        o.taken(3, S(1));
        assert_eq!(o.pending(), b"f");
        o.taken(1, S(2));
        assert!(o.is_empty());
        assert_eq!(o.pending(), b"");
    }

    #[test]
    fn stalled_only_when_nothing_was_taken_for_the_whole_limit() {
        let mut o = Outbox::default();
        assert!(!o.stalled(S(100), S(30)), "an empty outbox never stalls");
        o.push(b"abcdef", S(10));
        assert!(!o.stalled(S(39), S(30)));
        assert!(o.stalled(S(40), S(30)));
        // A slow link that keeps taking bytes is not stalled.
        o.taken(1, S(40));
        assert!(!o.stalled(S(69), S(30)));
        o.push(b"g", S(60));
        assert!(!o.stalled(S(69), S(30)), "new bytes do not reset the wait");
        assert!(o.stalled(S(70), S(30)));
        o.taken(o.len(), S(71));
        assert!(!o.stalled(S(1000), S(30)));
    }

    #[test]
    fn taking_more_than_pending_empties_it() {
        let mut o = Outbox::default();
        o.push(b"ab", S(0));
        o.taken(5, S(0));
        assert!(o.is_empty());
        o.push(b"", S(1));
        assert!(o.is_empty() && !o.stalled(S(100), S(1)));
    }
}
