//! Plans: the plan tree (sections, content areas, bullet points) with agencies, targets and
//! budgets; authoring, the draft → issued → closed life, clone and cascade.

pub mod access;
pub mod areas;
pub mod document;
pub mod edit;
pub mod forms;
pub mod handlers;
pub mod lifecycle;
pub mod repo;
pub mod service;
