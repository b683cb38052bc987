//! The ducking policy against a volume double (no sound card here; the lab's `alsa` suite
//! runs it on snd-dummy).

use std::sync::{Arc, Mutex};

use rt_core::audio::alsa::mixer::{MixerError, VolumeControl};

use super::{Ducker, RestoreCause, Restored};

/// A control that moves in 0.5 dB steps between -60 and 0 dB, can be made to fail, and
/// records every level it was set to.
#[derive(Debug, Default)]
struct Knob {
    level: i64,
    sets: Vec<i64>,
    fail_get: bool,
    fail_set: bool,
}

#[derive(Clone, Default)]
struct Double(Arc<Mutex<Knob>>);

impl Double {
    fn at(level: i64) -> Self {
        let d = Self::default();
        d.0.lock().unwrap().level = level;
        d
    }
    fn level(&self) -> i64 {
        self.0.lock().unwrap().level
    }
    fn knob(&self) -> std::sync::MutexGuard<'_, Knob> {
        self.0.lock().unwrap()
    }
}

fn broken() -> MixerError {
    MixerError::Io {
        control: "Master".into(),
        message: "No such device".into(),
    }
}

impl VolumeControl for Double {
    fn get(&mut self) -> Result<i64, MixerError> {
        let k = self.0.lock().unwrap();
        if k.fail_get {
            return Err(broken());
        }
        Ok(k.level)
    }
    fn set(&mut self, centi_db: i64) -> Result<i64, MixerError> {
        let mut k = self.0.lock().unwrap();
        if k.fail_set {
            return Err(broken());
        }
        // Steps of 50, rounded down, clamped to -6000..=0.
        let v = centi_db.clamp(-6000, 0).div_euclid(50) * 50;
        k.level = v;
        k.sets.push(v);
        Ok(v)
    }
}

fn ducker(d: &Double, db: u32) -> Ducker {
    Ducker::new(Box::new(d.clone()), db)
}

#[test]
fn open_lowers_by_the_depth_and_close_restores_the_saved_level() {
    let d = Double::at(-1250);
    let mut duck = ducker(&d, 18);
    duck.stream_opened().unwrap();
    assert!(duck.is_ducked());
    assert_eq!(d.level(), -3050);
    assert_eq!(
        duck.restore(RestoreCause::StreamEnded).unwrap(),
        Restored::Level(-1250)
    );
    assert_eq!(d.level(), -1250);
    assert!(!duck.is_ducked());
    // A second close has nothing to restore.
    assert_eq!(
        duck.restore(RestoreCause::StreamEnded).unwrap(),
        Restored::NotDucked
    );
    assert_eq!(d.knob().sets, vec![-3050, -1250]);
}

#[test]
fn repeated_opens_do_not_stack() {
    let d = Double::at(0);
    let mut duck = ducker(&d, 20);
    for _ in 0..3 {
        duck.stream_opened().unwrap();
    }
    assert_eq!(d.level(), -2000);
    assert_eq!(d.knob().sets, vec![-2000]);
    duck.restore(RestoreCause::StreamEnded).unwrap();
    assert_eq!(d.level(), 0);
    // The next stream ducks from the restored level again.
    duck.stream_opened().unwrap();
    assert_eq!(d.level(), -2000);
}

#[test]
fn link_loss_and_exit_restore() {
    let d = Double::at(-600);
    let mut duck = ducker(&d, 12);
    duck.stream_opened().unwrap();
    assert_eq!(
        duck.restore(RestoreCause::LinkLost).unwrap(),
        Restored::Level(-600)
    );
    duck.stream_opened().unwrap();
    assert_eq!(d.level(), -1800);
    duck.on_restore(RestoreCause::Exit);
    assert_eq!(d.level(), -600);
}

#[test]
fn dropping_a_ducked_ducker_restores_and_an_idle_one_touches_nothing() {
    let d = Double::at(-300);
    {
        let mut duck = ducker(&d, 30);
        duck.stream_opened().unwrap();
        assert_eq!(d.level(), -3300);
    }
    assert_eq!(d.level(), -300);
    drop(ducker(&d, 30));
    assert_eq!(d.knob().sets, vec![-3300, -300]);
}

#[test]
fn the_duck_is_clamped_at_the_controls_floor_and_restores_exactly() {
    let d = Double::at(-5000);
    let mut duck = ducker(&d, 60);
    duck.stream_opened().unwrap();
    assert_eq!(d.level(), -6000);
    duck.restore(RestoreCause::StreamEnded).unwrap();
    assert_eq!(d.level(), -5000);
}

#[test]
fn a_level_changed_while_ducked_is_kept() {
    let d = Double::at(-1000);
    let mut duck = ducker(&d, 20);
    duck.stream_opened().unwrap();
    d.knob().level = -2500; // a volume key while ducked
    assert_eq!(
        duck.restore(RestoreCause::StreamEnded).unwrap(),
        Restored::KeptUserLevel(-2500)
    );
    assert_eq!(d.level(), -2500);
    assert!(!duck.is_ducked());
    // The next duck starts from the user's level.
    duck.stream_opened().unwrap();
    assert_eq!(d.level(), -4500);
}

#[test]
fn a_failed_restore_is_reported_and_retried_later_without_panicking() {
    let d = Double::at(-400);
    let mut duck = ducker(&d, 10);
    duck.stream_opened().unwrap();
    d.knob().fail_set = true;
    assert!(matches!(
        duck.restore(RestoreCause::StreamEnded),
        Err(MixerError::Io { .. })
    ));
    assert!(duck.is_ducked());
    duck.on_restore(RestoreCause::LinkLost); // logged, no panic
    assert!(duck.is_ducked());
    d.knob().fail_set = false;
    // A failed read at restore does not keep the music down either.
    d.knob().fail_get = true;
    assert_eq!(
        duck.restore(RestoreCause::Exit).unwrap(),
        Restored::Level(-400)
    );
    assert_eq!(d.level(), -400);
}

#[test]
fn a_failed_duck_leaves_nothing_to_restore() {
    let d = Double::at(-400);
    d.knob().fail_get = true;
    let mut duck = ducker(&d, 10);
    assert!(duck.stream_opened().is_err());
    duck.on_open(); // logged, no panic
    assert!(!duck.is_ducked());
    d.knob().fail_get = false;
    assert_eq!(
        duck.restore(RestoreCause::StreamEnded).unwrap(),
        Restored::NotDucked
    );
    assert!(d.knob().sets.is_empty());
}

#[test]
fn from_config_is_off_at_zero_and_a_card_that_cannot_open_names_the_key() {
    let path = std::path::Path::new("board.toml");
    let off = crate::config::Config::parse("[aec]\nduck_control = \"Nope\"\n", path).unwrap();
    assert!(Ducker::from_config(&off).unwrap().is_none());
    let on = crate::config::Config::parse(
        "[aec]\nduck_db = 12\nduck_card = \"hw:NoSuchCard99\"\n",
        path,
    )
    .unwrap();
    let err = Ducker::from_config(&on).unwrap_err().to_string();
    assert!(err.contains("aec.duck_control"), "{err}");
    assert!(err.contains("hw:NoSuchCard99"), "{err}");
}
