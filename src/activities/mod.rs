//! Activities: scheduling, logging and showing every communication activity of the plan —
//! the calendar, the list, the commune home page, evidence files, campaigns and series,
//! calendar feeds and the JSON API.

pub mod access;
pub mod campaign;
pub mod edit;
pub mod evidence;
pub mod ics;
pub mod input;
pub mod repo;
pub mod service;
pub mod views;
