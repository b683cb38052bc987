//! Watches BlueZ's objects: InterfacesAdded / InterfacesRemoved and PropertiesChanged, turned
//! into [`BackendEvent`]s in the order BlueZ sent them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use avs_bluetooth::agent::BackendEvent;
use dbus::arg::PropMap;
use dbus::message::MatchRule;
use dbus::nonblock::{MsgMatch, SyncConnection};
use dbus::Message;
use futures::channel::mpsc::UnboundedReceiver;
use futures::StreamExt;
use tokio::sync::mpsc;

use crate::view::BluezView;

/// The subscriptions (kept alive while watching) and their merged message stream.
pub struct Subscriptions {
    _matches: Vec<MsgMatch>,
    streams: Vec<UnboundedReceiver<Message>>,
}

/// Subscribes before BlueZ's objects are read, so no change is missed in between.
pub async fn subscribe(conn: &Arc<SyncConnection>) -> Result<Subscriptions, dbus::Error> {
    let rules = [
        MatchRule::new_signal("org.freedesktop.DBus.Properties", "PropertiesChanged")
            .with_namespaced_path("/org/bluez"),
        MatchRule::new_signal("org.freedesktop.DBus.ObjectManager", "InterfacesAdded"),
        MatchRule::new_signal("org.freedesktop.DBus.ObjectManager", "InterfacesRemoved"),
    ];
    let mut matches = Vec::new();
    let mut streams = Vec::new();
    for r in rules {
        let (m, s) = conn.add_match(r).await?.msg_stream();
        matches.push(m);
        streams.push(s);
    }
    Ok(Subscriptions {
        _matches: matches,
        streams,
    })
}

fn translate(view: &Mutex<BluezView>, msg: &Message) -> Vec<BackendEvent> {
    let mut out = Vec::new();
    let mut v = view.lock().unwrap_or_else(PoisonError::into_inner);
    match msg.member().as_deref() {
        Some("PropertiesChanged") => {
            let Some(path) = msg.path() else { return out };
            if let Ok((iface, props, _)) = msg.read3::<String, PropMap, Vec<String>>() {
                v.properties_changed(&path, &iface, &props, &mut out);
            }
        }
        Some("InterfacesAdded") => {
            if let Ok((path, ifaces)) = msg.read2::<dbus::Path<'static>, HashMap<String, PropMap>>()
            {
                v.object_added(&path, &ifaces, &mut out);
            }
        }
        Some("InterfacesRemoved") => {
            if let Ok((path, ifaces)) = msg.read2::<dbus::Path<'static>, Vec<String>>() {
                v.object_removed(&path, &ifaces, &mut out);
            }
        }
        _ => {}
    }
    out
}

/// Runs until the bus connection or the agent goes away.
pub async fn run(subs: Subscriptions, view: Arc<Mutex<BluezView>>, tx: mpsc::Sender<BackendEvent>) {
    let Subscriptions { _matches, streams } = subs;
    let mut merged = futures::stream::select_all(streams);
    while let Some(msg) = merged.next().await {
        for ev in translate(&view, &msg) {
            if tx.send(ev).await.is_err() {
                return;
            }
        }
    }
    tracing::warn!("BlueZ watcher stopped: the bus connection closed");
}
