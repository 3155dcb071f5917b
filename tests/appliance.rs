//! The appliance's hook into the server: `RINGBOOK_SETUP_CODE_FILE` (`--setup-code-file`), which the Pi
//! image's console shows on the screen (image/rootfs/usr/local/sbin/ringbook-console).

mod common;
use common::*;

fn logged_setup_code(log: &str) -> Option<String> {
    log.split("The one-time setup code is ")
        .nth(1)
        .map(|rest| rest.split_whitespace().next().unwrap_or("").to_string())
}

#[test]
fn setup_code_file_holds_the_logged_code_for_the_owner_only() {
    let db = Db::new("appliance-code");
    let file = db.dir.path().join("setup-code");
    let file_env = file.to_str().unwrap().to_string();
    let server = Server::start_with(db, &[("RINGBOOK_SETUP_CODE_FILE", &file_env)]);

    let logged = logged_setup_code(&server.log_text()).expect("a setup code in the log");
    let written = std::fs::read_to_string(&file).expect("the setup code file");
    assert_eq!(written.trim_end(), logged);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            mode, 0o600,
            "the setup code file must be readable by its owner only"
        );
    }
}

#[test]
fn setup_code_file_is_removed_once_an_admin_exists() {
    let db = Db::new("appliance-admin");
    let out = db.cli_with_stdin(
        &["user", "add", "owner", "--role", "admin"],
        "a long passphrase\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = db.dir.path().join("setup-code");
    std::fs::write(&file, "STAL-ECOD-E000\n").unwrap();
    let file_env = file.to_str().unwrap().to_string();
    let server = Server::start_with(db, &[("RINGBOOK_SETUP_CODE_FILE", &file_env)]);

    assert_eq!(logged_setup_code(&server.log_text()), None);
    assert!(
        !file.exists(),
        "a start that finds an admin must remove the old setup code file"
    );
}
