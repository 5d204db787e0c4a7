//! Calendar feeds (RFC 5545) behind revocable tokens: the feed served to calendar apps, the
//! account page where a user creates and revokes their feeds, and the iCalendar text format.

pub mod feed;
pub mod format;
pub mod tokens;
