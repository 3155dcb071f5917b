//! Threads that ringbook can't do without, and what happens when one of them dies.
//!
//! A request handler's panic costs one request (`http::handle` catches it). A background thread
//! has nobody to catch it: if the store's writer, the CRM sync or the AMI client panicked, the
//! thread ended and the process lived on. Lookups kept answering and `/healthz` said ok, while no
//! call was journaled or synced again until someone restarted the box by hand. A panic is a bug,
//! and the safe answer to it is the one the HTTP listener already gives when it dies: exit with
//! [`RESTART`], so that the service manager restarts ringbook 2 s later with every committed write
//! intact (the unit sets `Restart=on-failure` and no start limit).

use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::thread::{self, JoinHandle};

/// The exit status that asks the service manager for a restart (`EX_SOFTWARE`), used for every
/// part of ringbook that stops working in a way only a restart mends.
pub const RESTART: i32 = 70;

/// Starts a thread named `name` that the process can't run without: if `f` panics, the process
/// exits with [`RESTART`] after logging which thread it was (the panic message itself is logged
/// by the panic hook just before).
pub fn spawn<F>(name: impl Into<String>, f: F) -> io::Result<JoinHandle<()>>
where
    F: FnOnce() + Send + 'static,
{
    spawn_or(name, f, || std::process::exit(RESTART))
}

/// [`spawn`] with what to do instead of exiting, for the tests.
fn spawn_or<F, D>(name: impl Into<String>, f: F, died: D) -> io::Result<JoinHandle<()>>
where
    F: FnOnce() + Send + 'static,
    D: FnOnce() + Send + 'static,
{
    let name = name.into();
    thread::Builder::new().name(name.clone()).spawn(move || {
        // The thread's state is dropped with it and the process ends, so nothing half-changed is
        // used again.
        if catch_unwind(AssertUnwindSafe(f)).is_err() {
            log::error!(
                "the {name} thread stopped on a bug (its panic is logged above); exiting so that \
                 the service manager restarts ringbook, since without this thread it would keep \
                 answering lookups but do less than it seems"
            );
            died();
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossbeam_channel::bounded;
    use std::time::Duration;

    #[test]
    fn a_panic_in_a_vital_thread_ends_the_process_and_a_normal_end_does_not() {
        let (tx, died) = bounded(2);
        let t = tx.clone();
        spawn_or(
            "test-panics",
            || panic!("a bug"),
            move || t.send("panicked").unwrap(),
        )
        .unwrap()
        .join()
        .unwrap();
        spawn_or("test-returns", || {}, move || tx.send("returned").unwrap())
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(died.recv_timeout(Duration::from_secs(5)), Ok("panicked"));
        assert!(
            died.try_recv().is_err(),
            "a thread that returned was taken for dead"
        );
    }
}
