//! One-shot messages shown after a redirect ("Saved."). The cookie carries a translation key
//! and an HMAC, so nobody can make the app display text of their choosing.

use crate::config::Config;
use crate::web::cookies;
use axum::http::HeaderMap;
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const COOKIE: &str = "kehoach_flash";

fn sign(config: &Config, key: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(config.secret.expose().as_bytes()) else {
        return String::new();
    };
    mac.update(key.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A 303 redirect that shows `key` (a translation key) on the next page.
pub fn redirect(config: &Config, to: &str, key: &str) -> Response {
    let value = format!("{key}.{}", sign(config, key));
    (
        axum::http::StatusCode::SEE_OTHER,
        [
            (LOCATION, to.to_owned()),
            (
                SET_COOKIE,
                cookies::set(COOKIE, &value, Some(60), config.secure_cookies()),
            ),
        ],
    )
        .into_response()
}

/// The flash key in the request, if its signature holds.
pub fn read(config: &Config, headers: &HeaderMap) -> Option<String> {
    let raw = cookies::get(headers, COOKIE)?;
    let (key, sig) = raw.rsplit_once('.')?;
    let valid = !sig.is_empty() && crate::auth::tokens::constant_time_eq(sig, &sign(config, key));
    valid.then(|| key.to_owned())
}
