//! Plans: the plan tree (sections, content areas, bullet points) with agencies, targets and
//! budgets.

pub mod handlers;
pub mod repo;
