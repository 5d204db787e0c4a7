//! The transports: SMTP in production (`KEHOACH_SMTP_URL`), files under `data_dir/mail` in
//! development, so the embedded default needs no mail server.

use crate::config::Config;
use lettre::message::Mailbox;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;

pub enum Mailer {
    Smtp(Box<AsyncSmtpTransport<Tokio1Executor>>),
    /// One `.eml` file per message in this folder.
    File(PathBuf),
}

impl Mailer {
    /// SMTP URLs follow lettre: `smtp://host:port` (plain, for a local relay),
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS), `smtps://user:pass@host:465` (TLS).
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        match &config.smtp_url {
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
                    .map_err(|e| anyhow::anyhow!("invalid KEHOACH_SMTP_URL: {e}"))?
                    .timeout(Some(std::time::Duration::from_secs(30)))
                    .build();
                Ok(Mailer::Smtp(Box::new(transport)))
            }
            None => Ok(Mailer::File(config.data_dir.join("mail"))),
        }
    }

    pub async fn send(&self, message: Message) -> Result<(), String> {
        match self {
            Mailer::Smtp(t) => t.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
            Mailer::File(dir) => {
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|e| e.to_string())?;
                AsyncFileTransport::<Tokio1Executor>::new(dir)
                    .send(message)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
        }
    }
}

/// The sender address: `KEHOACH_MAIL_FROM`, or a local default.
pub fn sender(config: &Config) -> Result<Mailbox, String> {
    config
        .mail_from
        .parse()
        .map_err(|e: lettre::address::AddressError| e.to_string())
}
