//! Self-hosted static assets, embedded in the binary: no CDN, nothing fetched from elsewhere.

use axum::extract::Path;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

use crate::error::AppError;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../../static/app.css"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../static/app.js"),
    },
    Asset {
        name: "running-totals.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../static/running-totals.js"),
    },
    Asset {
        name: "offline.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../static/offline.js"),
    },
    Asset {
        name: "manifest.webmanifest",
        content_type: "application/manifest+json",
        body: include_bytes!("../../static/manifest.webmanifest"),
    },
    Asset {
        name: "icon-192.png",
        content_type: "image/png",
        body: include_bytes!("../../static/icon-192.png"),
    },
    Asset {
        name: "icon-512.png",
        content_type: "image/png",
        body: include_bytes!("../../static/icon-512.png"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        body: include_bytes!("../../static/favicon.svg"),
    },
];

pub async fn get_static(Path(file): Path<String>) -> Result<Response, AppError> {
    let asset = ASSETS
        .iter()
        .find(|a| a.name == file)
        .ok_or(AppError::NotFound)?;
    // URLs carry the release version (`?v=`), so a day of caching is safe and saves 3G trips.
    Ok((
        [
            (CONTENT_TYPE, asset.content_type),
            (CACHE_CONTROL, "public, max-age=86400"),
        ],
        asset.body,
    )
        .into_response())
}
