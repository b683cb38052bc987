//! Spawning the real-time thread: name, CPU affinity, mlockall, SCHED_FIFO.
//!
//! Promotion is best-effort: a refusal (no CAP_SYS_NICE, RLIMIT_RTPRIO, a container) is
//! reported once, before the loop starts, and the thread runs on at normal priority.

use std::thread::JoinHandle;

use crate::config::RealtimeConfig;

/// What the thread obtained.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct RtStatus {
    /// SCHED_FIFO was granted.
    pub fifo: bool,
    /// mlockall succeeded.
    pub memory_locked: bool,
    /// The thread is pinned to the configured CPU.
    pub pinned: bool,
}

fn errno_str() -> String {
    std::io::Error::last_os_error().to_string()
}

/// Promotes the calling thread as `cfg` says, logging refusals (once each). Not real-time
/// safe: call it before the loop.
pub fn promote_current(cfg: &RealtimeConfig) -> RtStatus {
    let mut st = RtStatus::default();
    if let Some(cpu) = cfg.cpu {
        // SAFETY: cpu_set_t is plain data; zeroed is the empty set; the pointer is valid for
        // the call and its size is passed.
        let rc = unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(cpu, &mut set);
            libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set)
        };
        st.pinned = rc == 0;
        if !st.pinned {
            tracing::warn!(cpu, error = %errno_str(), "real-time thread: CPU affinity refused; running unpinned");
        }
    }
    if cfg.lock_memory {
        // SAFETY: mlockall takes flags only.
        st.memory_locked = unsafe { libc::mlockall(libc::MCL_CURRENT | libc::MCL_FUTURE) } == 0;
        if !st.memory_locked {
            tracing::warn!(error = %errno_str(), "real-time thread: mlockall refused; pages may fault in the loop");
        }
    }
    if cfg.priority > 0 {
        let param = libc::sched_param {
            sched_priority: cfg.priority,
        };
        // SAFETY: pthread_self() is the calling thread; `param` is valid for the call.
        let rc =
            unsafe { libc::pthread_setschedparam(libc::pthread_self(), libc::SCHED_FIFO, &param) };
        st.fifo = rc == 0;
        if !st.fifo {
            tracing::warn!(
                priority = cfg.priority,
                error = %std::io::Error::from_raw_os_error(rc),
                "real-time thread: SCHED_FIFO refused; running at normal priority"
            );
        }
    }
    st
}

/// Spawns the named thread, promotes it when `promote` is set, then runs `f`.
/// Not real-time safe.
pub fn spawn<F, T>(
    name: &str,
    cfg: &RealtimeConfig,
    promote: bool,
    f: F,
) -> std::io::Result<JoinHandle<T>>
where
    F: FnOnce(RtStatus) -> T + Send + 'static,
    T: Send + 'static,
{
    let cfg = cfg.clone();
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            let st = if promote {
                promote_current(&cfg)
            } else {
                RtStatus::default()
            };
            f(st)
        })
}
