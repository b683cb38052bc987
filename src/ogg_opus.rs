//! ogg_opus (in progress).
