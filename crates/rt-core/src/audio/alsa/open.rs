//! Opening and negotiating an ALSA capture PCM. Not real-time safe: runs before the loop.

use alsa::pcm::{Access, Format, HwParams, PCM};
use alsa::{Direction, ValueOr};

use crate::audio::CaptureError;
use crate::options::CaptureOptions;

/// What was negotiated with the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Negotiated {
    pub rate: u32,
    pub channels: u32,
    pub period_frames: usize,
    pub buffer_frames: usize,
}

fn device_err(cfg: &CaptureOptions, what: &str, e: alsa::Error) -> CaptureError {
    CaptureError::Device {
        device: cfg.device.clone(),
        message: format!("{what}: {e}"),
    }
}

/// Checks that the device exists and can be opened for capture, then closes it.
pub fn probe(cfg: &CaptureOptions) -> Result<(), CaptureError> {
    PCM::new(&cfg.device, Direction::Capture, true)
        .map(drop)
        .map_err(|e| device_err(cfg, "cannot open for capture (is the PCM name right?)", e))
}

/// Opens `cfg.device` for capture as S16_LE at `cfg.rate`, mono when the device allows it
/// (else stereo, reduced per `cfg.stereo_mix`), with the configured period and buffer.
pub fn open(cfg: &CaptureOptions) -> Result<(PCM, Negotiated), CaptureError> {
    open_mode(cfg, false)
}

/// The echo reference's device (`cfg.reference_device`) as [`open`] opens the microphone,
/// mono or stereo, but non-blocking (the real-time loop drains it without waiting).
pub fn open_reference(cfg: &CaptureOptions) -> Result<Option<(PCM, Negotiated)>, CaptureError> {
    let Some(device) = &cfg.reference_device else {
        return Ok(None);
    };
    let rcfg = CaptureOptions {
        device: device.clone(),
        reference_channel: None,
        reference_device: None,
        ..cfg.clone()
    };
    open_mode(&rcfg, true).map(Some)
}

fn open_mode(cfg: &CaptureOptions, nonblock: bool) -> Result<(PCM, Negotiated), CaptureError> {
    let pcm = PCM::new(&cfg.device, Direction::Capture, nonblock)
        .map_err(|e| device_err(cfg, "cannot open for capture (is the PCM name right?)", e))?;
    let negotiated = {
        let hw = HwParams::any(&pcm).map_err(|e| device_err(cfg, "no hardware parameters", e))?;
        hw.set_access(Access::RWInterleaved)
            .map_err(|e| device_err(cfg, "interleaved access refused", e))?;
        hw.set_format(Format::s16())
            .map_err(|e| device_err(cfg, "S16_LE refused", e))?;
        let channels = match cfg.reference_channel {
            Some(rc) => {
                let channels = (rc + 1).max(2);
                hw.set_channels(channels).map_err(|e| {
                    device_err(
                        cfg,
                        &format!(
                            "{channels} channels (for the echo reference on channel {rc}) refused"
                        ),
                        e,
                    )
                })?;
                channels
            }
            None => {
                let channels = if hw.test_channels(1).is_ok() { 1 } else { 2 };
                hw.set_channels(channels).map_err(|e| {
                    device_err(cfg, "neither mono nor stereo capture is offered", e)
                })?;
                channels
            }
        };
        hw.set_rate(cfg.rate, ValueOr::Nearest)
            .map_err(|e| device_err(cfg, &format!("{} Hz refused", cfg.rate), e))?;
        let period = hw
            .set_period_size_near(cfg.period_frames as alsa::pcm::Frames, ValueOr::Nearest)
            .map_err(|e| device_err(cfg, "period size refused", e))?;
        let buffer = hw
            .set_buffer_size_near(cfg.buffer_frames as alsa::pcm::Frames)
            .map_err(|e| device_err(cfg, "buffer size refused", e))?;
        pcm.hw_params(&hw)
            .map_err(|e| device_err(cfg, "hardware parameters refused", e))?;
        let rate = hw.get_rate().map_err(|e| device_err(cfg, "rate", e))?;
        if rate != cfg.rate {
            return Err(CaptureError::Device {
                device: cfg.device.clone(),
                message: format!("asked {} Hz, device gives {rate} Hz", cfg.rate),
            });
        }
        Negotiated {
            rate,
            channels,
            period_frames: period.max(1) as usize,
            buffer_frames: buffer.max(1) as usize,
        }
    };
    if negotiated.channels == 2 && cfg.reference_channel.is_none() {
        tracing::info!(
            device = %cfg.device,
            mix = ?cfg.stereo_mix,
            "device offers no mono capture; reducing stereo to mono"
        );
    }
    pcm.prepare()
        .map_err(|e| device_err(cfg, "cannot prepare", e))?;
    Ok((pcm, negotiated))
}
