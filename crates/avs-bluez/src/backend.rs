//! [`BluezBackend`]: the agent's [`BluetoothBackend`] on BlueZ (bluer for actions, `dbus` for
//! MediaPlayer1 and for watching every object).

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};

use avs_bluetooth::agent::{
    BackendError, BackendErrorKind, BackendEvent, BluetoothBackend, DeviceInfo,
};
use avs_bluetooth::model::MediaAction;
use dbus::arg::PropMap;
use dbus::nonblock::{Proxy, SyncConnection};
use futures::StreamExt;
use tokio::sync::mpsc;

use crate::error::BluezError;
use crate::view::{self, BluezView, BLUEZ, CALL_TIMEOUT, PLAYER_IFACE};
use crate::{player, watch};

/// BlueZ through bluer and D-Bus.
pub struct BluezBackend {
    session: bluer::Session,
    adapter: bluer::Adapter,
    conn: Arc<SyncConnection>,
    view: Arc<Mutex<BluezView>>,
    /// The view as loaded, before any watched change: the agent's snapshot must be the state
    /// the event stream starts from, or a change could be both in the snapshot and an event.
    initial: Mutex<Option<(String, Vec<DeviceInfo>)>>,
    discovery: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl std::fmt::Debug for BluezBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BluezBackend")
            .field("adapter", &self.adapter.name())
            .finish_non_exhaustive()
    }
}

fn dbus_err(e: dbus::Error) -> BluezError {
    BluezError::DBus(e.to_string())
}

fn map_bluer(e: bluer::Error) -> BackendError {
    use bluer::ErrorKind as K;
    let kind = match e.kind {
        K::DoesNotExist => BackendErrorKind::DoesNotExist,
        K::AlreadyExists => BackendErrorKind::AlreadyExists,
        K::AlreadyConnected => BackendErrorKind::AlreadyConnected,
        K::NotAvailable | K::NotSupported => BackendErrorKind::NotAvailable,
        _ => BackendErrorKind::Failed,
    };
    BackendError::new(kind, e.to_string())
}

fn map_dbus(e: dbus::Error) -> BackendError {
    let kind = match e.name().unwrap_or_default() {
        "org.bluez.Error.DoesNotExist" | "org.freedesktop.DBus.Error.UnknownObject" => {
            BackendErrorKind::DoesNotExist
        }
        "org.bluez.Error.NotAvailable" | "org.bluez.Error.NotSupported" => {
            BackendErrorKind::NotAvailable
        }
        _ => BackendErrorKind::Failed,
    };
    BackendError::new(kind, e.to_string())
}

fn address(mac: &str) -> Result<bluer::Address, BackendError> {
    bluer::Address::from_str(mac)
        .map_err(|e| BackendError::new(BackendErrorKind::DoesNotExist, format!("{mac}: {e}")))
}

type ManagedObjects = HashMap<dbus::Path<'static>, HashMap<String, PropMap>>;

impl BluezBackend {
    /// Connects to the system bus, finds the adapter (`adapter`, e.g. "hci0", or the first when
    /// empty), loads BlueZ's objects and starts watching them. Returns the backend and its
    /// event stream.
    pub async fn connect(
        adapter: &str,
    ) -> Result<(Arc<Self>, mpsc::Receiver<BackendEvent>), BluezError> {
        let (resource, conn) = tokio::task::spawn_blocking(dbus_tokio::connection::new_system_sync)
            .await
            .map_err(|e| BluezError::DBus(e.to_string()))?
            .map_err(dbus_err)?;
        tokio::spawn(async move {
            let err = resource.await;
            tracing::error!("D-Bus system bus connection lost: {err}");
        });
        let streams = watch::subscribe(&conn).await.map_err(dbus_err)?;
        let proxy = Proxy::new(BLUEZ, "/", CALL_TIMEOUT, conn.clone());
        let (objects,): (ManagedObjects,) = proxy
            .method_call(
                "org.freedesktop.DBus.ObjectManager",
                "GetManagedObjects",
                (),
            )
            .await
            .map_err(dbus_err)?;
        let (view, initial) = initial_view(adapter, objects)?;
        let name = view
            .adapter_path
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        let session = bluer::Session::new()
            .await
            .map_err(|e| BluezError::Bluez(e.to_string()))?;
        let adapter = session
            .adapter(&name)
            .map_err(|e| BluezError::NoAdapter(format!("{name}: {e}")))?;
        let snapshot = Some((view.alias.clone(), view.devices.values().cloned().collect()));
        let adapter_path = view.adapter_path.clone();
        let view = Arc::new(Mutex::new(view));
        let (tx, rx) = mpsc::channel(256);
        for ev in initial {
            let _ = tx.try_send(ev);
        }
        // Peers' AVRCP commands: optional, the rest works without it.
        if let Err(e) = player::register(&conn, &adapter_path, tx.clone()).await {
            tracing::warn!(
                "no AVRCP commands from peers: cannot register our media player with \
                 {adapter_path} (org.bluez.Media1): {e}"
            );
        }
        tokio::spawn(watch::run(streams, view.clone(), tx));
        Ok((
            Arc::new(Self {
                session,
                adapter,
                conn,
                view,
                initial: Mutex::new(snapshot),
                discovery: Mutex::new(None),
            }),
            rx,
        ))
    }

    /// A copy of what we know of BlueZ's objects (for `devices`).
    pub fn view(&self) -> BluezView {
        self.view
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The bluer session (for the pairing agent).
    pub fn session(&self) -> &bluer::Session {
        &self.session
    }

    /// The adapter in use.
    pub fn adapter(&self) -> &bluer::Adapter {
        &self.adapter
    }

    /// Looks for a MediaPlayer1 object under the device's path.
    async fn find_player(&self, mac: &str) -> Result<Option<String>, BackendError> {
        let proxy = Proxy::new(BLUEZ, "/", CALL_TIMEOUT, self.conn.clone());
        let (objects,): (ManagedObjects,) = proxy
            .method_call(
                "org.freedesktop.DBus.ObjectManager",
                "GetManagedObjects",
                (),
            )
            .await
            .map_err(map_dbus)?;
        let mut players: Vec<String> = objects
            .iter()
            .filter(|(p, i)| {
                i.contains_key(PLAYER_IFACE) && view::mac_of_path(p).as_deref() == Some(mac)
            })
            .map(|(p, _)| p.to_string())
            .collect();
        players.sort();
        Ok(players.into_iter().next())
    }

    fn device(&self, mac: &str) -> Result<bluer::Device, BackendError> {
        self.adapter.device(address(mac)?).map_err(map_bluer)
    }
}

/// Builds the view from GetManagedObjects; only the transports' states are passed on as events
/// (devices are read through `snapshot`).
fn initial_view(
    adapter: &str,
    objects: ManagedObjects,
) -> Result<(BluezView, Vec<BackendEvent>), BluezError> {
    let mut adapters: Vec<&dbus::Path<'static>> = objects
        .iter()
        .filter(|(_, i)| i.contains_key(view::ADAPTER_IFACE))
        .map(|(p, _)| p)
        .collect();
    adapters.sort();
    let adapter_path = if adapter.is_empty() {
        adapters
            .first()
            .map(|p| p.to_string())
            .ok_or_else(|| BluezError::NoAdapter("(none found)".into()))?
    } else {
        let want = format!("/org/bluez/{adapter}");
        adapters
            .iter()
            .find(|p| ***p == *want)
            .map(|p| p.to_string())
            .ok_or_else(|| BluezError::NoAdapter(adapter.to_owned()))?
    };
    let mut v = BluezView {
        adapter_path: adapter_path.clone(),
        ..BluezView::default()
    };
    let mut paths: Vec<&dbus::Path<'static>> = objects.keys().collect();
    paths.sort();
    let mut events = Vec::new();
    if let Some(ifaces) = objects.get(&dbus::Path::from(adapter_path.clone())) {
        v.object_added(&adapter_path, ifaces, &mut events);
    }
    for p in paths {
        if let Some(ifaces) = objects.get(p) {
            v.object_added(p, ifaces, &mut events);
        }
    }
    events.retain(|e| matches!(e, BackendEvent::Transport { .. }));
    Ok((v, events))
}

impl BluetoothBackend for BluezBackend {
    async fn snapshot(&self) -> Result<(String, Vec<DeviceInfo>), BackendError> {
        let initial = self
            .initial
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(s) = initial {
            return Ok(s);
        }
        let v = self.view.lock().unwrap_or_else(PoisonError::into_inner);
        Ok((v.alias.clone(), v.devices.values().cloned().collect()))
    }

    async fn start_scan(&self) -> Result<(), BackendError> {
        let stream = self.adapter.discover_devices().await.map_err(map_bluer)?;
        // Discovery lasts while the stream lives; devices are seen through the watcher.
        let task = tokio::spawn(async move {
            let mut stream = std::pin::pin!(stream);
            while stream.next().await.is_some() {}
        });
        let old = self
            .discovery
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .replace(task);
        if let Some(old) = old {
            old.abort();
        }
        Ok(())
    }

    async fn stop_scan(&self) -> Result<(), BackendError> {
        let task = self
            .discovery
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(task) = task {
            task.abort();
        }
        Ok(())
    }

    async fn set_discoverable(&self, on: bool, timeout_s: u32) -> Result<(), BackendError> {
        if on {
            self.adapter
                .set_discoverable_timeout(timeout_s)
                .await
                .map_err(map_bluer)?;
        }
        self.adapter.set_discoverable(on).await.map_err(map_bluer)
    }

    /// Makes the adapter Pairable (BlueZ answers once the kernel's Bondable flag is set)
    /// before `Device1.Pair`: on a non-bondable adapter the kernel pairs with "No Bonding"
    /// and BlueZ keeps no key, so the device would have to pair again after a restart. The
    /// pairing agent's own update of Pairable for the PairDevices window (which admits
    /// pairing under every policy) runs on another task and can land after the Pair (the
    /// lab saw it: Paired but never Bonded).
    async fn pair(&self, mac: String) -> Result<(), BackendError> {
        let device = self.device(&mac)?;
        self.adapter.set_pairable(true).await.map_err(map_bluer)?;
        device.pair().await.map_err(map_bluer)
    }

    async fn remove(&self, mac: String) -> Result<(), BackendError> {
        self.adapter
            .remove_device(address(&mac)?)
            .await
            .map_err(map_bluer)
    }

    async fn connect(&self, mac: String) -> Result<(), BackendError> {
        self.device(&mac)?.connect().await.map_err(map_bluer)
    }

    async fn disconnect(&self, mac: String) -> Result<(), BackendError> {
        self.device(&mac)?.disconnect().await.map_err(map_bluer)
    }

    async fn media(&self, mac: String, action: MediaAction) -> Result<(), BackendError> {
        let known = self
            .view
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .player_of(&mac);
        let player = match known {
            Some(p) => p,
            // The player may have appeared a moment ago: ask BlueZ directly.
            None => self.find_player(&mac).await?.ok_or_else(|| {
                BackendError::new(
                    BackendErrorKind::NotAvailable,
                    format!("{mac}: no AVRCP player"),
                )
            })?,
        };
        let method = match action {
            MediaAction::Play => "Play",
            MediaAction::Stop => "Pause",
            MediaAction::Next => "Next",
            MediaAction::Previous => "Previous",
        };
        let proxy = Proxy::new(BLUEZ, player, CALL_TIMEOUT, self.conn.clone());
        proxy
            .method_call::<(), _, _, _>(PLAYER_IFACE, method, ())
            .await
            .map_err(map_dbus)
    }
}
