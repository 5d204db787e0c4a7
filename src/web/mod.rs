//! Shared HTTP plumbing: the page context and rendering, translation, number and date formats,
//! cookies, flash messages, CSRF, error pages, security headers and static files.

pub mod cookies;
pub mod csrf;
pub mod errors;
pub mod flash;
pub mod format;
pub mod forms;
pub mod i18n;
pub mod idempotency;
pub mod page;
pub mod query;
pub mod search;
pub mod static_files;
pub mod templates;

pub use page::Page;
