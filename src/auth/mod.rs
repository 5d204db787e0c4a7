//! Accounts and access: login and logout, database sessions, API tokens, login throttling,
//! the role → capability matrix and the identity of the caller.

pub mod api_tokens;
pub mod handlers;
pub mod identity;
pub mod password;
pub mod permissions;
pub mod reset;
pub mod session;
pub mod throttle;
pub mod tokens;
pub mod users;

pub use identity::CurrentUser;
pub use permissions::{Access, Capability, Role};
