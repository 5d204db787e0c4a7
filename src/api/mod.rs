//! The JSON API under `/api/v1`, authenticated by session or by `Authorization: Bearer` API
//! token, with the same permission matrix as the pages. Errors are
//! `{"error": {"message": "…", "fields": {…}}}`.

pub mod handlers;
