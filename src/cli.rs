//! The command line: `ringbook` with no command serves; the subcommands manage users, keys, settings,
//! contacts and lines in the same database, safely beside a running server (SQLite's WAL and busy
//! timeout let the two processes share the file).

use std::io::{self, BufRead, Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::auth::{self, Cidr, Role, Scope};
use crate::http;
use crate::settings::{self, Settings};
use crate::store::Store;
use crate::{contacts, demo, employees, export, import, journal, lines, lookup};

#[derive(Parser, Debug)]
#[command(
    name = "ringbook",
    version,
    about = "Caller lookup, phone books and one call journal for a small office's phone system."
)]
pub struct Cli {
    /// The SQLite database file; created if missing.
    #[arg(
        long,
        global = true,
        env = "RINGBOOK_DB",
        default_value = "ringbook.db"
    )]
    pub db: PathBuf,

    /// Most writes committed together (group commit). 1 means one commit per write, which only the
    /// benchmark's baseline wants.
    #[arg(long, global = true, env = "RINGBOOK_WRITER_BATCH", default_value_t = crate::store::MAX_BATCH, hide = true)]
    pub writer_batch: usize,

    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(clap::Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address and port to serve HTTP on.
    #[arg(long, env = "RINGBOOK_LISTEN", default_value = "0.0.0.0:8080")]
    pub listen: SocketAddr,
    /// Worker threads answering phones, PBXs and the API (admin pages have three threads of their own).
    #[arg(long, env = "RINGBOOK_WORKERS", default_value_t = DEFAULT_WORKERS)]
    pub workers: usize,
    /// Seconds a connection may stay silent (idle keep-alive, or a stalled client) before it is closed.
    #[arg(long, env = "RINGBOOK_IO_TIMEOUT", default_value_t = 30)]
    pub io_timeout: u64,
    /// Also write the one-time setup code to this file (mode 0600) while no admin exists, so an
    /// appliance can show it on its screen; the file is removed at a start that finds an admin.
    #[arg(long, env = "RINGBOOK_SETUP_CODE_FILE")]
    pub setup_code_file: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve HTTP (the default when no command is given).
    Serve(ServeArgs),
    /// Manage people who log in to the web UI.
    #[command(subcommand)]
    User(UserCmd),
    /// Manage API keys for phones, PBXs and scripts.
    #[command(subcommand)]
    Apikey(ApikeyCmd),
    /// Show and change settings.
    #[command(subcommand)]
    Settings(SettingsCmd),
    /// Import contacts from a CSV or vCard file.
    #[command(subcommand)]
    Import(ImportCmd),
    /// Export contacts as CSV or vCard.
    #[command(subcommand)]
    Export(ExportCmd),
    /// The office's own numbers: main numbers and direct lines with their names.
    #[command(subcommand)]
    Line(LineCmd),
    /// The upstream sync queue: list rows, retry a dead one, or give one up.
    #[command(subcommand)]
    Outbox(OutboxCmd),
    /// The office's employees and their own phone numbers.
    #[command(subcommand)]
    Employee(EmployeeCmd),
    /// Extensions and which employee held them when (calls are attributed by this history).
    #[command(subcommand)]
    Extension(ExtensionCmd),
    /// Look a number up the way a phone or PBX would, and show which rule matched.
    Lookup {
        /// The number in any form: +49…, 030…, sip:…@pbx, anonymous, an extension.
        number: String,
    },
    /// Fill the database with realistic demo contacts (for trying ringbook out and for benchmarks).
    DemoData {
        /// How many contacts to add.
        #[arg(long, default_value_t = 1000)]
        contacts: usize,
        /// Seed for the generator; the same seed gives the same contacts.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Also journal this many finished calls over the past year (demo staff on extensions 21-28;
        /// callers mostly demo contacts of the same seed).
        #[arg(long, default_value_t = 0)]
        calls: usize,
    },
    /// Print ready-to-paste settings for a phone or PBX: snom, yealink, grandstream, dect, 3cx, freepbx
    /// or asterisk.
    Provision {
        /// snom, yealink, grandstream, dect, 3cx, freepbx or asterisk.
        #[arg(value_parser = parse_target)]
        target: crate::provision::Target,
        /// The API key to fill in. Without it a key with the target's scopes is created, named for it.
        #[arg(long)]
        key: Option<String>,
        /// This box's address as the devices reach it, e.g. `http://ringbook.local:8080` (default: the
        /// setting http.public_url).
        #[arg(long)]
        url: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCmd {
    /// Add a user; the password (12 characters or more) is read from standard input (one line).
    Add {
        name: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
    /// Remove a user's second factor (a lost phone): they log in with the password alone until they
    /// set up a new one on their account page. For the last admin, who has nobody to do it in the UI.
    #[command(name = "reset-2fa")]
    Reset2fa { name: String },
}

#[derive(Subcommand, Debug)]
pub enum ApikeyCmd {
    /// Create a key and print it once; only its hash is stored.
    Create {
        /// What the key is for, e.g. "Snom phones" or "FreePBX".
        #[arg(long)]
        name: String,
        /// Comma-separated: lookup, journal, phonebook, admin.
        #[arg(long, value_delimiter = ',', value_parser = parse_scope, required = true)]
        scopes: Vec<Scope>,
        /// A network or address the key may be used from (repeatable). With --no-secret the key works
        /// from these addresses without being sent at all.
        #[arg(long = "allow", value_parser = parse_cidr)]
        allow: Vec<Cidr>,
        /// Make a key without a secret that works by source address alone (for phones that can't send a key).
        #[arg(long)]
        no_secret: bool,
    },
    /// List keys (never their secrets).
    List,
    /// Revoke a key by its number from `apikey list`.
    Revoke { id: i64 },
}

#[derive(Subcommand, Debug)]
pub enum SettingsCmd {
    /// Every setting with its value and what it does.
    List,
    /// One setting's value.
    Get { key: String },
    /// Change a setting; the value is checked first.
    Set { key: String, value: String },
}

#[derive(Subcommand, Debug)]
pub enum ImportCmd {
    /// Import contacts. Nothing is imported if any row is bad, unless --skip-bad is given.
    Contacts {
        file: PathBuf,
        /// Import the good rows and report the bad ones.
        #[arg(long)]
        skip_bad: bool,
        /// The file's format; guessed from its content if not given.
        #[arg(long, value_enum)]
        format: Option<FileFormat>,
    },
}

#[derive(Subcommand, Debug)]
pub enum ExportCmd {
    /// Write all contacts to standard output or a file.
    Contacts {
        #[arg(long, value_enum, default_value_t = FileFormat::Csv)]
        format: FileFormat,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum OutboxCmd {
    /// Rows newest first, with state, attempts and the last error.
    List {
        /// Only rows in this state: pending, delivered, dead or skipped.
        #[arg(long)]
        state: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Queue a dead, skipped or waiting row again, due now.
    Retry { id: i64 },
    /// Give up on a pending or dead row.
    Skip { id: i64 },
    /// Queue the calls of a past period for a connector (propstack, crmsenior or webhook), as if they
    /// happened now: for an office that connects its CRM after months of calls. Calls already queued
    /// or delivered to it are not sent again.
    Backfill {
        connector: String,
        /// The first day (2026-11-01), or a time; from midnight UTC.
        #[arg(long)]
        since: String,
        /// The end, exclusive (default: now).
        #[arg(long)]
        until: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum LineCmd {
    /// Add a line (or rename it): the number callers dial and its name.
    Add {
        number: String,
        name: String,
        /// This is the company's main number.
        #[arg(long)]
        main: bool,
    },
    /// List the office's lines.
    List,
    /// Remove a line by its number from `line list`.
    Remove { id: i64 },
}

#[derive(Subcommand, Debug)]
pub enum EmployeeCmd {
    /// Add an employee. Calls from and to their own numbers stay out of the journal.
    Add {
        name: String,
        #[arg(long, default_value = "")]
        email: String,
        /// An own phone number, e.g. a private mobile (repeatable).
        #[arg(long = "number")]
        numbers: Vec<String>,
    },
    /// List employees with their own numbers and the extensions they hold now.
    List,
}

#[derive(Subcommand, Debug)]
pub enum ExtensionCmd {
    /// Make EMPLOYEE (an id or a name) the holder of EXT from --from on (default: now). The previous
    /// holder's assignment ends then; earlier calls keep their attribution.
    Assign {
        ext: String,
        employee: String,
        /// YYYY-MM-DD (midnight UTC) or an RFC 3339 time such as 2024-03-01T08:00:00+01:00.
        #[arg(long)]
        from: Option<String>,
    },
    /// End the current holder's assignment of EXT at --at (default: now).
    Unassign {
        ext: String,
        #[arg(long)]
        at: Option<String>,
    },
    /// List extensions with their holder now and their history.
    List,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileFormat {
    Csv,
    #[value(alias = "vcard")]
    Vcf,
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
}
fn parse_scope(s: &str) -> Result<Scope, String> {
    s.parse()
}
fn parse_cidr(s: &str) -> Result<Cidr, String> {
    s.parse()
}
fn parse_target(s: &str) -> Result<crate::provision::Target, String> {
    s.parse()
}

/// Parses the command line, runs the command and turns failures into a message and exit code 1.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format_target(false)
        .init();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ringbook: {e}");
            ExitCode::FAILURE
        }
    }
}

fn open(cli: &Cli) -> Result<Store, String> {
    Store::open_with_batch(&cli.db, cli.writer_batch)
        .map_err(|e| format!("the database {} could not be opened: {e}", cli.db.display()))
}

fn load_settings(store: &Store) -> Result<Settings, String> {
    let reader = store.reader().map_err(|e| e.to_string())?;
    Settings::load(&reader).map_err(|e| e.to_string())
}

fn run(cli: Cli) -> Result<(), String> {
    let store = open(&cli)?;
    match &cli.command {
        None => serve(&store, &cli, &cli.serve),
        Some(Command::Serve(args)) => serve(&store, &cli, args),
        Some(Command::User(UserCmd::Add { name, role })) => {
            let password = read_password()?;
            let id = auth::add_user(&store, name, &password, *role)?;
            println!("added {} '{name}' (id {id})", role.as_str());
            Ok(())
        }
        Some(Command::User(UserCmd::Reset2fa { name })) => {
            let reader = store.reader().map_err(|e| e.to_string())?;
            let user = reader
                .user_by_name(name)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("there is no active user named '{name}'"))?;
            if !user.has_2fa {
                println!("'{name}' has no second factor; nothing to do");
                return Ok(());
            }
            crate::users::remove_second_factor(&store, user.id).map_err(|e| e.to_string())?;
            println!("removed the second factor of '{name}'; they log in with the password alone");
            Ok(())
        }
        Some(Command::Apikey(cmd)) => apikey(&store, cmd),
        Some(Command::Settings(cmd)) => settings_cmd(&store, cmd),
        Some(Command::Import(ImportCmd::Contacts {
            file,
            skip_bad,
            format,
        })) => import_contacts(&store, file, *skip_bad, *format),
        Some(Command::Export(ExportCmd::Contacts { format, output })) => {
            export_contacts(&store, *format, output.as_ref())
        }
        Some(Command::Line(cmd)) => line(&store, cmd),
        Some(Command::Outbox(cmd)) => outbox_cmd(&store, cmd),
        Some(Command::Employee(cmd)) => employee(&store, cmd),
        Some(Command::Extension(cmd)) => extension(&store, cmd),
        Some(Command::Lookup { number }) => {
            let reader = store.reader().map_err(|e| e.to_string())?;
            let model = load_settings(&store)?.number_model();
            let o = lookup::lookup(&reader, &model, number).map_err(|e| e.to_string())?;
            println!(
                "{}",
                serde_json::to_string_pretty(&crate::api::outcome_json(&o))
                    .map_err(|e| e.to_string())?
            );
            Ok(())
        }
        Some(Command::DemoData {
            contacts,
            seed,
            calls,
        }) => {
            let settings = load_settings(&store)?;
            let model = settings.number_model();
            let started = std::time::Instant::now();
            let (c, n) = demo::fill(&store, &model, *contacts, *seed, |done| {
                if done % 100_000 == 0 {
                    log::info!("{done} demo contacts stored");
                }
            })?;
            println!(
                "added {c} demo contacts with {n} numbers in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            if *calls > 0 {
                let started = std::time::Instant::now();
                let now = crate::store::now();
                let k = demo::fill_calls(&store, &settings, *calls, *seed, now, |done| {
                    if done % 100_000 == 0 {
                        log::info!("{done} demo calls journaled");
                    }
                })?;
                println!(
                    "journaled {k} demo calls in {:.1} s",
                    started.elapsed().as_secs_f64()
                );
            }
            Ok(())
        }
        Some(Command::Provision { target, key, url }) => {
            let p = crate::provision::provision(&store, *target, key.as_deref(), url.as_deref())?;
            for note in &p.notes {
                eprintln!("{note}");
            }
            print!("{}", p.text);
            Ok(())
        }
    }
}

/// Request workers by default. Call events don't hold a worker while they wait for their commit
/// (`http::Response::later`), so two workers per core keep both cores busy; each one costs a read
/// connection with its page cache, and a thread's share of the number parser's pattern caches (the
/// lazy DFAs of its regexes, megabytes per thread). Measured with 64 connections and 1M contacts: 4
/// workers give the same lookups/s as 16, with peak RSS 67 MB instead of 93 MB and p99 7 ms instead
/// of 22 ms. Admin pages, exports included, run on page workers of their own (`http::serve`), so a
/// slow page never holds one of these.
pub const DEFAULT_WORKERS: usize = 4;

fn serve(store: &Store, cli: &Cli, args: &ServeArgs) -> Result<(), String> {
    let workers = args.workers.clamp(1, 256);
    let reader = store.reader().map_err(|e| e.to_string())?;
    log::info!(
        "ringbook {} using the database {}",
        env!("CARGO_PKG_VERSION"),
        cli.db.display()
    );
    // Contacts stored before the phone-book search keys existed get them before phones ask.
    crate::phonebook::index_missing(store)
        .map_err(|e| format!("the phone-book search keys could not be filled: {e}"))?;
    // A restart must not reset anyone's count of failed logins.
    let failing = crate::web::session::load_failures(&reader)
        .map_err(|e| format!("the recent failed logins could not be read: {e}"))?;
    if failing > 0 {
        log::info!("clients with failed logins in the last five minutes, still counted: {failing}");
    }
    journal::janitor::spawn(store.clone())
        .map_err(|e| format!("the journal janitor could not be started: {e}"))?;
    crate::disk::watch(store.clone())
        .map_err(|e| format!("the disk space watch could not be started: {e}"))?;
    crate::sources::start(store.clone())
        .map_err(|e| format!("the call sources could not be started: {e}"))?;
    crate::sync::start(store.clone())
        .map_err(|e| format!("the CRM sync could not be started: {e}"))?;
    let config = http::Config {
        listen: args.listen,
        workers,
        io_timeout: std::time::Duration::from_secs(args.io_timeout.clamp(1, 3600)),
    };
    let store_for_code = store.clone();
    let code_file = args.setup_code_file.clone();
    http::serve(
        config,
        store.clone(),
        move |addr| match auth::issue_setup_code(&store_for_code, &reader) {
            Ok(Some(code)) => {
                log::warn!(
                    "first-run setup: no admin exists yet. The one-time setup code is {code}"
                );
                log::warn!(
                    "open http://{}/setup and enter it, or run 'ringbook user add NAME --role admin' on this machine",
                    display_host(addr)
                );
                if let Some(path) = &code_file {
                    if let Err(e) = write_setup_code_file(path, &code) {
                        log::warn!(
                            "the setup code could not be written to {}: {e}",
                            path.display()
                        );
                    }
                }
            }
            Ok(None) => {
                if let Some(path) = &code_file {
                    match std::fs::remove_file(path) {
                        Ok(()) => {}
                        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                        Err(e) => log::warn!(
                            "the old setup code file {} could not be removed: {e}",
                            path.display()
                        ),
                    }
                }
            }
            Err(e) => log::error!("the setup code could not be stored: {e}"),
        },
    )
}

/// Writes the setup code for the appliance's console (see `image/`), readable by its owner only, and
/// atomically, so a reader never sees half a code.
fn write_setup_code_file(path: &std::path::Path, code: &str) -> io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(&tmp)?;
    f.write_all(format!("{code}\n").as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// The address to show a person: `0.0.0.0` means "any", so show `localhost` instead.
fn display_host(addr: SocketAddr) -> String {
    if addr.ip().is_unspecified() {
        format!("localhost:{}", addr.port())
    } else {
        addr.to_string()
    }
}

fn read_password() -> Result<String, String> {
    let mut line = String::new();
    io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("the password could not be read from standard input: {e}"))?;
    let p = line.trim_end_matches(['\r', '\n']).to_string();
    if p.is_empty() {
        return Err("give the password on standard input, e.g. echo 'a long passphrase' | ringbook user add anna --role admin".into());
    }
    Ok(p)
}

fn apikey(store: &Store, cmd: &ApikeyCmd) -> Result<(), String> {
    match cmd {
        ApikeyCmd::Create {
            name,
            scopes,
            allow,
            no_secret,
        } => {
            let k = auth::create_key(store, name, scopes, allow, !no_secret)?;
            match k.full_key {
                Some(key) => {
                    println!("{key}");
                    eprintln!(
                        "key {} '{name}' created. This is the only time it is shown; store it now.",
                        k.id
                    );
                }
                None => println!(
                    "key {} '{name}' created; it works without a secret from: {}",
                    k.id,
                    join(allow)
                ),
            }
            Ok(())
        }
        ApikeyCmd::List => {
            let reader = store.reader().map_err(|e| e.to_string())?;
            println!(
                "{:<4} {:<24} {:<28} {:<24} {:<10}",
                "id", "name", "scopes", "allow", "state"
            );
            for k in reader.api_keys().map_err(|e| e.to_string())? {
                let scopes: Vec<&str> = k.scopes.iter().map(|s| s.as_str()).collect();
                let state = if k.revoked_at.is_some() {
                    "revoked"
                } else if k.secret_hash.is_none() {
                    "ip-only"
                } else {
                    "active"
                };
                println!(
                    "{:<4} {:<24} {:<28} {:<24} {:<10}",
                    k.id,
                    k.name,
                    scopes.join(","),
                    join(&k.allow),
                    state
                );
            }
            Ok(())
        }
        ApikeyCmd::Revoke { id } => {
            auth::revoke_key(store, *id).map_err(|e| e.to_string())?;
            println!("key {id} revoked");
            Ok(())
        }
    }
}

fn join(cidrs: &[Cidr]) -> String {
    cidrs
        .iter()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

fn settings_cmd(store: &Store, cmd: &SettingsCmd) -> Result<(), String> {
    match cmd {
        SettingsCmd::List => {
            let s = load_settings(store)?;
            for spec in settings::SPECS {
                println!(
                    "{} = {:?}\n    {}",
                    spec.key,
                    settings::shown(spec.key, s.get(spec.key)),
                    spec.description
                );
            }
            Ok(())
        }
        SettingsCmd::Get { key } => {
            settings::spec(key).map_err(|e| e.to_string())?;
            println!("{}", load_settings(store)?.get(key));
            Ok(())
        }
        SettingsCmd::Set { key, value } => {
            let before = load_settings(store)?.number_model();
            let v = settings::set(store, key, value).map_err(|e| e.to_string())?;
            println!("{key} = {:?}", settings::shown(key, &v));
            let now = load_settings(store)?.number_model();
            let n =
                contacts::renormalize_if_changed(store, &before, now).map_err(|e| e.to_string())?;
            if n > 0 {
                println!("{n} stored numbers changed with the new number model");
            }
            Ok(())
        }
    }
}

fn import_contacts(
    store: &Store,
    file: &PathBuf,
    skip_bad: bool,
    format: Option<FileFormat>,
) -> Result<(), String> {
    let mut bytes = Vec::new();
    std::fs::File::open(file)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|e| format!("{} could not be read: {e}", file.display()))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        format!(
            "{} is not UTF-8 text (first bad byte at {}); save it as UTF-8 and try again",
            file.display(),
            e.utf8_error().valid_up_to()
        )
    })?;
    let format = match format {
        Some(FileFormat::Csv) => import::Format::Csv,
        Some(FileFormat::Vcf) => import::Format::Vcard,
        None => import::Format::sniff(&text),
    };
    let model = load_settings(store)?.number_model();
    let parsed = import::parse(&text, format, &model)?;
    for bad in &parsed.bad {
        eprintln!("{}: {bad}", file.display());
    }
    if !parsed.bad.is_empty() && !skip_bad {
        return Err(format!(
            "{} of {} rows are bad, so nothing was imported; fix them, or use --skip-bad to import the {} good ones",
            parsed.bad.len(),
            parsed.bad.len() + parsed.good.len(),
            parsed.good.len()
        ));
    }
    let n = contacts::insert_all(store, parsed.good).map_err(|e| e.to_string())?;
    let bad = parsed.bad.len();
    println!(
        "imported {n} {}{}",
        if n == 1 { "contact" } else { "contacts" },
        match bad {
            0 => String::new(),
            1 => ", skipped 1 bad row".to_string(),
            _ => format!(", skipped {bad} bad rows"),
        }
    );
    Ok(())
}

fn export_contacts(
    store: &Store,
    format: FileFormat,
    output: Option<&PathBuf>,
) -> Result<(), String> {
    let reader = store.reader().map_err(|e| e.to_string())?;
    let out: Box<dyn Write> = match output {
        Some(p) => Box::new(
            std::fs::File::create(p)
                .map_err(|e| format!("{} could not be created: {e}", p.display()))?,
        ),
        None => Box::new(io::stdout().lock()),
    };
    let out = io::BufWriter::new(out);
    let n = match format {
        FileFormat::Csv => export::csv(&reader, out)?,
        FileFormat::Vcf => export::vcard(&reader, out)?,
    };
    eprintln!(
        "exported {n} {}",
        if n == 1 { "contact" } else { "contacts" }
    );
    Ok(())
}

fn outbox_cmd(store: &Store, cmd: &OutboxCmd) -> Result<(), String> {
    use crate::store::outbox;
    match cmd {
        OutboxCmd::List { state, limit } => {
            let reader = store.reader().map_err(|e| e.to_string())?;
            let rows = outbox::list(reader.conn(), state.as_deref(), (*limit).clamp(1, 10_000))
                .map_err(|e| e.to_string())?;
            println!(
                "{:<6} {:<10} {:<8} {:<10} {:<10} {:>8}  last error",
                "id", "connector", "call", "step", "state", "attempts"
            );
            for r in rows {
                println!(
                    "{:<6} {:<10} {:<8} {:<10} {:<10} {:>8}  {}",
                    r.id,
                    r.connector,
                    r.call_id,
                    r.step,
                    r.state,
                    r.attempts,
                    r.last_error.unwrap_or_default()
                );
            }
            Ok(())
        }
        OutboxCmd::Retry { id } => {
            let id = *id;
            let done = store
                .write(move |tx| outbox::retry(tx, id, outbox::now_ms()))
                .map_err(|e| e.to_string())?;
            if !done {
                return Err(format!(
                    "outbox row {id} does not exist or was already delivered"
                ));
            }
            println!("outbox row {id} queued again");
            Ok(())
        }
        OutboxCmd::Backfill {
            connector,
            since,
            until,
        } => {
            let Some(connector) = outbox::CONNECTORS
                .iter()
                .find(|c| **c == connector.as_str())
            else {
                return Err(format!(
                    "'{connector}' is not a connector; use one of: {}",
                    outbox::CONNECTORS.join(", ")
                ));
            };
            let settings = load_settings(store)?;
            let url_key = outbox::url_key(connector);
            if settings.get(url_key).trim().is_empty() {
                return Err(format!(
                    "the {connector} connector is off: set {url_key} first, or the rows would wait for nothing"
                ));
            }
            let since = journal::time::parse(since)?;
            let until = time_or_now(until)?;
            if until <= since {
                return Err("--until must be after --since".into());
            }
            let now = outbox::now_ms();
            let added = store
                .write(move |tx| outbox::backfill(tx, connector, since, until, now))
                .map_err(|e| e.to_string())?;
            println!(
                "{added} outbox rows queued for {connector} (calls from {} to {})",
                journal::time::format(since),
                journal::time::format(until)
            );
            Ok(())
        }
        OutboxCmd::Skip { id } => {
            let id = *id;
            let done = store
                .write(move |tx| outbox::skip(tx, id, outbox::now_ms()))
                .map_err(|e| e.to_string())?;
            if !done {
                return Err(format!(
                    "outbox row {id} is not pending or dead, so there is nothing to skip"
                ));
            }
            println!("outbox row {id} skipped");
            Ok(())
        }
    }
}

fn line(store: &Store, cmd: &LineCmd) -> Result<(), String> {
    match cmd {
        LineCmd::Add { number, name, main } => {
            let model = load_settings(store)?.number_model();
            let id = lines::add(store, &model, number, name, *main)?;
            println!("line {id}: {name} ({number})");
            Ok(())
        }
        LineCmd::List => {
            let reader = store.reader().map_err(|e| e.to_string())?;
            for l in reader.lines().map_err(|e| e.to_string())? {
                println!(
                    "{:<4} {:<16} {:<24} {}",
                    l.id,
                    l.e164,
                    l.name,
                    if l.is_main { "main" } else { "" }
                );
            }
            Ok(())
        }
        LineCmd::Remove { id } => {
            lines::remove(store, *id)?;
            println!("line {id} removed");
            Ok(())
        }
    }
}

fn employee(store: &Store, cmd: &EmployeeCmd) -> Result<(), String> {
    match cmd {
        EmployeeCmd::Add {
            name,
            email,
            numbers,
        } => {
            let model = load_settings(store)?.number_model();
            let id =
                employees::add(store, &model, name, email, numbers).map_err(|e| e.to_string())?;
            println!("employee {id}: {}", name.trim());
            Ok(())
        }
        EmployeeCmd::List => {
            let reader = store.reader().map_err(|e| e.to_string())?;
            println!(
                "{:<4} {:<24} {:<28} {:<16} numbers",
                "id", "name", "email", "extensions"
            );
            for e in reader.employees().map_err(|e| e.to_string())? {
                let numbers: Vec<&str> = e.numbers.iter().map(|n| n.raw.as_str()).collect();
                println!(
                    "{:<4} {:<24} {:<28} {:<16} {}",
                    e.id,
                    e.name,
                    e.email,
                    e.extensions.join(","),
                    numbers.join(", ")
                );
            }
            Ok(())
        }
    }
}

fn time_or_now(t: &Option<String>) -> Result<i64, String> {
    match t {
        Some(s) => journal::time::parse(s),
        None => Ok(crate::store::now()),
    }
}

fn extension(store: &Store, cmd: &ExtensionCmd) -> Result<(), String> {
    let model = load_settings(store)?.number_model();
    let reader = store.reader().map_err(|e| e.to_string())?;
    match cmd {
        ExtensionCmd::Assign {
            ext,
            employee,
            from,
        } => {
            let ext = employees::Extension::parse(&model, ext).map_err(|e| e.to_string())?;
            let who = employees::resolve(&reader, employee).map_err(|e| e.to_string())?;
            let from = time_or_now(from)?;
            if employees::assign(store, &ext, who, from).map_err(|e| e.to_string())? {
                println!(
                    "extension {ext} is held by employee {who} from {}",
                    journal::time::format(from)
                );
            } else {
                println!(
                    "extension {ext} was already held by employee {who} then; nothing changed"
                );
            }
            Ok(())
        }
        ExtensionCmd::Unassign { ext, at } => {
            let ext = employees::Extension::parse(&model, ext).map_err(|e| e.to_string())?;
            let at = time_or_now(at)?;
            if employees::unassign(store, &ext, at).map_err(|e| e.to_string())? {
                println!(
                    "extension {ext} is held by nobody from {}",
                    journal::time::format(at)
                );
            } else {
                println!("nobody held extension {ext} then; nothing changed");
            }
            Ok(())
        }
        ExtensionCmd::List => {
            let now = crate::store::now();
            for x in reader.extensions().map_err(|e| e.to_string())? {
                let holder = x
                    .holder_at(now)
                    .map(|a| format!("{} ({})", a.employee_name, a.employee_id))
                    .unwrap_or_else(|| "nobody".into());
                println!("{:<8} {holder}", x.number);
                for a in &x.history {
                    println!(
                        "         {} .. {}  {} ({})",
                        journal::time::format(a.from),
                        a.until
                            .map(journal::time::format)
                            .unwrap_or_else(|| "now".into()),
                        a.employee_name,
                        a.employee_id
                    );
                }
            }
            Ok(())
        }
    }
}
