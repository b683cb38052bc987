//! The one helper that starts a thread which must keep up with the audio: name, CPU affinity,
//! mlockall, SCHED_FIFO. Used for the real-time loop and for the wake-word worker.
//!
//! Promotion is best-effort: a refusal (no CAP_SYS_NICE, RLIMIT_RTPRIO, a container) is
//! logged once, before the thread's work starts, reported in [`RtStatus`], and the thread runs
//! on at normal priority. Nothing here is real-time safe: it runs before the work.

use std::thread::JoinHandle;

use nix::sched::{sched_setaffinity, CpuSet};
use nix::sys::mman::{mlockall, MlockAllFlags};
use nix::unistd::Pid;

pub use crate::options::ThreadOptions;

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

/// Sets SCHED_FIFO `priority` on the calling thread. nix has no pthread_setschedparam, so this
/// is the one raw libc call of the crate.
fn set_fifo(priority: i32) -> Result<(), std::io::Error> {
    let param = libc::sched_param {
        sched_priority: priority,
    };
    // SAFETY: pthread_self() is always valid for the calling thread, and `param` is a valid,
    // initialised sched_param that outlives the call.
    let rc = unsafe { libc::pthread_setschedparam(libc::pthread_self(), libc::SCHED_FIFO, &param) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::from_raw_os_error(rc))
    }
}

/// Promotes the calling thread as `opts` says, logging each refusal once with the thread's
/// name. Not real-time safe: call it before the work.
pub fn promote_current(opts: &ThreadOptions) -> RtStatus {
    let current = std::thread::current();
    let name = current.name().unwrap_or("unnamed");
    let mut st = RtStatus::default();
    if let Some(cpu) = opts.cpu {
        let mut set = CpuSet::new();
        let res = set
            .set(cpu)
            .and_then(|()| sched_setaffinity(Pid::from_raw(0), &set));
        st.pinned = res.is_ok();
        if let Err(e) = res {
            tracing::warn!(thread = name, cpu, error = %e, "CPU affinity refused; running unpinned");
        }
    }
    if opts.lock_memory {
        let res = mlockall(MlockAllFlags::MCL_CURRENT | MlockAllFlags::MCL_FUTURE);
        st.memory_locked = res.is_ok();
        if let Err(e) = res {
            tracing::warn!(thread = name, error = %e, "mlockall refused; pages may fault in the loop");
        }
    }
    if opts.priority > 0 {
        let res = set_fifo(opts.priority);
        st.fifo = res.is_ok();
        if let Err(e) = res {
            tracing::warn!(
                thread = name,
                priority = opts.priority,
                error = %e,
                "SCHED_FIFO refused; running at normal priority"
            );
        }
    }
    st
}

/// Stack of the threads started here. mlockall(MCL_CURRENT | MCL_FUTURE) locks (and so makes
/// resident) every thread stack in full, and std's default is 2 MiB a thread. An optimised
/// build's per-period work needs far less: nnnoiseless keeps ~20 KiB of frame arrays on the
/// stack, libopus its VLAs (tens of KiB), the TFLite interpreter its arena on the heap; the
/// release tests ran with 512 KiB, and 1 MiB keeps twice that as margin. Unoptimised (debug)
/// builds keep far larger frames: the real loop overflowed 512 KiB there, so they keep std's
/// 2 MiB.
pub const STACK_BYTES: usize = if cfg!(debug_assertions) {
    2 * 1024 * 1024
} else {
    1024 * 1024
};

/// Stack of the real-time thread when the echo canceller runs in it: AEC3 (sonora) keeps its
/// block and FFT arrays on the stack, and overflowed 512 KiB (debug build, the echo tests);
/// std's default of 2 MiB is what its tests and measurements ran with.
pub const AEC_STACK_BYTES: usize = 2 * 1024 * 1024;

/// Spawns the thread `name` with a `stack_bytes` stack (normally [`STACK_BYTES`]), promotes
/// it when `promote` is given, then runs `f` with what the promotion obtained. Not real-time
/// safe.
pub fn spawn<F, T>(
    name: &str,
    stack_bytes: usize,
    promote: Option<&ThreadOptions>,
    f: F,
) -> std::io::Result<JoinHandle<T>>
where
    F: FnOnce(RtStatus) -> T + Send + 'static,
    T: Send + 'static,
{
    let promote = promote.cloned();
    std::thread::Builder::new()
        .name(name.to_owned())
        .stack_size(stack_bytes)
        .spawn(move || {
            let st = promote.as_ref().map(promote_current).unwrap_or_default();
            f(st)
        })
}
