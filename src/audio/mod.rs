//! Capture sources: real ALSA and WAV files.
