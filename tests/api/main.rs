//! One integration-test binary: `helpers` starts the real app; one file per domain.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod accounts;
mod activities;
mod admin;
mod attacks;
mod audit;
mod authz;
mod backup;
mod browser;
mod crash;
mod dashboard;
mod email;
mod evidence;
mod i18n;
mod ics;
mod imports;
mod notices;
mod offline;
mod org_units;
mod outage;
mod password_reset;
mod plans;
mod privacy;
mod query_plans;
mod reports;
mod setup;
mod shell;
mod slow_clients;
mod smtp;
mod spreadsheets;
mod support_stats;
mod tasks;
mod two_servers;
mod units_import;
