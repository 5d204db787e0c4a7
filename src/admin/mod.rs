//! Administration: users, agencies, code lists, org units (including merges), the email
//! outbox and the audit log.

pub mod agencies;
pub mod audit;
pub mod codes;
pub mod org_units;
pub mod outbox;
pub mod users;
