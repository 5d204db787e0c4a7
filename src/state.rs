//! The state every handler receives: database, configuration, templates, translations and the
//! clock. Passed explicitly; there is no global mutable state.

use crate::config::Config;
use crate::web::i18n::I18n;
use crate::web::templates::Templates;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::DatabaseConnection;
use std::sync::{Arc, Mutex};

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub templates: Arc<Templates>,
    pub i18n: Arc<I18n>,
    pub clock: Clock,
    /// The one-time setup page's token while the database has no account (`crate::setup`).
    pub setup: Arc<crate::setup::SetupGate>,
}

/// Vietnam keeps one offset all year (UTC+7, no daylight saving).
pub const VN_OFFSET: chrono::FixedOffset = match chrono::FixedOffset::east_opt(7 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+7 is a valid offset"),
};

/// The day a moment falls on in Vietnam.
pub fn vn_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&VN_OFFSET).date_naive()
}

/// The time source. Tests swap in a fixed clock so that deadlines, expiry and escalation can be
/// exercised without waiting.
#[derive(Clone)]
pub enum Clock {
    System,
    Fixed(Arc<Mutex<DateTime<Utc>>>),
}

impl Clock {
    pub fn fixed(at: DateTime<Utc>) -> Self {
        Clock::Fixed(Arc::new(Mutex::new(at)))
    }

    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Fixed(t) => match t.lock() {
                Ok(guard) => *guard,
                Err(poisoned) => *poisoned.into_inner(),
            },
        }
    }

    /// Today's date in Vietnam.
    pub fn today(&self) -> NaiveDate {
        vn_date(self.now())
    }

    /// Moves a fixed clock forward; a system clock ignores it.
    pub fn advance(&self, by: Duration) {
        if let Clock::Fixed(t) = self {
            match t.lock() {
                Ok(mut guard) => *guard += by,
                Err(poisoned) => *poisoned.into_inner() += by,
            }
        }
    }
}
