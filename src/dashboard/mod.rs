//! The leadership dashboard: plan execution, activities by month, coverage of communes, people
//! reached, materials, budget, coordination tasks, reporting completeness and victim-support
//! statistics (suppressed as on their own pages) for the user's scope and a period —
//! computed live from the rows on every request, every figure linked to the rows behind it.

pub mod attention;
pub mod chart;
pub mod data;
pub mod execution;
pub mod followup;
pub mod rollups;
pub mod sections;
pub mod sql;
pub mod views;
