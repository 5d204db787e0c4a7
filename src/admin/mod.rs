//! Administration: users, agencies, code lists and org units (including merges).

pub mod agencies;
pub mod codes;
pub mod org_units;
pub mod users;
