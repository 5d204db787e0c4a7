//! Activities: scheduling, logging and showing every communication activity of the plan —
//! the calendar, the list, the commune home page, evidence files, campaigns and series,
//! calendar feeds and the JSON API.

pub mod access;
pub mod evidence;
pub mod input;
pub mod service;
