//! The page context every HTML handler extracts: locale, the signed-in user, the CSRF token for
//! forms, the flash message, and the current path (for the language switch). `render` merges it
//! with the handler's own context.

use crate::auth::identity::{CurrentUser, Identity};
use crate::auth::permissions::Capability;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::i18n::Locale;
use crate::web::{cookies, csrf, flash};
use axum::extract::FromRequestParts;
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use minijinja::{Value, context};

pub const LANG_COOKIE: &str = "kehoach_lang";

pub struct Page {
    pub locale: Locale,
    pub user: Option<CurrentUser>,
    pub csrf_token: String,
    /// A pre-login CSRF token was minted for this request and must be set as a cookie.
    new_anon_csrf: bool,
    flash: Option<String>,
    pub path: String,
}

impl FromRequestParts<AppState> for Page {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let user = parts.extensions.get::<Identity>().and_then(|i| i.0.clone());
        Self::build(state, &parts.headers, parts.uri.clone(), user)
    }
}

impl Page {
    pub fn build(
        state: &AppState,
        headers: &axum::http::HeaderMap,
        uri: axum::http::Uri,
        user: Option<CurrentUser>,
    ) -> AppResult<Page> {
        let locale = match &user {
            Some(u) => u.locale,
            None => cookies::get(headers, LANG_COOKIE)
                .as_deref()
                .and_then(Locale::parse)
                .unwrap_or_default(),
        };
        let (csrf_token, new_anon_csrf) = match user.as_ref().and_then(|u| u.csrf_token()) {
            Some(t) => (t.to_owned(), false),
            None => match cookies::get(headers, csrf::ANON_COOKIE) {
                Some(t) if t.len() == 64 => (t, false),
                _ => (crate::auth::tokens::random_token()?, true),
            },
        };
        let path = uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
        Ok(Page {
            locale,
            user,
            csrf_token,
            new_anon_csrf,
            flash: flash::read(&state.config, headers),
            path,
        })
    }

    pub fn t(&self, state: &AppState, key: &str) -> String {
        state.i18n.t(self.locale, key).to_owned()
    }

    pub fn render(&self, state: &AppState, template: &str, ctx: Value) -> AppResult<Response> {
        self.render_status(state, StatusCode::OK, template, ctx)
    }

    /// Renders with a status, e.g. 422 for a form shown again with its errors.
    pub fn render_status(
        &self,
        state: &AppState,
        status: StatusCode,
        template: &str,
        ctx: Value,
    ) -> AppResult<Response> {
        let user = self.user.as_ref();
        let nav = user.map(|u| {
            let (primary, more) = menu(u);
            context! {
                admin => u.can(Capability::ManageUsers),
                stats => u.can(Capability::ViewStats),
                // Administrators reach the audit log from the admin pages; leaders from the footer.
                audit => u.can(Capability::ViewAudit) && !u.can(Capability::ManageUsers),
                primary => primary, more => more,
            }
        });
        let full = context! {
            locale => self.locale.code(),
            user => user,
            nav => nav,
            csrf_token => &self.csrf_token,
            flash => &self.flash,
            path => &self.path,
            version => env!("CARGO_PKG_VERSION"),
            ..ctx
        };
        let body = state
            .templates
            .render(template, self.locale, full)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("template {template}: {e:#}")))?;
        let mut response = (status, Html(body)).into_response();
        let secure = state.config.secure_cookies();
        let headers = response.headers_mut();
        if self.new_anon_csrf {
            let c = cookies::set(csrf::ANON_COOKIE, &self.csrf_token, None, secure);
            if let Ok(v) = HeaderValue::from_str(&c) {
                headers.append(SET_COOKIE, v);
            }
        }
        if self.flash.is_some()
            && let Ok(v) = HeaderValue::from_str(&cookies::clear(flash::COOKIE, secure))
        {
            headers.append(SET_COOKIE, v);
        }
        Ok(response)
    }
}

/// A link of the main menu: its path (also the prefix that marks it current) and its label key.
#[derive(serde::Serialize)]
pub struct MenuItem {
    pub href: &'static str,
    pub key: &'static str,
    /// The paths under which the link is the current page.
    pub section: &'static str,
}

const HOME: MenuItem = MenuItem {
    href: "/",
    key: "nav.home",
    section: "/",
};
const DASHBOARD: MenuItem = MenuItem {
    href: "/dashboard",
    key: "nav.dashboard",
    section: "/dashboard",
};
const ACTIVITIES: MenuItem = MenuItem {
    href: "/activities",
    key: "nav.activities",
    section: "/activities",
};
const TASKS: MenuItem = MenuItem {
    href: "/tasks/inbox",
    key: "nav.tasks",
    section: "/tasks",
};
const REPORTS: MenuItem = MenuItem {
    href: "/reports",
    key: "nav.reports",
    section: "/reports",
};
const PLANS: MenuItem = MenuItem {
    href: "/plans",
    key: "nav.plans",
    section: "/plans",
};
const STATS: MenuItem = MenuItem {
    href: "/stats",
    key: "nav.stats",
    section: "/stats",
};
const ORG_UNITS: MenuItem = MenuItem {
    href: "/org-units",
    key: "nav.org_units",
    section: "/org-units",
};
const ADMIN: MenuItem = MenuItem {
    href: "/admin/users",
    key: "nav.admin",
    section: "/admin",
};
const ROLLOUT: MenuItem = MenuItem {
    href: "/rollout/ready",
    key: "nav.rollout",
    section: "/rollout",
};

/// The main menu of an office: three to five links a phone shows, the rest under "Thêm"
/// (a desktop shows them all in a row). Each office's daily work comes first.
pub fn menu(u: &CurrentUser) -> (Vec<MenuItem>, Vec<MenuItem>) {
    use crate::auth::Role::*;
    let (primary, more) = match u.role {
        Planner => (
            vec![HOME, ACTIVITIES, PLANS, TASKS],
            vec![DASHBOARD, REPORTS, STATS, ORG_UNITS],
        ),
        Commune => (
            vec![HOME, ACTIVITIES, TASKS, REPORTS],
            vec![PLANS, DASHBOARD, STATS, ORG_UNITS],
        ),
        // The compiling office also rolls the app out to its province.
        Compiler => (
            vec![HOME, REPORTS, STATS],
            vec![DASHBOARD, ACTIVITIES, TASKS, PLANS, ORG_UNITS, ROLLOUT],
        ),
        Partner => (
            vec![HOME, TASKS, ACTIVITIES, REPORTS],
            vec![PLANS, DASHBOARD, STATS, ORG_UNITS],
        ),
        // The leader's home is the dashboard.
        Leader => (
            vec![DASHBOARD, REPORTS, PLANS, TASKS],
            vec![ACTIVITIES, STATS, ORG_UNITS],
        ),
        Admin => (
            vec![HOME, ADMIN, ORG_UNITS],
            vec![DASHBOARD, ACTIVITIES, TASKS, REPORTS, PLANS],
        ),
    };
    let allowed = |m: &MenuItem| {
        (m.href != STATS.href || u.can(Capability::ViewStats))
            && (m.href != ROLLOUT.href || u.can(Capability::RollOut))
    };
    (
        primary.into_iter().filter(allowed).collect(),
        more.into_iter().filter(allowed).collect(),
    )
}
