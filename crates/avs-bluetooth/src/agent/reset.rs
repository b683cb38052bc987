//! The logout/reset flow (bluetooth-reference.md: "A logout/reset clears it all: stop scan,
//! leave discoverable mode, unpair every device, empty the map").
//!
//! [`AgentCore`] starts every call at once (stop scan, leave discoverable mode, remove each
//! paired device), empties the registry (written atomically) and answers with a
//! [`ResetReport`] once every call has returned. No AVS event is sent: after a logout there is
//! nobody to send them to. While a removal runs, and for one operation timeout after it
//! succeeded, the stack's events about that device are ignored, so its late Connected/Paired
//! changes cannot put it back into the emptied registry.

use super::backend::{BackendError, BackendErrorKind, BackendEvent};
use super::output::ResetFailure;
use super::state::{Action, AgentCore, BackendCall, ResetStep};

impl AgentCore {
    /// Starts the reset; `Action::ResetDone` follows once every call has returned (at once
    /// when a previous reset is still running: its report answers both).
    pub(super) fn start_reset(&mut self, out: &mut Vec<Action>) {
        let mut run = self.reset.take().unwrap_or_default();
        self.scanning = false;
        self.resume_scan_after_pair = false;
        self.discoverable = false;
        let mut paired: Vec<(String, String)> = self
            .devices
            .iter()
            .filter(|(m, d)| d.info.paired && !self.resetting.contains_key(*m))
            .map(|(m, _)| {
                let id = self
                    .registry
                    .by_mac(m)
                    .map(|r| r.unique_device_id.clone())
                    .unwrap_or_default();
                (m.clone(), id)
            })
            .collect();
        paired.sort();
        let mut calls = vec![
            (ResetStep::StopScan, BackendCall::StopScan),
            (
                ResetStep::Discoverable,
                BackendCall::SetDiscoverable {
                    on: false,
                    timeout_s: 0,
                },
            ),
        ];
        for (mac, id) in paired {
            self.resetting.insert(mac.clone(), None);
            calls.push((
                ResetStep::Remove {
                    mac: mac.clone(),
                    id,
                },
                BackendCall::Remove(mac),
            ));
        }
        for (step, call) in calls {
            let token = self.token();
            run.steps.insert(token, step);
            self.call(Some(token), call, out);
        }
        if let Err(e) = self.registry.clear() {
            tracing::warn!("bluetooth registry: {e}");
            run.report.errors.push(format!("registry: {e}"));
        }
        self.reset = Some(run);
    }

    /// A reset call returned; false when `token` is not one of the reset's.
    pub(super) fn reset_call_done(
        &mut self,
        token: u64,
        result: &Result<(), BackendError>,
        out: &mut Vec<Action>,
    ) -> bool {
        let Some(step) = self.reset.as_mut().and_then(|r| r.steps.remove(&token)) else {
            return false;
        };
        let mut report_error = None;
        match (step, result) {
            (ResetStep::Remove { mac, id }, Ok(())) => self.removed(mac, id, token, out),
            (ResetStep::Remove { mac, id }, Err(e)) if e.kind == BackendErrorKind::DoesNotExist => {
                self.removed(mac, id, token, out)
            }
            (ResetStep::Remove { mac, id: _ }, Err(e)) => {
                tracing::warn!("bluetooth reset: cannot remove {mac}: {e}");
                self.resetting.remove(&mac);
                let new_id = self.id_of_mac(&mac);
                if let Some(r) = self.reset.as_mut() {
                    r.report.failed.push(ResetFailure {
                        unique_device_id: new_id,
                        error: e.to_string(),
                    });
                }
            }
            (ResetStep::StopScan, Err(e)) => report_error = Some(format!("stop scan: {e}")),
            (ResetStep::Discoverable, Err(e)) => {
                report_error = Some(format!("leave discoverable mode: {e}"))
            }
            (_, Ok(())) => {}
        }
        if let Some(r) = self.reset.as_mut() {
            r.report.errors.extend(report_error);
            if r.steps.is_empty() {
                let report = std::mem::take(&mut r.report);
                self.reset = None;
                out.push(Action::ResetDone(report));
            }
        }
        true
    }

    fn removed(&mut self, mac: String, id: String, token: u64, out: &mut Vec<Action>) {
        self.devices.remove(&mac);
        self.seen.retain(|m| *m != mac);
        // Keep ignoring the device's late events for a while (the removal signal may come
        // after the call's answer).
        if let Some(grace) = self.resetting.get_mut(&mac) {
            *grace = Some(token);
            out.push(Action::Timer {
                token,
                after: self.settings.op_timeout,
            });
        }
        if let Some(r) = self.reset.as_mut() {
            r.report.unpaired.push(id);
        }
    }

    /// A reset grace timer fired; false when `token` is not one.
    pub(super) fn reset_timer(&mut self, token: u64) -> bool {
        let before = self.resetting.len();
        self.resetting.retain(|_, t| *t != Some(token));
        before != self.resetting.len()
    }

    /// Whether `ev` is about a device being removed by a reset (and must be ignored).
    pub(super) fn reset_filters(&mut self, ev: &BackendEvent) -> bool {
        let mac = match ev {
            BackendEvent::DeviceRemoved { mac } => {
                // Gone for good: later events about the MAC are a new device.
                self.resetting.remove(mac);
                return false;
            }
            BackendEvent::DeviceUpdated(info) => &info.mac,
            BackendEvent::Paired { mac, .. }
            | BackendEvent::Connected { mac, .. }
            | BackendEvent::Transport { mac, .. }
            | BackendEvent::TransportRemoved { mac } => mac,
            BackendEvent::Discovering(_)
            | BackendEvent::Discoverable(_)
            | BackendEvent::Avrcp(_) => return false,
        };
        self.resetting.contains_key(mac)
    }
}
