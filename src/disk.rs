//! Room left on the disk that holds the database, and a warning before it runs out.
//!
//! When the disk is full, SQLite can't grow the database file: call events and every other write
//! get 503 ("the write was not saved: database or disk is full"), while lookups keep answering.
//! Worse, a checkpoint can't copy the WAL back into a file that can't grow, so writes stay refused
//! after the load that filled the disk has passed, until someone frees space. On a Pi that is an SD
//! card, and nobody looks at it. So ringbook measures the free space every [`EVERY`], logs when it
//! falls below `journal.disk_warning_mb` (and when it is back above), shows admins a warning on every
//! page, and reports it on `/healthz` and `/metrics`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::Duration;

use crate::settings::Settings;
use crate::store::Store;

/// How often the free space is measured.
const EVERY: Duration = Duration::from_secs(30);

/// The last measurement, for pages that can't wait for one: free bytes (`u64::MAX` until the first),
/// and whether that was below the warning level.
static FREE: AtomicU64 = AtomicU64::new(u64::MAX);
static LOW: AtomicBool = AtomicBool::new(false);

/// Bytes an unprivileged process may still write on the file system that holds `path` (the
/// database file, or its directory before the file exists).
pub fn free_bytes(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let dir: PathBuf = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    // SAFETY: `c` is a valid NUL-terminated path and `st` a properly sized out-parameter that
    // statvfs fills on success.
    let st = unsafe {
        let mut st: libc::statvfs = std::mem::zeroed();
        if libc::statvfs(c.as_ptr(), &mut st) != 0 {
            return None;
        }
        st
    };
    Some((st.f_bavail as u64).saturating_mul(st.f_frsize as u64))
}

/// The warning level in bytes (`journal.disk_warning_mb`); 0 means no warning.
pub fn warning_level(settings: &Settings) -> u64 {
    settings
        .get("journal.disk_warning_mb")
        .parse::<u64>()
        .unwrap_or(256)
        .saturating_mul(1 << 20)
}

/// Measures the free space now, and remembers it for [`low`]. Logs when it crosses the warning
/// level either way. Returns the free bytes and whether they are below the level.
pub fn measure(path: &Path, settings: &Settings) -> Option<(u64, bool)> {
    let free = free_bytes(path)?;
    let low = free < warning_level(settings);
    FREE.store(free, Ordering::Relaxed);
    let was = LOW.swap(low, Ordering::Relaxed);
    if low && !was {
        log::warn!(
            "only {} MB are left on the disk that holds the database; when it is full, calls are no longer journaled: free some space or move ringbook to a larger disk",
            free >> 20
        );
    } else if was && !low {
        log::info!(
            "the disk that holds the database has room again: {} MB free",
            free >> 20
        );
    }
    Some((free, low))
}

/// The last measurement: free bytes, if below the warning level.
pub fn low() -> Option<u64> {
    LOW.load(Ordering::Relaxed)
        .then(|| FREE.load(Ordering::Relaxed))
}

/// Measures once now, then every [`EVERY`] in a thread of its own, reading the warning level from
/// the settings each time so a change applies without a restart.
pub fn watch(store: Store) -> std::io::Result<()> {
    let reader = store.background_reader().map_err(std::io::Error::other)?;
    let settings = |r: &crate::store::Reader| Settings::load(r).unwrap_or_default();
    if measure(store.path(), &settings(&reader)).is_none() {
        log::warn!(
            "the free space on the disk that holds {} can't be measured",
            store.path().display()
        );
    }
    crate::vital::spawn("disk-watch", move || loop {
        thread::sleep(EVERY);
        measure(store.path(), &settings(&reader));
    })
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_space_is_measured_where_the_database_lives() {
        let dir = crate::store::test_dir("disk-free");
        let free = free_bytes(&dir.join("ringbook.db")).expect("statvfs works on a test directory");
        assert!(free > 0);
        // A bare file name is in the working directory.
        assert!(free_bytes(Path::new("ringbook.db")).is_some());
        assert!(free_bytes(&dir.join("no such dir").join("x.db")).is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
