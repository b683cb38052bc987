//! The integration tests of ama-proto, one test binary: the spec's test vectors through the
//! public encoder and decoder.

mod golden;
