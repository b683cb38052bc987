//! Speech / silence decisions for local end-of-speech detection.
//!
//! An energy detector with an adaptive noise floor: a 10 ms block is speech when its level is
//! `threshold_db` above the floor. End of speech is declared after `min_speech_ms` of speech
//! followed by `hangover_ms` of silence. **Real-time safe**: no allocation anywhere.

use crate::BLOCK_16K;

/// Tuning of the end-of-speech detector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VadConfig {
    /// Level above the noise floor that counts as speech, in dB.
    pub threshold_db: f32,
    /// Speech needed before an end of speech can be declared, in ms.
    pub min_speech_ms: u32,
    /// Silence after speech that ends the utterance, in ms.
    pub hangover_ms: u32,
}

impl Default for VadConfig {
    fn default() -> Self {
        Self {
            threshold_db: 12.0,
            min_speech_ms: 300,
            hangover_ms: 800,
        }
    }
}

/// What the detector concluded from one block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VadEvent {
    /// Nothing changed.
    None,
    /// The utterance ended (enough speech, then enough silence).
    EndOfSpeech,
}

/// Streaming end-of-speech detector for 10 ms blocks at 16 kHz.
#[derive(Debug, Clone)]
pub struct EndOfSpeech {
    cfg: VadConfig,
    floor_db: f32,
    speech_ms: u32,
    silence_ms: u32,
    last_is_speech: bool,
}

const FLOOR_MIN_DB: f32 = 10.0; // about -80 dBFS in 16-bit scale: digital silence

impl EndOfSpeech {
    /// New detector. Real-time safe.
    pub fn new(cfg: VadConfig) -> Self {
        Self {
            cfg,
            floor_db: 40.0,
            speech_ms: 0,
            silence_ms: 0,
            last_is_speech: false,
        }
    }

    /// Starts a new utterance (the noise floor is kept). Real-time safe.
    pub fn reset(&mut self) {
        self.speech_ms = 0;
        self.silence_ms = 0;
        self.last_is_speech = false;
    }

    /// Whether the last block was speech.
    pub fn is_speech(&self) -> bool {
        self.last_is_speech
    }

    /// Level of a block in dB (16-bit scale, so full scale is about 90 dB). Real-time safe.
    pub fn level_db(block: &[f32]) -> f32 {
        let energy: f32 = block.iter().map(|s| s * s).sum::<f32>() / block.len().max(1) as f32;
        10.0 * (energy + 1.0).log10()
    }

    /// Feeds one 10 ms block. Real-time safe.
    pub fn process(&mut self, block: &[f32; BLOCK_16K]) -> VadEvent {
        let level = Self::level_db(block);
        // The floor follows quiet blocks quickly and loud blocks very slowly.
        let rate = if level < self.floor_db { 0.2 } else { 0.002 };
        self.floor_db = (self.floor_db + rate * (level - self.floor_db)).max(FLOOR_MIN_DB);
        self.last_is_speech = level > self.floor_db + self.cfg.threshold_db;
        if self.last_is_speech {
            self.speech_ms = self.speech_ms.saturating_add(10);
            self.silence_ms = 0;
        } else {
            self.silence_ms = self.silence_ms.saturating_add(10);
        }
        if self.speech_ms >= self.cfg.min_speech_ms && self.silence_ms >= self.cfg.hangover_ms {
            self.reset();
            return VadEvent::EndOfSpeech;
        }
        VadEvent::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(amplitude: f32, n: usize) -> [f32; BLOCK_16K] {
        let mut b = [0.0; BLOCK_16K];
        for (i, s) in b.iter_mut().enumerate() {
            let t = (n * BLOCK_16K + i) as f32 / 16_000.0;
            *s = amplitude * (2.0 * std::f32::consts::PI * 300.0 * t).sin();
        }
        b
    }

    #[test]
    fn speech_then_silence_ends_once() {
        let mut v = EndOfSpeech::new(VadConfig::default());
        let mut ends = 0;
        let mut n = 0;
        for _ in 0..100 {
            assert_eq!(v.process(&block(30.0, n)), VadEvent::None);
            n += 1;
        }
        for _ in 0..100 {
            assert_eq!(v.process(&block(5000.0, n)), VadEvent::None);
            n += 1;
        }
        for _ in 0..200 {
            if v.process(&block(30.0, n)) == VadEvent::EndOfSpeech {
                ends += 1;
            }
            n += 1;
        }
        assert_eq!(ends, 1);
    }

    #[test]
    fn silence_alone_never_ends() {
        let mut v = EndOfSpeech::new(VadConfig::default());
        for n in 0..1000 {
            assert_eq!(v.process(&block(30.0, n)), VadEvent::None);
        }
    }
}
