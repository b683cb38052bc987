//! Our media player for peers: an `org.mpris.MediaPlayer2.Player` object served with
//! dbus-crossroads on the backend's bus connection and registered with BlueZ through
//! `org.bluez.Media1.RegisterPlayer` on the adapter. BlueZ forwards a peer's AVRCP commands
//! (its play/pause/next/previous buttons) as method calls on it; each becomes a
//! [`BackendEvent::Avrcp`].
//!
//! **Guarantees**: a failed registration (no Media1, e.g. BlueZ without the media plugin) is
//! returned to the caller, which logs it once; nothing else depends on it. A full event queue
//! drops the command (logged) rather than block the bus. Not real-time safe.

use std::sync::Arc;

use avs_bluetooth::agent::{AvrcpCommand, BackendEvent};
use dbus::arg::{PropMap, RefArg, Variant};
use dbus::channel::MatchingReceiver;
use dbus::message::{MatchRule, SignalArgs};
use dbus::nonblock::stdintf::org_freedesktop_dbus::PropertiesPropertiesChanged;
use dbus::nonblock::{Proxy, SyncConnection};
use dbus::Path;
use dbus_crossroads::{Crossroads, IfaceBuilder};
use tokio::sync::mpsc;

use crate::view::{BLUEZ, CALL_TIMEOUT};

/// The object path of our player.
pub const PLAYER_PATH: &str = "/org/ama_engine/player";
/// The MPRIS player interface BlueZ calls.
pub const MPRIS_PLAYER_IFACE: &str = "org.mpris.MediaPlayer2.Player";
const MEDIA_IFACE: &str = "org.bluez.Media1";
/// The MPRIS capability flags that are true (CanSeek is the one that is false).
const CAN_FLAGS: [&str; 5] = [
    "CanGoNext",
    "CanGoPrevious",
    "CanPlay",
    "CanPause",
    "CanControl",
];

struct Player {
    events: mpsc::Sender<BackendEvent>,
    status: &'static str,
}

impl Player {
    fn command(&mut self, c: AvrcpCommand) {
        self.status = match (c, self.status) {
            (AvrcpCommand::Play, _) => "Playing",
            (AvrcpCommand::Pause, _) => "Paused",
            (AvrcpCommand::PlayPause, "Playing") => "Paused",
            (AvrcpCommand::PlayPause, _) => "Playing",
            (AvrcpCommand::Stop, _) => "Stopped",
            (AvrcpCommand::Next | AvrcpCommand::Previous, s) => s,
        };
        if let Err(e) = self.events.try_send(BackendEvent::Avrcp(c)) {
            tracing::warn!("AVRCP {} from a peer dropped: {e}", c.as_str());
        }
    }
}

fn v<T: RefArg + 'static>(x: T) -> Variant<Box<dyn RefArg>> {
    Variant(Box::new(x))
}

/// The player's properties as BlueZ reads them at registration.
fn properties(status: &str) -> PropMap {
    let mut p = PropMap::new();
    p.insert("PlaybackStatus".into(), v(status.to_owned()));
    p.insert("LoopStatus".into(), v("None".to_owned()));
    p.insert("Shuffle".into(), v(false));
    p.insert("Rate".into(), v(1.0f64));
    p.insert("Position".into(), v(0i64));
    p.insert("Metadata".into(), v(PropMap::new()));
    for flag in CAN_FLAGS {
        p.insert(flag.into(), v(true));
    }
    p.insert("CanSeek".into(), v(false));
    p
}

fn build_iface(b: &mut IfaceBuilder<Player>) {
    for name in ["Play", "Pause", "PlayPause", "Stop", "Next", "Previous"] {
        let Some(c) = AvrcpCommand::of_mpris_method(name) else {
            continue;
        };
        b.method(name, (), (), move |ctx, p: &mut Player, ()| {
            let before = p.status;
            p.command(c);
            if p.status != before {
                // BlueZ keeps the peer's view of our status from these signals.
                let mut changed = PropMap::new();
                changed.insert("PlaybackStatus".into(), v(p.status.to_owned()));
                let sig = PropertiesPropertiesChanged {
                    interface_name: MPRIS_PLAYER_IFACE.into(),
                    changed_properties: changed,
                    invalidated_properties: Vec::new(),
                };
                ctx.push_msg(sig.to_emit_message(ctx.path()));
            }
            Ok(())
        });
    }
    b.property("PlaybackStatus")
        .get(|_, p: &mut Player| Ok(p.status.to_owned()));
    b.property("LoopStatus")
        .get(|_, _: &mut Player| Ok("None".to_owned()));
    b.property("Shuffle").get(|_, _: &mut Player| Ok(false));
    b.property("Rate").get(|_, _: &mut Player| Ok(1.0f64));
    b.property("Position").get(|_, _: &mut Player| Ok(0i64));
    b.property("Metadata")
        .get(|_, _: &mut Player| Ok(PropMap::new()));
    for flag in CAN_FLAGS {
        b.property(flag).get(|_, _: &mut Player| Ok(true));
    }
    b.property("CanSeek").get(|_, _: &mut Player| Ok(false));
}

/// Serves our player on `conn` and registers it with BlueZ's Media1 on `adapter_path`.
/// Commands from peers are sent on `events`.
pub async fn register(
    conn: &Arc<SyncConnection>,
    adapter_path: &str,
    events: mpsc::Sender<BackendEvent>,
) -> Result<(), dbus::Error> {
    let mut cr = Crossroads::new();
    let iface = cr.register(MPRIS_PLAYER_IFACE, build_iface);
    cr.insert(
        PLAYER_PATH,
        &[iface],
        Player {
            events,
            status: "Stopped",
        },
    );
    conn.start_receive(
        MatchRule::new_method_call().with_path(PLAYER_PATH),
        Box::new(move |msg, conn| {
            if cr.handle_message(msg, conn).is_err() {
                tracing::debug!("media player: a call could not be answered");
            }
            true
        }),
    );
    let proxy = Proxy::new(BLUEZ, adapter_path, CALL_TIMEOUT, conn.clone());
    proxy
        .method_call::<(), _, _, _>(
            MEDIA_IFACE,
            "RegisterPlayer",
            (Path::from(PLAYER_PATH), properties("Stopped")),
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_move_the_status_and_reach_the_agent() {
        let (tx, mut rx) = mpsc::channel(4);
        let mut p = Player {
            events: tx,
            status: "Stopped",
        };
        p.command(AvrcpCommand::PlayPause);
        assert_eq!(p.status, "Playing");
        p.command(AvrcpCommand::PlayPause);
        assert_eq!(p.status, "Paused");
        p.command(AvrcpCommand::Next);
        assert_eq!(p.status, "Paused");
        let got: Vec<_> = std::iter::from_fn(|| rx.try_recv().ok()).collect();
        assert_eq!(
            got,
            vec![
                BackendEvent::Avrcp(AvrcpCommand::PlayPause),
                BackendEvent::Avrcp(AvrcpCommand::PlayPause),
                BackendEvent::Avrcp(AvrcpCommand::Next),
            ]
        );
        assert_eq!(
            AvrcpCommand::of_mpris_method("PlayPause"),
            Some(AvrcpCommand::PlayPause)
        );
        assert_eq!(AvrcpCommand::of_mpris_method("Seek"), None);
    }
}
