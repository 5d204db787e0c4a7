//! Administrative units: the effective-dated tree, lineage (merge, split, rename) and scope.

pub mod handlers;
pub mod repo;
pub mod scope;
