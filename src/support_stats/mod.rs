//! Victim-support statistics, private by design: monthly aggregate figures per org unit
//! (persons received by sex, age band, purpose, manner of return and where trafficked; support
//! by type under the law in force that month; hotline-111 tips; social-policy bank loans;
//! referrals), entered by communes and the compiling office, locked once their report is
//! approved, and read through small-cell suppression by everyone else.
//!
//! Privacy by construction:
//! - the tables hold integers and foreign keys only (a test reads the migrated schema);
//! - every page, API answer and export is built from one [`figures::Report`], which has gone
//!   through [`suppress`] for readers without `SensitiveStats`: counts 1–4 hidden (hotline tips
//!   included), complements hidden so that no row or column total gives one away and an
//!   interval attacker narrows no small count, linked tables kept consistent, one neutral mark
//!   `x`, and no more than two dimensions crossed (the fully crossed detail is for the
//!   compiling office);
//! - every view and export is written to the audit log.
//!
//! Readers without exact access get the periods of a publication lattice only (quarters,
//! halves, years: `lattice`), and each view is protected together with every period of its
//! year and every unit of its family, as one system (`figures::report_for`), so that no two
//! views can be subtracted. Known limits are in `docs/privacy.md`, section 7.

pub mod access;
pub mod codes;
pub mod data;
pub mod demo;
pub mod entry;
pub mod export;
pub mod figures;
pub mod input;
pub mod lattice;
pub mod period;
pub mod service;
pub mod suppress;
pub mod tables;
pub mod trend;
pub mod views;
pub mod views_model;

pub use demo::demo_support_stats;
