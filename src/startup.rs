//! Building the application: state, middleware stack and listener. `Application::build` binds
//! the socket and reports the real port, so tests run the real app on port 0.

use crate::config::Config;
use crate::error::AppError;
use crate::state::{AppState, Clock};
use crate::web::i18n::I18n;
use crate::web::templates::Templates;
use crate::{auth, router, web};
use axum::Router;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{from_fn, from_fn_with_state};
use sea_orm::DatabaseConnection;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// Largest request body accepted anywhere (uploads included).
pub const MAX_BODY_BYTES: usize = 12 * 1024 * 1024;

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

pub struct Application {
    listener: TcpListener,
    router: Router,
    pub state: AppState,
}

impl Application {
    pub async fn build(
        config: Config,
        db: DatabaseConnection,
        clock: Clock,
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(config.addr).await?;
        let state = state(config, db, clock)?;
        let router = build_router(state.clone());
        Ok(Application {
            listener,
            router,
            state,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let header_timeout = self.state.config.timeouts.header;
        crate::server::serve(
            self.listener,
            self.router,
            header_timeout,
            shutdown_signal(),
        )
        .await
    }
}

/// The shared state, for the web app and the worker alike.
pub fn state(config: Config, db: DatabaseConnection, clock: Clock) -> anyhow::Result<AppState> {
    let i18n = Arc::new(I18n::load()?);
    let templates = Arc::new(Templates::new(i18n.clone()));
    Ok(AppState {
        db,
        config: Arc::new(config),
        templates,
        i18n,
        clock,
        setup: Arc::new(crate::setup::SetupGate::default()),
    })
}

pub fn build_router(state: AppState) -> Router {
    let routes = router::routes()
        .into_router()
        .fallback(|| async { AppError::NotFound });
    let headers = [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
    ];
    let mut app = routes
        // A retried write (offline queue, API script) is answered from its stored answer,
        // after the CSRF check and before the route runs.
        .layer(from_fn_with_state(state.clone(), web::idempotency::guard))
        // Innermost first: CSRF needs the identity; the error renderer sees every error, the
        // body limit's 413 included, and knows who asked (so a file too large for any route
        // gets a page in the user's language, not the layer's bare English text).
        .layer(from_fn(web::csrf::guard))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(from_fn_with_state(state.clone(), auth::identity::identify))
        .layer(from_fn_with_state(
            state.clone(),
            web::errors::render_errors,
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            state.config.timeouts.request,
        ))
        .layer(CompressionLayer::new())
        .with_state(state);
    for (name, value) in headers {
        app = app.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ));
    }
    app.layer(SetResponseHeaderLayer::if_not_present(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    ))
    .layer(TraceLayer::new_for_http())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

/// Periodic housekeeping inside `serve`: expired sessions, old login attempts and idempotency
/// keys past their week.
pub fn spawn_housekeeping(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            let now = state.clock.now();
            if let Err(e) = auth::session::purge_expired(&state.db, now).await {
                tracing::warn!(error = %e, "session purge failed");
            }
            if let Err(e) = auth::throttle::purge(&state.db, now).await {
                tracing::warn!(error = %e, "login-attempt purge failed");
            }
            if let Err(e) = web::idempotency::purge(&state.db, now).await {
                tracing::warn!(error = %e, "idempotency-key purge failed");
            }
        }
    });
}
