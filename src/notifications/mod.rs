//! Email: the outbox (every email is a row first), the transports, the worker that drains the
//! outbox with retries, and the scheduled reminders and escalations.

pub mod digest;
pub mod mailer;
pub mod outbox;
pub mod render;
pub mod schedule;
pub mod worker;
