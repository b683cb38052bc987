use std::path::Path;

use super::*;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("board.toml"))
}

#[test]
fn empty_file_is_the_default() {
    assert_eq!(parse("").unwrap(), Config::default());
    // The defaults are taken from the domain crates' `Default`s; converting back must give
    // them again (the ms <-> 16 kHz-sample and enum conversions are inverse).
    let c = Config::default();
    assert_eq!(
        c.realtime_options(),
        rt_core::options::RealtimeOptions::default()
    );
    assert_eq!(
        c.audio.capture_options(),
        rt_core::options::CaptureOptions::default()
    );
}

#[test]
fn out_of_range_rate_names_line_key_and_accepted_values() {
    let err = parse("[audio]\ndevice = \"hw:0\"\nrate = 44100\n").unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("board.toml:3:"), "{text}");
    assert!(text.contains("audio.rate"), "{text}");
    assert!(text.contains("16000, 48000"), "{text}");
}

#[test]
fn unknown_key_is_an_error_with_its_line() {
    let err = parse("[opus]\nbitrate = 32000\ncomplexty = 4\n").unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("board.toml:3:"), "{text}");
    assert!(text.contains("complexty"), "{text}");
}

#[test]
fn wrong_type_is_an_error_with_its_line() {
    let err = parse("\n[denoise]\nenabled = \"yes\"\n").unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("board.toml:3:"), "{text}");
}
