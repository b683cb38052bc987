//! The A2DP streaming state machine of one device (bluetooth-reference.md, "Streaming state").
//!
//! **Guarantees**: StreamingStarted is reported exactly on INACTIVE/PAUSED -> ACTIVE and
//! StreamingEnded exactly on ACTIVE -> PAUSED (or ACTIVE -> disconnected); repeated identical
//! transport states report nothing, so no transition is reported twice. Pure: no I/O.

use super::model::StreamingState;

/// BlueZ MediaTransport1.State.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportState {
    Idle,
    Pending,
    Active,
}

impl TransportState {
    /// Parses BlueZ's `idle` / `pending` / `active` (also `broadcasting` -> active).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "idle" => Some(TransportState::Idle),
            "pending" => Some(TransportState::Pending),
            "active" | "broadcasting" => Some(TransportState::Active),
            _ => None,
        }
    }
}

/// A transition to report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamingTransition {
    /// INACTIVE/PAUSED -> ACTIVE: send StreamingStarted.
    Started,
    /// ACTIVE -> PAUSED (or disconnected): send StreamingEnded.
    Ended,
}

/// Streaming state of one connected device.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamTracker {
    state: StreamingState,
}

impl StreamTracker {
    /// The state to report in the context.
    pub fn state(&self) -> StreamingState {
        self.state
    }

    /// The transport changed state; returns the transition to report, if any. Real-time safe
    /// (no allocation), though it is only used on the async side.
    pub fn on_transport(&mut self, t: TransportState) -> Option<StreamingTransition> {
        match (self.state, t) {
            (StreamingState::Active, TransportState::Active) => None,
            (_, TransportState::Active) => {
                self.state = StreamingState::Active;
                Some(StreamingTransition::Started)
            }
            (StreamingState::Active, TransportState::Idle) => {
                self.state = StreamingState::Paused;
                Some(StreamingTransition::Ended)
            }
            // pending is not a transition; idle while not active changes nothing.
            _ => None,
        }
    }

    /// The transport object went away (the A2DP profile disconnected): like idle.
    pub fn on_transport_removed(&mut self) -> Option<StreamingTransition> {
        self.on_transport(TransportState::Idle)
    }

    /// The device disconnected: StreamingEnded when it was ACTIVE (to be sent before the
    /// disconnect event), then INACTIVE.
    pub fn on_disconnect(&mut self) -> Option<StreamingTransition> {
        let was_active = self.state == StreamingState::Active;
        self.state = StreamingState::Inactive;
        was_active.then_some(StreamingTransition::Ended)
    }
}

#[cfg(test)]
mod tests {
    use super::StreamingTransition::*;
    use super::TransportState::*;
    use super::*;

    #[test]
    fn transitions_are_reported_exactly_once() {
        let mut s = StreamTracker::default();
        let seq = [
            Idle, Pending, Active, Active, Pending, Active, Idle, Idle, Pending, Active, Idle,
        ];
        let got: Vec<_> = seq.iter().filter_map(|t| s.on_transport(*t)).collect();
        assert_eq!(got, vec![Started, Ended, Started, Ended]);
        assert_eq!(s.state(), StreamingState::Paused);
    }

    #[test]
    fn disconnect_while_active_ends_once_then_inactive() {
        let mut s = StreamTracker::default();
        assert_eq!(s.on_transport(Active), Some(Started));
        assert_eq!(s.on_disconnect(), Some(Ended));
        assert_eq!(s.state(), StreamingState::Inactive);
        assert_eq!(s.on_disconnect(), None);
        assert_eq!(s.on_transport_removed(), None);
    }

    #[test]
    fn disconnect_while_paused_reports_nothing() {
        let mut s = StreamTracker::default();
        s.on_transport(Active);
        assert_eq!(s.on_transport_removed(), Some(Ended));
        assert_eq!(s.on_disconnect(), None);
        assert_eq!(s.state(), StreamingState::Inactive);
    }
}
