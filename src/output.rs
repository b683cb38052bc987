//! Writing to stdout and stderr without panicking: `println!` panics when stdout is closed or
//! full (EPIPE, EBADF, ENOSPC), and so the commands would exit 101 and `run` would lose its
//! exit table. `outln!`/`out!` return the write's `io::Result`; `errln!`/`err!` ignore
//! failures (there is nowhere left to report them).

use std::io::Write;
use std::path::Path;

/// Names `path` in an I/O error (keeping its kind): `ENOSPC` or `EACCES` alone do not say
/// which file failed. Use as `.map_err(at(&path))`.
pub fn at(path: &Path) -> impl FnOnce(std::io::Error) -> std::io::Error + '_ {
    move |e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// `std::fs::write` whose error names the file.
pub fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes).map_err(at(path))
}

/// Writes `text` to stdout and flushes it.
pub fn write_out(text: &str) -> std::io::Result<()> {
    let mut o = std::io::stdout().lock();
    o.write_all(text.as_bytes())?;
    o.flush()
}

/// Writes `text` to stderr; errors are ignored.
pub fn write_err(text: &str) {
    let mut e = std::io::stderr().lock();
    let _ = e.write_all(text.as_bytes());
    let _ = e.flush();
}

/// Writes a command's result to stdout; when stdout fails, says so on stderr and writes the
/// result there instead (so `run`'s exit table is never lost).
pub fn result_or_stderr(text: &str) {
    if let Err(e) = write_out(text) {
        write_err(&format!(
            "warning: stdout failed ({e}); the output follows here\n{text}"
        ));
    }
}

/// `print!` that returns the write error.
macro_rules! out {
    ($($t:tt)*) => { $crate::output::write_out(&format!($($t)*)) };
}

/// `println!` that returns the write error.
macro_rules! outln {
    ($($t:tt)*) => { $crate::output::write_out(&format!("{}\n", format_args!($($t)*))) };
}

/// `eprint!` that never panics.
macro_rules! err {
    ($($t:tt)*) => { $crate::output::write_err(&format!($($t)*)) };
}

/// `eprintln!` that never panics.
macro_rules! errln {
    () => { $crate::output::write_err("\n") };
    ($($t:tt)*) => { $crate::output::write_err(&format!("{}\n", format_args!($($t)*))) };
}

pub(crate) use {err, errln, out, outln};
