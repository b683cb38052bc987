//! Ducking through the real AMA sender (`[aec] duck_db`): the producer's streams and the
//! phone tool over TCP drive the `Ducker`, which holds a volume double (the lab's `alsa`
//! suite does the same on snd-dummy's mixer). Every wait is bounded; nothing is timed.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ama_engine::duck::Ducker;
use ama_phone as phone;
use ama_phone::{Ending, PhoneOptions};
use rt_core::audio::alsa::mixer::{MixerError, VolumeControl};

use crate::ama_support::{start_with, Rig, Trigger};

const FAST: Duration = Duration::from_millis(4);
const LIMIT: Duration = Duration::from_secs(20);
/// The level before any duck, hundredths of a dB.
const LEVEL: i64 = -1000;

/// A volume at whole hundredths of a dB; every set recorded.
#[derive(Clone, Default)]
struct Volume(Arc<Mutex<(i64, Vec<i64>)>>);

impl VolumeControl for Volume {
    fn get(&mut self) -> Result<i64, MixerError> {
        Ok(self.0.lock().unwrap().0)
    }
    fn set(&mut self, centi_db: i64) -> Result<i64, MixerError> {
        let mut v = self.0.lock().unwrap();
        v.0 = centi_db;
        v.1.push(centi_db);
        Ok(centi_db)
    }
}

impl Volume {
    fn level(&self) -> i64 {
        self.0.lock().unwrap().0
    }
    fn sets(&self) -> Vec<i64> {
        self.0.lock().unwrap().1.clone()
    }
    /// Waits until `n` levels were set (a duck and its restore may both come between polls).
    async fn wait_sets(&self, n: usize) -> Vec<i64> {
        let end = tokio::time::Instant::now() + LIMIT;
        while tokio::time::Instant::now() < end && self.sets().len() < n {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        self.sets()
    }
}

fn phone_opts(addr: &str) -> PhoneOptions {
    let mut o = PhoneOptions::new(addr);
    o.quiet = true;
    o.endpoint_after = None;
    o.max_time = Some(LIMIT);
    o
}

/// Starts a phone and waits until it is linked (its first requests answered; the counters
/// are the sender's, across phones). Streams opened while no phone is linked are not ducked.
async fn phone_linked(
    rig: &Rig,
    o: PhoneOptions,
) -> tokio::task::JoinHandle<Result<phone::PhoneReport, phone::PhoneError>> {
    let base = rig.stats.borrow().envelopes_in;
    let ph = tokio::spawn(phone::run(o));
    let mut stats = rig.stats.clone();
    let _ = tokio::time::timeout(LIMIT, stats.wait_for(|s| s.envelopes_in >= base + 3)).await;
    ph
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_duck_and_stream_end_link_loss_and_stop_restore() {
    let vol = Volume::default();
    vol.0.lock().unwrap().0 = LEVEL;
    let ducked = LEVEL - 1800;
    let v = vol.clone();
    let rig = start_with(
        |_| {},
        FAST,
        move |svc| {
            svc.with_ducker(Ducker::new(Box::new(v), 18));
        },
    )
    .await;

    // 1. A press-and-hold utterance: ducked while open, restored at its end.
    let mut o = phone_opts(&rig.addr);
    o.utterances = Some(1);
    let ph = phone_linked(&rig, o).await;
    rig.triggers
        .send(Trigger::Hold { release_after: 150 })
        .await
        .unwrap();
    assert_eq!(vol.wait_sets(1).await[0], ducked);
    ph.await.unwrap().unwrap();
    assert!(rig.wait_for(LIMIT, |l| l.streams[0].ended.is_some()).await);
    assert_eq!(
        vol.wait_sets(2).await,
        vec![ducked, LEVEL],
        "one duck, one restore"
    );

    // 2. The phone's link drops mid-utterance: restored.
    let mut o = phone_opts(&rig.addr);
    o.drop_after = Some(Duration::from_millis(150));
    let ph = phone_linked(&rig, o).await;
    rig.triggers.send(Trigger::Tap).await.unwrap();
    let r = ph.await.unwrap().unwrap();
    assert_eq!(r.utterances[0].ending, Ending::LinkClosed);
    assert_eq!(vol.wait_sets(4).await[2..], [ducked, LEVEL]);

    // 3. The sender stops (SIGTERM in `run`), its stream open or just ended: restored.
    let ph = phone_linked(&rig, phone_opts(&rig.addr)).await;
    rig.triggers.send(Trigger::Tap).await.unwrap();
    assert_eq!(vol.wait_sets(5).await[4], ducked);
    rig.stop().await.unwrap();
    assert_eq!(vol.level(), LEVEL, "restored at the stop");
    assert_eq!(
        vol.sets().len(),
        6,
        "three ducks, three restores, none stacked"
    );
    let _ = ph.await;
}
