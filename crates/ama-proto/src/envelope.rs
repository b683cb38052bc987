//! Building and decoding `ControlEnvelope`s: requests carry their payload in the field whose
//! number equals the command; replies carry the request's command and a `Response`.
//!
//! **Guarantees**: decoding never panics on any bytes; an undecodable envelope is an
//! [`EnvelopeError`] the caller logs and counts. Not real-time safe (allocates).

use prost::Message;

use crate::proto::{
    control_envelope::Payload, response, Command, ControlEnvelope, ErrorCode, Response,
};

/// An envelope that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// Not a protobuf `ControlEnvelope`; nothing can be answered (the command is unknown).
    #[error("undecodable control envelope ({len} bytes): {reason}")]
    Decode { len: usize, reason: String },
}

/// Decodes one control frame's payload.
pub fn decode(bytes: &[u8]) -> Result<ControlEnvelope, EnvelopeError> {
    ControlEnvelope::decode(bytes).map_err(|e| EnvelopeError::Decode {
        len: bytes.len(),
        reason: e.to_string(),
    })
}

/// Encodes an envelope as a control frame's payload (the inverse of [`decode`]).
pub fn encode(env: &ControlEnvelope) -> Vec<u8> {
    env.encode_to_vec()
}

/// A request envelope.
pub fn request(command: Command, payload: Payload) -> ControlEnvelope {
    ControlEnvelope {
        command: command as i32,
        payload: Some(payload),
    }
}

/// A reply to `command` (raw value, so unknown commands can be answered too).
pub fn reply(
    command: i32,
    error: ErrorCode,
    payload: Option<response::Payload>,
) -> ControlEnvelope {
    ControlEnvelope {
        command,
        payload: Some(Payload::Response(Response {
            error_code: error as i32,
            payload,
        })),
    }
}

/// The envelope's command, or its raw value if this build does not know it.
pub fn command_of(env: &ControlEnvelope) -> Result<Command, i32> {
    Command::try_from(env.command).map_err(|_| env.command)
}

/// The `Response` inside a reply, if this is one.
pub fn response_of(env: &ControlEnvelope) -> Option<&Response> {
    match &env.payload {
        Some(Payload::Response(r)) => Some(r),
        _ => None,
    }
}

/// Short name of a command for logs ("START_SPEECH", or the raw number).
pub fn command_name(command: i32) -> String {
    Command::try_from(command)
        .map(|c| c.as_str_name().to_owned())
        .unwrap_or_else(|_| format!("#{command}"))
}
