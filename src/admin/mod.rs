//! Administration: users, agencies, code lists, org units (including merges) and
//! the email outbox.

pub mod agencies;
pub mod codes;
pub mod org_units;
pub mod outbox;
pub mod users;
