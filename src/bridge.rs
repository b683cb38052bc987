//! The bridge between the AMA link and the Bluetooth interface, both on the async side:
//! - ISSUE_MEDIA_CONTROL from the phone becomes an AVRCP media control on the connected
//!   A2DP-family device (through the Bluetooth agent, as a MediaControl directive would);
//! - the Bluetooth state feeds the AMA feature table: A2DP connected (0x132) and A2DP active
//!   (0x136), sent to the phone with SYNCHRONIZE_STATE when they change.
//!
//! Not real-time safe (tokio tasks); never touches the real-time thread.

use ama_proto::proto::MediaControl;
use ama_proto::session::{feature_id, FeatureValue};
use avs_bluetooth::agent::driver::AgentHandle;
use avs_bluetooth::model::{
    ConnectionState, ContextObject, Directive, MediaAction, ReceivedDirective, StreamingState,
};
use tokio::sync::mpsc;

/// The two channels the AMA service exposes for the Bluetooth side.
#[derive(Debug)]
pub struct Bridge {
    /// Media-control requests from the phone.
    pub media: mpsc::Receiver<MediaControl>,
    /// Feature changes to synchronise to the phone.
    pub features: mpsc::Sender<(u32, FeatureValue)>,
}

/// What the bridge reads from the Bluetooth context.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct A2dpView {
    /// The connected A2DP-family device, if any.
    pub connected: Option<String>,
    /// Whether its A2DP stream is active.
    pub active: bool,
}

/// Reads the connected device and its streaming state from the context (v2; v1 carries only
/// the active device).
pub fn a2dp_view(ctx: &ContextObject) -> A2dpView {
    match ctx {
        ContextObject::V2(s) => s
            .paired_devices
            .iter()
            .find(|d| {
                d.connection_state == ConnectionState::Connected
                    && d.supported_profiles
                        .iter()
                        .any(|p| p.name.starts_with("A2DP"))
            })
            .map(|d| A2dpView {
                connected: Some(d.unique_device_id.clone()),
                active: d.supported_profiles.iter().any(|p| {
                    p.state
                        .as_ref()
                        .is_some_and(|s| s.streaming == StreamingState::Active)
                }),
            })
            .unwrap_or_default(),
        ContextObject::V1(s) => A2dpView {
            connected: s.active_device.as_ref().map(|d| d.unique_device_id.clone()),
            active: false,
        },
    }
}

/// The AVS media action for an AMA media control, given whether A2DP is streaming.
pub fn media_action(control: MediaControl, active: bool) -> MediaAction {
    match control {
        MediaControl::Play => MediaAction::Play,
        MediaControl::Pause => MediaAction::Stop,
        MediaControl::Next => MediaAction::Next,
        MediaControl::Previous => MediaAction::Previous,
        MediaControl::PlayPause if active => MediaAction::Stop,
        MediaControl::PlayPause => MediaAction::Play,
    }
}

/// Runs both directions until the agent or the AMA service goes away.
pub async fn run(handle: AgentHandle, bridge: Bridge) {
    let Bridge {
        mut media,
        features,
    } = bridge;
    let mut ctx = handle.watch_context();
    let h = handle.clone();
    let media_task = tokio::spawn(async move {
        let ctx = h.watch_context();
        let mut n = 0u64;
        while let Some(control) = media.recv().await {
            let view = a2dp_view(&ctx.borrow());
            let Some(id) = view.connected else {
                tracing::info!(?control, "phone media control: no A2DP device connected");
                continue;
            };
            n += 1;
            let d = ReceivedDirective {
                message_id: format!("ama-media-{n}"),
                directive: Directive::MediaControl {
                    action: media_action(control, view.active),
                    id: Some(id),
                },
            };
            if !h.directive(d).await {
                break;
            }
        }
    });
    // Every context change (events, a logout/reset that sends none) re-derives the two
    // features; only changes are sent to the phone.
    let mut last: Option<A2dpView> = None;
    loop {
        let view = a2dp_view(&ctx.borrow_and_update());
        let updates = [
            (feature_id::A2DP_CONNECTED, view.connected.is_some()),
            (feature_id::A2DP_ACTIVE, view.active),
        ];
        let before = last.as_ref().map(|v| [v.connected.is_some(), v.active]);
        for (k, (id, value)) in updates.into_iter().enumerate() {
            if before.is_some_and(|b| b[k] == value) {
                continue;
            }
            if features
                .send((id, FeatureValue::Bool(value)))
                .await
                .is_err()
            {
                media_task.abort();
                return;
            }
        }
        last = Some(view);
        if ctx.changed().await.is_err() {
            break;
        }
    }
    media_task.abort();
}

#[cfg(test)]
mod tests {
    use super::*;
    use avs_bluetooth::model::{
        AlexaDevice, BluetoothStateV2, DeviceCategory, PairedDeviceV2, ProfileStreaming,
        SupportedProfileV2,
    };

    fn device(id: &str, connected: bool, streaming: Option<StreamingState>) -> PairedDeviceV2 {
        PairedDeviceV2 {
            supported_profiles: vec![
                SupportedProfileV2 {
                    name: "AVRCP".into(),
                    version: "1.6".into(),
                    state: None,
                },
                SupportedProfileV2 {
                    name: "A2DP_SOURCE".into(),
                    version: "1.3".into(),
                    state: streaming.map(|s| ProfileStreaming { streaming: s }),
                },
            ],
            unique_device_id: id.into(),
            device_category: DeviceCategory::Phone,
            friendly_name: id.into(),
            connection_state: if connected {
                ConnectionState::Connected
            } else {
                ConnectionState::Disconnected
            },
        }
    }

    fn ctx(devices: Vec<PairedDeviceV2>) -> ContextObject {
        ContextObject::V2(BluetoothStateV2 {
            alexa_device: AlexaDevice {
                friendly_name: "headset".into(),
            },
            paired_devices: devices,
        })
    }

    #[test]
    fn the_connected_a2dp_device_and_its_streaming_state_are_found() {
        let v = a2dp_view(&ctx(vec![
            device("old", false, Some(StreamingState::Inactive)),
            device("phone", true, Some(StreamingState::Active)),
        ]));
        assert_eq!(v.connected.as_deref(), Some("phone"));
        assert!(v.active);
        let v = a2dp_view(&ctx(vec![device(
            "phone",
            true,
            Some(StreamingState::Paused),
        )]));
        assert!(!v.active);
        assert_eq!(
            a2dp_view(&ctx(vec![device("x", false, None)])),
            A2dpView::default()
        );
    }

    #[test]
    fn play_pause_toggles_on_the_streaming_state() {
        assert_eq!(
            media_action(MediaControl::PlayPause, true),
            MediaAction::Stop
        );
        assert_eq!(
            media_action(MediaControl::PlayPause, false),
            MediaAction::Play
        );
        assert_eq!(media_action(MediaControl::Pause, false), MediaAction::Stop);
        assert_eq!(media_action(MediaControl::Next, true), MediaAction::Next);
        assert_eq!(
            media_action(MediaControl::Previous, true),
            MediaAction::Previous
        );
        assert_eq!(media_action(MediaControl::Play, true), MediaAction::Play);
    }
}
