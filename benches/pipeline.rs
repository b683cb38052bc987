//! Per-period cost of each pipeline stage and of the whole chain (filled in with the pipeline).
fn main() {}
