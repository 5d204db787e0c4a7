//! kehoach: plan, track and report the work of a local plan against human trafficking.
//!
//! A map of the crate, one line per module:

/// Backups: a consistent copy of the database, its check, and the restore of a SQLite copy.
pub mod backup;
/// Command-line interface: `serve`, `migrate`, `seed`, `user`, `backup`, `restore`.
pub mod cli;
/// Configuration from flags and environment; secrets that never reach `Debug`.
pub mod config;
/// Opening the database (SQLite with WAL or PostgreSQL) and running the migrations.
pub mod db;
/// The one error type of the web layer and how it becomes a response.
pub mod error;
/// The whole route table, with the access rule of every route.
pub mod router;
/// The HTTP connection loop, with a header-read timeout.
pub mod server;
/// Building the application: router, middleware stack, listener.
pub mod startup;
/// The shared state passed to every handler, and the injectable clock.
pub mod state;
/// Logging setup.
pub mod telemetry;

/// The audit log, written in the transaction of the change it records.
pub mod audit;
/// Accounts: login, sessions, CSRF, API tokens, roles, capabilities and scope.
pub mod auth;
/// Reference and demo data loaded from `seed/`.
pub mod seed;
/// The first start of a deployment: its root unit, first administrator and standard agencies.
pub mod setup;
/// Text rules: search folding and the personal-data guard for free text.
pub mod text;
/// Shared HTTP plumbing: templates, translation, page context, flash, static files.
pub mod web;

/// Activities: scheduling, logging, evidence, calendar, feeds.
pub mod activities;
/// Administration pages: users, agencies, code lists, org units, outbox, audit log.
pub mod admin;
/// Agencies (offices inside an org unit).
pub mod agencies;
/// The JSON API under `/api/v1`.
pub mod api;
/// Timing the heavy pages through the app and as raw SQL (`kehoach bench`).
pub mod bench;
/// Code lists (activity types, target groups, funding sources...).
pub mod codes;
/// The leadership dashboard: live figures for a scope and a period, each linked to its rows.
pub mod dashboard;
/// Official documents (KẾ HOẠCH, BÁO CÁO) laid out per Decree 30/2020 and rendered to DOCX.
pub mod documents;
/// Synthetic national-scale data for benchmarks (`kehoach gen-data`).
pub mod gen_data;
/// The home page of each office: what the role has to do next.
pub mod home;
/// Spreadsheets in: XLSX/CSV imports of activities and support statistics, previewed and
/// committed all or nothing.
pub mod imports;
/// Email: the outbox, its worker and transports, scheduled reminders and escalations.
pub mod notifications;
/// Working without a connection: the service worker and the list of pages a phone keeps.
pub mod offline;
/// Administrative units, their tree over time and their lineage (merges, renames).
pub mod org_units;
/// Plans and their item tree, targets and budgets.
pub mod plans;
/// Reporting periods, unit reports, the compiled report and its exports.
pub mod reports;
/// Bulk onboarding: agencies by template, people from a spreadsheet, invitations, readiness.
pub mod rollout;
/// Spreadsheets out: XLSX and CSV exports of activities, tasks, statistics and completeness.
pub mod spreadsheets;
/// Victim-support statistics: monthly aggregates, entry, locks, suppressed views and exports.
pub mod support_stats;
/// Coordination tasks with partner agencies, their follow-up and escalation.
pub mod tasks;

/// sea-orm entities, one per table.
pub mod entities;
