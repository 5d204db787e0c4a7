//! Coordination tasks with partner agencies (hotline-111 referrals, loans, vocational training,
//! legal aid, inspections of labour brokers…): requested, acknowledged, in progress, done or
//! declined; escalated to the level above when a deadline passes, until someone acts.

pub mod access;
pub mod service;
pub mod views;
