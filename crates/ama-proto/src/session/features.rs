//! The feature state table (spec/ama-protocol.md, "State"): GET_STATE / SET_STATE /
//! SYNCHRONIZE_STATE read and write it.

use std::collections::BTreeMap;

use crate::proto::{state, State};

/// Feature ids (spec/ama-protocol.md, "Feature ids seen").
pub mod id {
    pub const A2DP_ENABLED: u32 = 0x130;
    pub const HFP_ENABLED: u32 = 0x131;
    pub const A2DP_CONNECTED: u32 = 0x132;
    pub const HFP_CONNECTED: u32 = 0x133;
    pub const A2DP_DISCOVERABLE: u32 = 0x134;
    pub const HFP_DISCOVERABLE: u32 = 0x135;
    pub const A2DP_ACTIVE: u32 = 0x136;
    pub const HFP_ACTIVE: u32 = 0x137;
    pub const START_OF_SPEECH_EARCON: u32 = 0x350;
    pub const END_OF_SPEECH_EARCON: u32 = 0x351;
    pub const WAKE_WORD_DETECTION: u32 = 0x352;
    pub const FOLLOW_UP_MODE: u32 = 0x353;
}

/// Feature bits in DeviceFeatures.features.
pub mod bits {
    pub const BATTERY: u32 = 1 << 6;
    pub const WAKE_WORD: u32 = 1 << 9;
}

/// A feature's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    Bool(bool),
    Int(u32),
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    value: Value,
    /// The phone may set it (SET_STATE); otherwise only the accessory changes it.
    writable: bool,
}

/// Why a state request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateRefusal {
    /// Not in the table (answer NOT_FOUND).
    Unknown,
    /// Read-only for the phone (answer UNSUPPORTED).
    ReadOnly,
    /// Value missing or of the wrong type (answer INVALID).
    BadValue,
}

/// The table.
#[derive(Debug, Clone)]
pub struct Features {
    table: BTreeMap<u32, Entry>,
}

impl Features {
    /// The accessory's features; wake-word detection only if wake word is offered.
    pub fn new(wakeword: bool) -> Self {
        let mut table = BTreeMap::new();
        let mut put = |id, value, writable| {
            table.insert(id, Entry { value, writable });
        };
        for f in [
            id::A2DP_ENABLED,
            id::HFP_ENABLED,
            id::A2DP_CONNECTED,
            id::HFP_CONNECTED,
            id::A2DP_DISCOVERABLE,
            id::HFP_DISCOVERABLE,
            id::A2DP_ACTIVE,
            id::HFP_ACTIVE,
        ] {
            put(f, Value::Bool(false), false);
        }
        put(id::START_OF_SPEECH_EARCON, Value::Bool(true), true);
        put(id::END_OF_SPEECH_EARCON, Value::Bool(true), true);
        put(id::FOLLOW_UP_MODE, Value::Bool(false), true);
        if wakeword {
            put(id::WAKE_WORD_DETECTION, Value::Bool(true), true);
        }
        Self { table }
    }

    /// A feature's value.
    pub fn get(&self, feature: u32) -> Option<Value> {
        self.table.get(&feature).map(|e| e.value)
    }

    /// A boolean feature (false when absent or not boolean).
    pub fn flag(&self, feature: u32) -> bool {
        matches!(self.get(feature), Some(Value::Bool(true)))
    }

    /// The protobuf State of a feature.
    pub fn state(&self, feature: u32) -> Result<State, StateRefusal> {
        let v = self.get(feature).ok_or(StateRefusal::Unknown)?;
        Ok(to_state(feature, v))
    }

    /// A phone's SET_STATE (`phone_sets` = true) or SYNCHRONIZE_STATE (false: the phone tells
    /// us its view; read-only features are accepted too). Returns the new value.
    pub fn apply(&mut self, s: &State, phone_sets: bool) -> Result<Value, StateRefusal> {
        let e = self
            .table
            .get_mut(&s.feature)
            .ok_or(StateRefusal::Unknown)?;
        if phone_sets && !e.writable {
            return Err(StateRefusal::ReadOnly);
        }
        let v = match (s.value, e.value) {
            (Some(state::Value::Boolean(b)), Value::Bool(_)) => Value::Bool(b),
            (Some(state::Value::Integer(i)), Value::Int(_)) => Value::Int(i),
            _ => return Err(StateRefusal::BadValue),
        };
        e.value = v;
        Ok(v)
    }

    /// The accessory changes a feature (e.g. the Bluetooth side reports A2DP connected).
    /// Returns the State to send in SYNCHRONIZE_STATE when the value changed.
    pub fn update(&mut self, feature: u32, value: Value) -> Option<State> {
        let e = self.table.entry(feature).or_insert(Entry {
            value,
            writable: false,
        });
        let changed = e.value != value;
        e.value = value;
        changed.then(|| to_state(feature, value))
    }
}

/// Builds a protobuf State.
pub fn to_state(feature: u32, v: Value) -> State {
    State {
        feature,
        value: Some(match v {
            Value::Bool(b) => state::Value::Boolean(b),
            Value::Int(i) => state::Value::Integer(i),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_get_and_refusals() {
        let mut f = Features::new(true);
        assert!(f.flag(id::WAKE_WORD_DETECTION));
        let off = to_state(id::WAKE_WORD_DETECTION, Value::Bool(false));
        assert_eq!(f.apply(&off, true), Ok(Value::Bool(false)));
        assert!(!f.flag(id::WAKE_WORD_DETECTION));
        let a2dp = to_state(id::A2DP_CONNECTED, Value::Bool(true));
        assert_eq!(f.apply(&a2dp, true), Err(StateRefusal::ReadOnly));
        assert_eq!(f.apply(&a2dp, false), Ok(Value::Bool(true)));
        let wrong = to_state(id::START_OF_SPEECH_EARCON, Value::Int(3));
        assert_eq!(f.apply(&wrong, true), Err(StateRefusal::BadValue));
        assert_eq!(f.state(0x999), Err(StateRefusal::Unknown));
        assert!(Features::new(false).get(id::WAKE_WORD_DETECTION).is_none());
        assert!(f.update(id::A2DP_ACTIVE, Value::Bool(true)).is_some());
        assert!(f.update(id::A2DP_ACTIVE, Value::Bool(true)).is_none());
    }
}
