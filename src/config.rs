//! Configuration, read from flags and environment variables (see `cli`). Secrets are wrapped
//! so that they never appear in `Debug` output or logs.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// A value that must never be printed.
#[derive(Clone, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Everything the running application needs to know about its environment.
#[derive(Clone, Debug)]
pub struct Config {
    /// May carry a password, hence a secret.
    pub database_url: Secret,
    pub addr: SocketAddr,
    /// The public address of the app, used in links and to decide whether cookies are `Secure`.
    pub base_url: String,
    /// Keys the HMAC of signed cookies.
    pub secret: Secret,
    /// `None` = development transport (files under `data_dir/mail`).
    pub smtp_url: Option<Secret>,
    /// Where uploaded files and development mail go.
    pub data_dir: PathBuf,
    /// The sender of every email.
    pub mail_from: String,
    /// Connections in the database pool. SQLite defaults to one: it has a single writer, and a
    /// deferred transaction that upgrades to a write lock fails at once with SQLITE_BUSY instead
    /// of waiting, so one connection makes concurrent writes queue instead of failing.
    pub db_pool_size: Option<u32>,
    /// How long a client may take to send its request, and a request to be answered.
    pub timeouts: Timeouts,
}

/// The clocks that keep slow clients from holding the server (see `server.rs`). Fixed for a
/// deployment; tests shorten them to see a slow client cut off without waiting half a minute.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    /// Time a client has to send its request line and headers (a few hundred bytes, even on
    /// 3G), and the longest a kept-alive connection stays open without a request.
    pub header: Duration,
    /// Time a request has, body and handler together, before it is answered 408.
    pub request: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            header: Duration::from_secs(15),
            request: Duration::from_secs(30),
        }
    }
}

impl Config {
    /// A configuration for tests and tools: everything local, a fixed secret.
    pub fn for_database(database_url: &str) -> Self {
        Self {
            database_url: Secret::new(database_url),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            base_url: "http://127.0.0.1".into(),
            secret: Secret::new("kehoach-development-secret-not-for-production"),
            smtp_url: None,
            data_dir: PathBuf::from("data"),
            mail_from: "kehoach <kehoach@localhost>".into(),
            db_pool_size: None,
            timeouts: Timeouts::default(),
        }
    }

    pub fn secure_cookies(&self) -> bool {
        self.base_url.starts_with("https://")
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.expose().starts_with("sqlite:")
    }
}
