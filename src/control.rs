//! The local control socket (issue 5).
