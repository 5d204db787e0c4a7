//! In a real browser: Debian's Chromium, headless, driven through chromedriver (WebDriver). The
//! four flows of the people the app is for, each at the width of their screen; axe-core on every
//! main page in both languages; the weight of each page and the hosts it talks to; no horizontal
//! scrolling at phone width. On failure a test leaves a screenshot and the page source in
//! `target/browser-artifacts/<test>/` (or `$KEHOACH_BROWSER_ARTIFACTS`).
//!
//! Ignored by default: they need `chromium`, `chromium-driver` and axe-core
//! (`npm install axe-core` into `target/axe`, or `$KEHOACH_AXE_JS`); `.ci/run` installs all three.

use crate::helpers::{Backend, DEMO_PASSWORD, TestApp, spawn_app};
use futures_util::FutureExt;
use serde_json::{Value, json};
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use thirtyfour::prelude::*;

/// A phone (the field staff) and an office screen.
pub const PHONE: (u32, u32) = (390, 844);
pub const DESKTOP: (u32, u32) = (1280, 900);
/// Every page must transfer less than this, compressed (uploaded images aside).
const PAGE_BUDGET: u64 = 100 * 1024;

macro_rules! browser_tests {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            #[ignore = "needs chromium, chromium-driver and axe-core (.ci/run installs them)"]
            async fn sqlite() {
                super::run(stringify!($name), $crate::helpers::Backend::Sqlite, |app, b| Box::pin(super::$name(app, b))).await
            }

            #[tokio::test]
            #[ignore = "needs chromium, chromium-driver, axe-core and PostgreSQL (.ci/run)"]
            async fn postgres() {
                super::run(stringify!($name), $crate::helpers::Backend::Postgres, |app, b| Box::pin(super::$name(app, b))).await
            }
        }
    )*};
}

browser_tests!(
    a_commune_officer_logs_a_held_activity_with_a_photo_from_a_phone,
    a_planner_clones_last_years_campaign_and_sees_it_on_the_calendar,
    a_compiler_returns_a_commune_report_then_approves_it,
    a_leader_clicks_a_dashboard_figure_through_to_its_rows_and_downloads_the_docx,
    every_main_page_passes_axe_is_light_and_talks_only_to_the_app_in_both_languages,
    the_keyboard_alone_signs_in_the_focus_shows_and_errors_point_to_their_fields,
    a_commune_officer_logs_an_activity_without_signal_and_it_is_stored_once,
    what_the_server_refuses_from_the_queue_comes_back_to_the_officer,
    an_expired_session_keeps_the_queue_and_signing_out_asks_first,
    an_unplanned_activity_and_a_month_of_statistics_kept_offline_are_stored_once,
    a_phone_that_believes_it_is_online_without_data_loses_nothing,
    every_role_s_main_pages_fit_both_widths_and_the_dashboard_reads_at_a_glance,
    the_administration_pages_stay_light_with_the_whole_country,
    the_activity_list_is_a_sortable_table_on_a_desktop_and_cards_on_a_phone,
);

pub struct Browser {
    pub driver: WebDriver,
    chromedriver: Child,
    pub downloads: tempfile::TempDir,
    base: String,
}

type Flow = for<'a> fn(
    &'a TestApp,
    &'a Browser,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + 'a>>;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Browser {
    async fn start(app: &TestApp) -> Browser {
        let port = free_port();
        let chromedriver = Command::new(
            std::env::var("KEHOACH_CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into()),
        )
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver (Debian package chromium-driver) must be installed");
        let server = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if reqwest::get(format!("{server}/status")).await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let downloads = tempfile::tempdir().unwrap();
        let mut caps = DesiredCapabilities::chrome();
        for arg in [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--lang=vi",
        ] {
            caps.add_arg(arg).unwrap();
        }
        if let Ok(binary) = std::env::var("KEHOACH_CHROMIUM") {
            caps.set_binary(&binary).unwrap();
        }
        caps.add_experimental_option(
            "prefs",
            json!({
                "download.default_directory": downloads.path().to_str().unwrap(),
                "download.prompt_for_download": false,
            }),
        )
        .unwrap();
        let driver = WebDriver::new(&server, caps).await.unwrap();
        let b = Browser {
            driver,
            chromedriver,
            downloads,
            base: app.address.clone(),
        };
        b.resize(PHONE).await;
        b
    }

    pub async fn resize(&self, (w, h): (u32, u32)) {
        self.driver.set_window_rect(0, 0, w, h).await.unwrap();
    }

    pub async fn open(&self, path: &str) {
        self.driver
            .goto(format!("{}{path}", self.base))
            .await
            .unwrap();
    }

    pub async fn path(&self) -> String {
        let url = self.driver.current_url().await.unwrap();
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    pub async fn find(&self, css: &str) -> WebElement {
        self.driver
            .find(By::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        e.clear().await.unwrap();
        e.send_keys(text).await.unwrap();
    }

    /// Sets an input's value directly (date inputs read keystrokes in the browser's locale).
    pub async fn set_value(&self, css: &str, value: &str) {
        let e = self.find(css).await;
        self.driver
            .execute(
                "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
                vec![e.to_json().unwrap(), json!(value)],
            )
            .await
            .unwrap();
    }

    /// Chooses an option of a select by its value.
    pub async fn choose(&self, select: &str, value: &str) {
        self.find(&format!("{select} option[value='{value}']"))
            .await
            .click()
            .await
            .unwrap();
    }

    pub async fn click(&self, css: &str) {
        let e = self.find(css).await;
        e.scroll_into_view().await.unwrap();
        e.click().await.unwrap();
    }

    /// Clicks something that loads a new page (a link, a form's button) and waits for that page.
    pub async fn click_and_wait(&self, css: &str) {
        self.script("window.__kehoach_old_page = true; return null;")
            .await;
        self.click(css).await;
        for _ in 0..100 {
            let loaded = self
                .script("return window.__kehoach_old_page === undefined && document.readyState === 'complete';")
                .await;
            if loaded == json!(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no new page after clicking {css}");
    }

    pub async fn text(&self) -> String {
        self.find("body").await.text().await.unwrap()
    }

    /// Signs in through the login form.
    pub async fn login(&self, role: &str) {
        self.open("/login").await;
        self.fill("#f-email", &format!("{role}@kehoach.demo")).await;
        self.fill("#f-password", DEMO_PASSWORD).await;
        self.click_and_wait("form[action='/login'] button[type=submit]")
            .await;
        let home = if role == "leader" { "/dashboard" } else { "/" };
        assert_eq!(self.path().await, home, "signed in as {role}");
    }

    pub async fn logout(&self) {
        self.driver.delete_all_cookies().await.unwrap();
    }

    async fn script(&self, js: &str) -> Value {
        self.driver
            .execute(js, Vec::new())
            .await
            .unwrap()
            .json()
            .clone()
    }

    /// The page must fit the window's width: no horizontal scrolling.
    pub async fn assert_no_horizontal_scroll(&self) {
        let v = self
            .script("return [document.documentElement.scrollWidth, window.innerWidth];")
            .await;
        let (scroll, inner) = (v[0].as_u64().unwrap(), v[1].as_u64().unwrap());
        assert!(
            scroll <= inner,
            "{}: {scroll}px wide in a {inner}px window",
            self.path().await
        );
    }

    /// What the page cost: bytes over the wire (compressed) for the document and everything it
    /// loaded, and every address it asked for.
    pub async fn assert_light_and_local(&self) {
        let v = self
            .script(
                "return performance.getEntries()
                   .filter(e => e.entryType === 'navigation' || e.entryType === 'resource')
                   .map(e => [e.name, Math.max(e.transferSize || 0, e.encodedBodySize || 0)]);",
            )
            .await;
        let origin = self.base.clone();
        let mut total = 0;
        for entry in v.as_array().unwrap() {
            let url = entry[0].as_str().unwrap();
            assert!(
                url.starts_with(&origin) || url.starts_with("data:"),
                "{} asked another host: {url}",
                self.path().await
            );
            // Uploaded images are the user's, not the page's weight.
            if !url.contains("/evidence/") {
                total += entry[1].as_u64().unwrap_or(0);
            }
        }
        if std::env::var_os("KEHOACH_PAGE_WEIGHTS").is_some() {
            eprintln!("page weight {} {total}", self.path().await);
        }
        assert!(
            total < PAGE_BUDGET,
            "{} transferred {total} bytes",
            self.path().await
        );
    }

    /// axe-core on the page: no serious or critical violation.
    pub async fn assert_accessible(&self) {
        let has_axe = self.script("return typeof axe !== 'undefined';").await;
        if has_axe != json!(true) {
            let path = std::env::var("KEHOACH_AXE_JS").map_or_else(
                |_| {
                    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                        .join("target/axe/node_modules/axe-core/axe.min.js")
                },
                PathBuf::from,
            );
            let source = std::fs::read_to_string(&path).unwrap_or_else(|e| {
                panic!(
                    "axe-core not found at {} ({e}): npm install axe-core",
                    path.display()
                )
            });
            self.driver.execute(&source, Vec::new()).await.unwrap();
        }
        let found = self
            .driver
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] }).then(r => done(
                   r.violations
                     .filter(v => v.impact === 'serious' || v.impact === 'critical')
                     .map(v => ({ id: v.id, impact: v.impact, help: v.help,
                                  nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')) }))));",
                Vec::new(),
            )
            .await
            .unwrap()
            .json()
            .clone();
        assert_eq!(
            found,
            json!([]),
            "{}: accessibility violations",
            self.path().await
        );
    }

    /// Waits (up to 5 s) until `css` matches something: what a script adds after a request.
    pub async fn wait_until_suggested(&self, css: &str) {
        for _ in 0..50 {
            let n = self
                .script(&format!(
                    "return document.querySelectorAll({css:?}).length;"
                ))
                .await;
            if n.as_u64().unwrap_or(0) > 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("nothing matched {css} on {}", self.path().await);
    }

    /// Every check of a page a user sees.
    pub async fn check_page(&self) {
        self.assert_light_and_local().await;
        self.assert_accessible().await;
    }

    /// With `KEHOACH_SCREENSHOTS=DIR`, a full-height picture of the page, to look at.
    pub async fn keep_screenshot(&self, name: &str) {
        let Ok(dir) = std::env::var("KEHOACH_SCREENSHOTS") else {
            return;
        };
        let file: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let _ = std::fs::create_dir_all(&dir);
        let height = self
            .script("return document.documentElement.scrollHeight;")
            .await
            .as_u64()
            .unwrap_or(844)
            .min(4000) as u32;
        let rect = self.driver.get_window_rect().await.unwrap();
        self.resize((rect.width as u32, height)).await;
        let _ = self
            .driver
            .screenshot(&PathBuf::from(dir).join(format!("{file}.png")))
            .await;
        self.resize((rect.width as u32, rect.height as u32)).await;
    }

    /// A full-height picture of the page into `$KEHOACH_BROWSER_ARTIFACTS/screens/` (or
    /// `target/browser-artifacts/screens/`), kept by CI to be looked at.
    pub async fn save_screenshot(&self, name: &str) {
        let dir = std::env::var("KEHOACH_BROWSER_ARTIFACTS")
            .map_or_else(
                |_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/browser-artifacts"),
                PathBuf::from,
            )
            .join("screens");
        std::fs::create_dir_all(&dir).unwrap();
        let file: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let height = self
            .script("return document.documentElement.scrollHeight;")
            .await
            .as_u64()
            .unwrap_or(900)
            .min(8000) as u32;
        let rect = self.driver.get_window_rect().await.unwrap();
        self.resize((rect.width as u32, height)).await;
        self.driver
            .screenshot(&dir.join(format!("{file}.png")))
            .await
            .unwrap();
        self.resize((rect.width as u32, rect.height as u32)).await;
    }

    /// No element reaches past the window's right edge (but inside a box that scrolls sideways,
    /// like a wide table's), and the page does not scroll sideways.
    pub async fn assert_nothing_wider_than_the_window(&self) {
        self.assert_no_horizontal_scroll().await;
        let wide = self
            .script(
                "const w = document.documentElement.clientWidth;
                 const scrolls = e => { for (let p = e.parentElement; p; p = p.parentElement) {
                   const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll') return true; }
                   return false; };
                 return [...document.body.querySelectorAll('*')]
                   .filter(e => e.getClientRects().length && e.getBoundingClientRect().right > w + 1 && !scrolls(e))
                   .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));",
            )
            .await;
        assert_eq!(
            wide,
            json!([]),
            "{}: wider than the window",
            self.path().await
        );
    }

    async fn save_artifacts(&self, name: &str) {
        let dir = std::env::var("KEHOACH_BROWSER_ARTIFACTS").map_or_else(
            |_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/browser-artifacts"),
            PathBuf::from,
        );
        let dir = dir.join(name);
        let _ = std::fs::create_dir_all(&dir);
        let _ = self.driver.screenshot(&dir.join("screenshot.png")).await;
        if let Ok(source) = self.driver.source().await {
            let _ = std::fs::write(dir.join("page.html"), source);
        }
        if let Ok(url) = self.driver.current_url().await {
            let _ = std::fs::write(dir.join("url.txt"), url.as_str());
        }
        eprintln!("browser artifacts in {}", dir.display());
    }

    /// Waits for a downloaded file to be complete; returns its bytes.
    pub async fn downloaded(&self, suffix: &str) -> Vec<u8> {
        for _ in 0..100 {
            if let Ok(entries) = std::fs::read_dir(self.downloads.path()) {
                for e in entries.flatten() {
                    let name = e.file_name().to_string_lossy().into_owned();
                    if name.ends_with(suffix) {
                        return std::fs::read(e.path()).unwrap();
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no {suffix} file downloaded");
    }
}

/// Starts the app and the browser, runs the flow, and on failure keeps what the browser saw.
async fn run(name: &str, backend: Backend, flow: Flow) {
    let app = spawn_app(backend).await;
    let mut browser = Browser::start(&app).await;
    let outcome = AssertUnwindSafe(flow(&app, &browser)).catch_unwind().await;
    if outcome.is_err() {
        browser.save_artifacts(&format!("{name}-{backend:?}")).await;
    }
    let _ = browser.driver.clone().quit().await;
    let _ = browser.chromedriver.kill();
    let _ = browser.chromedriver.wait();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

async fn id(app: &TestApp, sql: &str) -> String {
    app.scalar(sql).await.to_string()
}

async fn a_commune_officer_logs_a_held_activity_with_a_photo_from_a_phone(
    app: &TestApp,
    b: &Browser,
) {
    b.login("commune").await;
    b.assert_no_horizontal_scroll().await;
    b.check_page().await;
    b.click_and_wait("a[href='/activities/new?held=1']").await;
    b.assert_no_horizontal_scroll().await;
    let talk = id(
        app,
        "SELECT id AS n FROM codes WHERE list = 'activity_type' AND code = 'talk'",
    )
    .await;
    let item = id(app, "SELECT i.id AS n FROM plan_items i JOIN plan_items p ON p.id = i.parent_id WHERE p.area_code = 'communication' AND i.position = 3").await;
    b.choose("#f-activity_type_id", &talk).await;
    b.choose("#f-plan_item_id", &item).await;
    b.fill("#f-title", "Nói chuyện chuyên đề tại thôn Phú Thứ")
        .await;
    b.set_value("#f-start_date", "2024-06-18").await;
    b.set_value("#f-held_on", "2024-06-18").await;
    b.fill("#f-actual_participants", "45").await;
    b.fill("#f-actual_women", "20").await;
    b.click_and_wait("form.activity-form button[type=submit], main form button[type=submit]")
        .await;
    let path = b.path().await;
    let activity: i64 = path
        .trim_start_matches("/activities/")
        .parse()
        .unwrap_or_else(|_| panic!("not on the activity page: {path}"));
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM activities WHERE id = {activity} AND status = 'held' AND participants = 45 AND participants_women = 20"
        ))
        .await,
        1
    );
    b.assert_no_horizontal_scroll().await;

    // The photo, from the phone's files.
    let photo = b.downloads.path().join("buoi-noi-chuyen.jpg");
    std::fs::write(&photo, crate::evidence::plain_jpeg(800, 600)).unwrap();
    b.find("#f-evidence-file")
        .await
        .send_keys(photo.to_str().unwrap())
        .await
        .unwrap();
    b.click("form.evidence-upload input[name=no_victim]").await;
    b.click_and_wait("form.evidence-upload button[type=submit]")
        .await;
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM evidence_files WHERE activity_id = {activity}"
        ))
        .await,
        1
    );
    assert!(b.text().await.contains("buoi-noi-chuyen.jpg"));
    b.assert_no_horizontal_scroll().await;
    b.check_page().await;
}

async fn a_planner_clones_last_years_campaign_and_sees_it_on_the_calendar(
    app: &TestApp,
    b: &Browser,
) {
    // Last year's campaign (2024) and this year's plan (2025, cloned from it), made over HTTP.
    let planner = app.another_browser();
    planner.login_as("planner").await;
    for (unit, date) in [
        ("PY-TH-HOAPHU", "2024-07-29"),
        ("PY-TH-HOATHINH", "2024-07-30"),
    ] {
        let mut f = crate::activities::fields(app, unit, "TH-VHTT", date).await;
        crate::activities::set(&mut f, "title", "Mít tinh hưởng ứng Ngày 30/7");
        crate::activities::create(&planner, &f).await;
    }
    let plan = id(
        app,
        "SELECT id AS n FROM plans WHERE code = 'PY-TH-2024-HTNN'",
    )
    .await;
    let r = planner
        .post_form(
            &format!("/plans/{plan}/clone"),
            &[("years", "1"), ("target_percent", "100")],
        )
        .await;
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER);
    let new_plan = id(app, "SELECT MAX(id) AS n FROM plans").await;

    b.resize(DESKTOP).await;
    b.login("planner").await;
    b.open("/activities/clone").await;
    b.set_value("#c-from", "2024-07-25").await;
    b.set_value("#c-to", "2024-07-31").await;
    b.fill("#c-q", "30/7").await;
    b.click_and_wait("form[method=get] button[type=submit]")
        .await;
    assert!(b.text().await.contains("2 hoạt động được chọn"));
    b.check_page().await;
    b.choose("#f-target_plan_id", &new_plan).await;
    b.click_and_wait("form[method=post][action='/activities/clone'] button[type=submit]")
        .await;
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM activities WHERE start_date >= '2025-07-29' AND start_date <= '2025-07-30' AND source_activity_id IS NOT NULL")
            .await,
        2
    );
    b.open("/activities/calendar?month=2025-07").await;
    let page = b.text().await;
    assert!(page.contains("Mít tinh hưởng ứng Ngày 30/7"), "{page}");
    b.check_page().await;
}

async fn a_compiler_returns_a_commune_report_then_approves_it(app: &TestApp, b: &Browser) {
    let compiler = app.another_browser();
    compiler.login_as("compiler").await;
    let period = crate::reports::open_period(&compiler).await;
    let report = crate::reports::report_of(app, period, "PY-TH-HOAPHONG").await;
    let commune = app.another_browser();
    commune.login_as("commune").await;
    let submit = |who: &TestApp| {
        let who = who.another_browser();
        async move {
            who.login_as("commune").await;
            let r = crate::reports::act(&who, report, &[("action", "submit")]).await;
            assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER);
        }
    };
    submit(&commune).await;

    b.resize(DESKTOP).await;
    b.login("compiler").await;
    b.open(&format!("/reports/{report}")).await;
    b.check_page().await;
    b.fill("#f-comment", "Đề nghị bổ sung số liệu tháng 6.")
        .await;
    b.click_and_wait("form input[name=action][value=return] ~ .actions button")
        .await;
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM reports WHERE id = {report} AND status = 'returned'"
        ))
        .await,
        1
    );
    assert!(b.text().await.contains("Đề nghị bổ sung số liệu tháng 6."));
    submit(&commune).await;
    b.open(&format!("/reports/{report}")).await;
    b.click_and_wait("form input[name=action][value=approve] ~ .actions button")
        .await;
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM reports WHERE id = {report} AND status = 'approved' AND snapshot IS NOT NULL"
        ))
        .await,
        1
    );
    b.check_page().await;
}

async fn a_leader_clicks_a_dashboard_figure_through_to_its_rows_and_downloads_the_docx(
    app: &TestApp,
    b: &Browser,
) {
    let commune = app.another_browser();
    commune.login_as("commune").await;
    crate::reports::held(
        &commune,
        "PY-TH-HOAPHONG",
        "TH-HOAPHONG-UBND",
        "2024-05-14",
        "120",
        "64",
    )
    .await;
    let compiler = app.another_browser();
    compiler.login_as("compiler").await;
    let period = crate::reports::open_period(&compiler).await;
    let compiled = app
        .scalar(&format!(
            "SELECT id AS n FROM reports WHERE period_id = {period} AND level = 'compiled'"
        ))
        .await;

    // On the leader's phone.
    b.login("leader").await;
    b.open("/dashboard").await;
    b.assert_no_horizontal_scroll().await;
    b.check_page().await;
    let link = b
        .find("main a[href^='/activities?'][href*='status=held']")
        .await;
    let figure = link.text().await.unwrap();
    let href = link.attr("href").await.unwrap().unwrap();
    b.click_and_wait(&format!("main a[href='{href}']")).await;
    assert!(b.path().await.starts_with("/activities?"));
    let rows = b.text().await;
    assert!(rows.contains("Nói chuyện chuyên đề"), "{rows}");
    assert!(!figure.trim().is_empty());

    b.open(&format!("/reports/{compiled}")).await;
    b.click(&format!("a[href='/reports/{compiled}/docx']"))
        .await;
    let docx = b.downloaded(".docx").await;
    assert_eq!(&docx[..2], b"PK", "a DOCX is a zip file");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(docx)).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("word/document.xml").unwrap(), &mut xml)
        .unwrap();
    assert!(xml.contains("BÁO CÁO"));
}

/// The main pages, for the role that uses each, at phone width, in Vietnamese and English.
async fn every_main_page_passes_axe_is_light_and_talks_only_to_the_app_in_both_languages(
    app: &TestApp,
    b: &Browser,
) {
    let compiler = app.another_browser();
    compiler.login_as("compiler").await;
    let period = crate::reports::open_period(&compiler).await;
    let report = crate::reports::report_of(app, period, "PY-TH-HOAPHONG").await;
    let commune = app.another_browser();
    commune.login_as("commune").await;
    let activity = crate::reports::held(
        &commune,
        "PY-TH-HOAPHONG",
        "TH-HOAPHONG-UBND",
        "2024-06-11",
        "30",
        "12",
    )
    .await;
    let planned = crate::reports::activity(
        &commune,
        "PY-TH-HOAPHONG",
        "TH-HOAPHONG-UBND",
        "2024-06-19",
        None,
    )
    .await;
    let plan = id(
        app,
        "SELECT id AS n FROM plans WHERE code = 'PY-TH-2024-HTNN'",
    )
    .await;
    let field_pages = [
        "/".to_owned(),
        "/activities/new".to_owned(),
        "/activities/new?held=1".to_owned(),
        format!("/activities/{activity}"),
        format!("/activities/{planned}/log"),
        "/stats/entry".to_owned(),
        "/activities/import".to_owned(),
        "/stats/import".to_owned(),
        "/stats".to_owned(),
        format!("/reports/{report}"),
    ];
    let pages: Vec<(&str, Vec<String>)> = vec![
        ("commune", field_pages.to_vec()),
        (
            "planner",
            vec![
                "/activities".into(),
                "/activities/calendar".into(),
                "/plans".into(),
                format!("/plans/{plan}"),
                "/tasks".into(),
                "/tasks/inbox".into(),
                "/tasks/new".into(),
                "/org-units".into(),
                "/account".into(),
                "/account/calendar".into(),
                "/account/api-tokens".into(),
            ],
        ),
        (
            "compiler",
            vec![
                "/reports".into(),
                "/reports/periods/new".into(),
                format!("/reports/periods/{period}"),
                "/stats".into(),
            ],
        ),
        ("leader", vec!["/dashboard".into()]),
        (
            "admin",
            vec![
                "/admin/users".into(),
                "/admin/codes".into(),
                "/admin/outbox".into(),
            ],
        ),
    ];
    for locale in ["vi", "en"] {
        b.logout().await;
        b.open("/login").await;
        if locale == "en" {
            // The switch in the footer keeps the page.
            b.click_and_wait("footer button[name=locale]").await;
            assert_eq!(b.path().await, "/login");
        }
        let lang = b.script("return document.documentElement.lang;").await;
        assert_eq!(lang, json!(locale));
        b.check_page().await;
        for (role, paths) in &pages {
            b.login(role).await;
            if locale == "en" {
                // Signing in brings the account's language back; the switch stores the new one.
                let home = b.path().await;
                b.click_and_wait("footer button[name=locale]").await;
                assert_eq!(b.path().await, home);
            }
            for path in paths {
                b.open(path).await;
                let lang = b.script("return document.documentElement.lang;").await;
                assert_eq!(lang, json!(locale), "{path}");
                if field_pages.contains(path) {
                    b.assert_no_horizontal_scroll().await;
                }
                b.check_page().await;
                b.keep_screenshot(&format!("{locale}-{role}{path}")).await;
            }
            b.logout().await;
            b.open("/login").await;
        }
    }
}

async fn the_keyboard_alone_signs_in_the_focus_shows_and_errors_point_to_their_fields(
    _app: &TestApp,
    b: &Browser,
) {
    let press = |keys: TypingData| async move {
        b.driver
            .action_chain()
            .send_keys(keys)
            .perform()
            .await
            .unwrap();
    };
    let focused = || async {
        b.script("const e = document.activeElement; return [e.id, e.className, getComputedStyle(e).outlineStyle];")
            .await
    };
    b.open("/login").await;
    // The first stop is the link that skips to the content; the focus is drawn.
    press(Key::Tab.into()).await;
    let first = focused().await;
    assert_eq!(first[1], json!("skip"), "{first}");
    let mut stops = 0;
    while focused().await[0] != json!("f-email") {
        press(Key::Tab.into()).await;
        stops += 1;
        assert!(stops < 5, "the email field is not reachable by Tab");
    }
    assert_ne!(focused().await[2], json!("none"), "focus must be visible");
    press("commune@kehoach.demo".into()).await;
    press(Key::Tab.into()).await;
    assert_eq!(focused().await[0], json!("f-password"));
    press(DEMO_PASSWORD.into()).await;
    b.script("window.__kehoach_old_page = true; return null;")
        .await;
    press(Key::Enter.into()).await;
    for _ in 0..100 {
        if b.script(
            "return window.__kehoach_old_page === undefined && document.readyState === 'complete';",
        )
        .await
            == json!(true)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(b.path().await, "/");

    // A form sent empty (the browser's own checks off, as an old browser would): every field in
    // error says so and points to its message.
    b.open("/activities/new").await;
    b.script("document.querySelector('main form').noValidate = true; return null;")
        .await;
    b.click_and_wait("main form button[type=submit]").await;
    let errors = b
        .script(
            "return [...document.querySelectorAll('[aria-invalid=true]')].map(e => {
               const d = document.getElementById(e.getAttribute('aria-describedby') || '');
               return [e.id, !!document.querySelector('label[for=\"' + e.id + '\"]'), d ? d.textContent.trim() : ''];
             });",
        )
        .await;
    let errors = errors.as_array().unwrap();
    assert!(errors.len() >= 2, "{errors:?}");
    for e in errors {
        assert_eq!(e[1], json!(true), "{e} has no label");
        assert_ne!(e[2], json!(""), "{e} points to no message");
    }
    b.assert_accessible().await;
}

/// The phone's signal: a door between the browser and the app that the test can shut. DevTools'
/// network emulation reaches the page only, not its service worker (which would then send the
/// queue by Background Sync while the page believes it is offline), so the connection itself is
/// cut too: new ones are refused and open ones closed.
struct Signal {
    origin: String,
    off: std::sync::Arc<std::sync::atomic::AtomicBool>,
    cut: tokio::sync::watch::Sender<u64>,
}

impl Signal {
    async fn to(app: &TestApp) -> Signal {
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let target = app.address.trim_start_matches("http://").to_owned();
        let off = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (cut, _) = tokio::sync::watch::channel(0u64);
        let (door, cuts) = (off.clone(), cut.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if door.load(Ordering::SeqCst) {
                    continue;
                }
                let (target, mut cut) = (target.clone(), cuts.subscribe());
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Signal { origin, off, cut }
    }

    /// No data gets through (or it does again), while the phone may still believe it is online.
    fn set_data(&self, through: bool) {
        self.off
            .store(!through, std::sync::atomic::Ordering::SeqCst);
        if !through {
            self.cut.send_modify(|n| *n += 1);
        }
    }

    /// No signal (or signal again), for the page and its service worker alike.
    async fn set_offline(&self, b: &Browser, offline: bool) {
        self.set_data(!offline);
        b.driver
            .cdp()
            .send_raw(
                "Network.emulateNetworkConditions",
                json!({ "offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1 }),
            )
            .await
            .unwrap();
    }

    async fn open(&self, b: &Browser, path: &str) {
        b.driver
            .goto(format!("{}{path}", self.origin))
            .await
            .unwrap();
    }
}

impl Browser {
    /// Clicks an element of a part the page may redraw at any moment (the queue on the home
    /// page): found again if it was replaced between finding and clicking.
    pub async fn click_redrawn(&self, css: &str) {
        for _ in 0..50 {
            if let Ok(e) = self.driver.find(By::Css(css)).await
                && e.click().await.is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("could not click {css}");
    }

    /// Waits until a script returns true.
    pub async fn wait_until(&self, what: &str, js: &str) {
        for _ in 0..200 {
            if self.script(js).await == json!(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("waited in vain for {what}");
    }

    /// A script's promise, awaited.
    async fn script_async(&self, js: &str) -> Value {
        self.driver
            .execute_async(js, Vec::new())
            .await
            .unwrap()
            .json()
            .clone()
    }
}

async fn a_commune_officer_logs_an_activity_without_signal_and_it_is_stored_once(
    app: &TestApp,
    b: &Browser,
) {
    // A talk planned for 18/06/2024 in Hòa Phong, not yet logged (the clock is 20/06/2024).
    let officer = app.another_browser();
    officer.login_as("commune").await;
    let f =
        crate::activities::fields(app, "PY-TH-HOAPHONG", "TH-HOAPHONG-UBND", "2024-06-18").await;
    let activity = crate::activities::create(&officer, &f).await;
    let held = format!(
        "SELECT COUNT(*) FROM activities WHERE id = {activity} AND status = 'held' \
         AND participants = 64 AND participants_women = 30 AND participants_children = 12"
    );

    // With signal: the home page installs the service worker, which keeps the officer's pages.
    // The browser reaches the app through the phone's signal.
    let signal = Signal::to(app).await;
    signal.open(b, "/login").await;
    b.fill("#f-email", "commune@kehoach.demo").await;
    b.fill("#f-password", DEMO_PASSWORD).await;
    b.click_and_wait("form[action='/login'] button[type=submit]")
        .await;
    assert_eq!(b.path().await, "/");
    b.wait_until(
        "the pages kept on the phone",
        "return document.documentElement.getAttribute('data-offline-ready') === '1' \
         && !!navigator.serviceWorker.controller;",
    )
    .await;
    let manifest = b
        .script("return document.querySelector('link[rel=manifest]').href;")
        .await;
    assert!(
        manifest
            .as_str()
            .unwrap()
            .contains("/static/manifest.webmanifest")
    );

    // No signal: the log form opens from the phone and the entry waits there.
    signal.set_offline(b, true).await;
    b.wait_until(
        "the page to know it is offline",
        "return navigator.onLine === false;",
    )
    .await;
    signal.open(b, &format!("/activities/{activity}/log")).await;
    let page = b.text().await;
    assert!(
        page.contains("cập nhật lúc"),
        "the kept copy says when it was updated: {page}"
    );
    b.assert_no_horizontal_scroll().await;
    let page = b.text().await;
    assert!(page.contains("Ghi nhận kết quả"), "{page}");
    b.fill("#f-actual_participants", "64").await;
    b.fill("#f-actual_women", "30").await;
    b.fill("#f-actual_children", "12").await;
    b.click_and_wait("form.log-form button[type=submit]").await;
    assert_eq!(b.path().await, "/");
    b.wait_until(
        "the waiting entry on the home page",
        "return !!document.querySelector('#offline-queue [data-queue=waiting]');",
    )
    .await;
    let home = b.text().await;
    assert!(home.contains("Chờ gửi"), "{home}");
    assert!(
        home.contains("64") && home.contains("30"),
        "its figures are shown: {home}"
    );
    assert!(home.contains("Gửi ngay"));
    b.assert_no_horizontal_scroll().await;
    assert_eq!(app.scalar(&held).await, 0, "nothing reached the server");

    // Reloaded without signal: still waiting, nothing lost, the home page from the phone.
    b.driver.refresh().await.unwrap();
    assert!(b.text().await.contains("cập nhật lúc"));
    b.wait_until(
        "the waiting entry after a reload",
        "return !!document.querySelector('#offline-queue [data-queue=waiting]');",
    )
    .await;
    let entry = b
        .script_async(
            "const done = arguments[arguments.length - 1];
             KehoachOffline.queue.all().then(all => done(all));",
        )
        .await;
    assert_eq!(entry.as_array().unwrap().len(), 1, "{entry}");
    assert_eq!(app.scalar(&held).await, 0);

    // Signal again: the queue is sent by itself, and stored exactly once.
    signal.set_offline(b, false).await;
    for _ in 0..200 {
        if app.scalar(&held).await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        app.scalar(&held).await,
        1,
        "the held activity with its figures"
    );
    b.wait_until(
        "the queue to empty",
        "return document.getElementById('offline-queue').hidden === true;",
    )
    .await;
    let logs = format!(
        "SELECT COUNT(*) FROM audit_events WHERE action = 'activity:log' AND object_id = {activity}"
    );
    assert_eq!(app.scalar(&logs).await, 1);

    // The same entry sent again (an answer lost on the way): the server stores nothing more.
    let again = b
        .script_async(&format!(
            "const done = arguments[arguments.length - 1];
             const e = {};
             KehoachOffline.queue.put(e).then(() => KehoachOffline.flush()).then(r => done(r));",
            entry[0]
        ))
        .await;
    assert_eq!(again["sent"], 1, "{again}");
    assert_eq!(app.scalar(&logs).await, 1);
    assert_eq!(app.scalar(&held).await, 1);
    assert_eq!(app.count("idempotency_keys").await, 1);
}

/// Signs in as the commune officer through the signal, and waits for the pages to be kept.
async fn sign_in_through(signal: &Signal, b: &Browser) {
    signal.open(b, "/login").await;
    b.fill("#f-email", "commune@kehoach.demo").await;
    b.fill("#f-password", DEMO_PASSWORD).await;
    b.click_and_wait("form[action='/login'] button[type=submit]")
        .await;
    assert_eq!(b.path().await, "/");
    b.wait_until(
        "the pages kept on the phone",
        "return document.documentElement.getAttribute('data-offline-ready') === '1' \
         && !!navigator.serviceWorker.controller;",
    )
    .await;
}

/// Logs figures offline on the kept log form of an activity; the entry waits on the home page.
async fn log_offline(signal: &Signal, b: &Browser, activity: i64, participants: &str, women: &str) {
    signal.open(b, &format!("/activities/{activity}/log")).await;
    b.fill("#f-actual_participants", participants).await;
    b.fill("#f-actual_women", women).await;
    b.click_and_wait("form.log-form button[type=submit]").await;
    b.wait_until(
        "the waiting entry",
        "return !!document.querySelector('#offline-queue [data-queue=waiting]');",
    )
    .await;
}

async fn what_the_server_refuses_from_the_queue_comes_back_to_the_officer(
    app: &TestApp,
    b: &Browser,
) {
    let officer = app.another_browser();
    officer.login_as("commune").await;
    let mut ids = Vec::new();
    for date in ["2024-06-17", "2024-06-18"] {
        let f = crate::activities::fields(app, "PY-TH-HOAPHONG", "TH-HOAPHONG-UBND", date).await;
        ids.push(crate::activities::create(&officer, &f).await);
    }
    let (ruled, changed) = (ids[0], ids[1]);
    let signal = Signal::to(app).await;
    sign_in_through(&signal, b).await;

    // Offline: a log that breaks a rule (more women than participants), a log of an activity
    // a colleague changes meanwhile, and a photo of the first one.
    signal.set_offline(b, true).await;
    log_offline(&signal, b, ruled, "20", "25").await;
    log_offline(&signal, b, changed, "70", "40").await;
    signal.open(b, &format!("/activities/{ruled}")).await;
    let photo = b.downloads.path().join("buoi-noi-chuyen.jpg");
    std::fs::write(&photo, crate::evidence::plain_jpeg(3000, 2000)).unwrap();
    let original = std::fs::metadata(&photo).unwrap().len();
    b.find("#f-evidence-file")
        .await
        .send_keys(photo.to_str().unwrap())
        .await
        .unwrap();
    b.click("form.evidence-upload input[name=no_victim]").await;
    b.click_and_wait("form.evidence-upload button[type=submit]")
        .await;
    b.wait_until(
        "three waiting entries",
        "return document.querySelectorAll('#offline-queue [data-queue=waiting]').length === 3;",
    )
    .await;
    assert!(
        b.text().await.contains("buoi-noi-chuyen.jpg"),
        "the photo waits too"
    );

    let mut f =
        crate::activities::fields(app, "PY-TH-HOAPHONG", "TH-HOAPHONG-UBND", "2024-06-18").await;
    let v = app
        .scalar(&format!(
            "SELECT version AS n FROM activities WHERE id = {changed}"
        ))
        .await
        .to_string();
    crate::activities::set(&mut f, "version", &v);
    crate::activities::set(&mut f, "place", "Hội trường thôn Phú Sen");
    let r = officer
        .post_form(
            &format!("/activities/{changed}"),
            &crate::activities::pairs(&f),
        )
        .await;
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER);

    // Signal again: the photo goes; the other two come back, nothing of them stored.
    signal.set_offline(b, false).await;
    b.wait_until(
        "the refused and the conflicting entries",
        "return !!document.querySelector('#offline-queue [data-queue=refused]') \
         && !!document.querySelector('#offline-queue [data-queue=conflict]') \
         && !document.querySelector('#offline-queue [data-queue=waiting]');",
    )
    .await;
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM evidence_files WHERE activity_id = {ruled} AND kind = 'photo' \
             AND no_victim_confirmed AND size < {original}"
        ))
        .await,
        1,
        "the photo, reduced on the phone"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM activities WHERE status = 'held'")
            .await,
        0
    );
    let home = b.text().await;
    assert!(home.contains("Cần sửa trước khi gửi"), "{home}");
    assert!(home.contains("cần chọn phiên bản"), "{home}");

    // The rule error: the form again, with the values typed and the message.
    b.click_redrawn("#offline-queue [data-queue=refused] button:not(.linkish)")
        .await;
    b.wait_until(
        "the form with its message",
        "return !!document.querySelector('main form.log-form [aria-invalid=true]');",
    )
    .await;
    let women = b.find("#f-actual_women").await.value().await.unwrap();
    assert_eq!(women.as_deref(), Some("25"), "the value typed is kept");
    b.fill("#f-actual_women", "12").await;
    b.click_and_wait("form.log-form button[type=submit]").await;
    for _ in 0..200 {
        if app
            .scalar(&format!(
                "SELECT COUNT(*) FROM activities WHERE id = {ruled} AND status = 'held'"
            ))
            .await
            == 1
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM activities WHERE id = {ruled} AND status = 'held' \
             AND participants = 20 AND participants_women = 12"
        ))
        .await,
        1
    );

    // The conflict: both versions side by side; the officer applies theirs on top.
    b.wait_until(
        "the conflicting entry alone",
        "return !!document.querySelector('#offline-queue [data-queue=conflict]') \
         && !document.querySelector('#offline-queue [data-queue=refused]');",
    )
    .await;
    b.click_redrawn("#offline-queue [data-queue=conflict] button:not(.linkish)")
        .await;
    b.wait_until(
        "both versions",
        "return !!document.querySelector('main table');",
    )
    .await;
    let page = b.text().await;
    assert!(
        page.contains("Giá trị hiện tại") && page.contains("Giá trị bạn nhập"),
        "{page}"
    );
    assert!(
        page.contains("Hoạt động đã được người khác cập nhật") && page.contains("70"),
        "what they saved against what was typed: {page}"
    );
    b.click_and_wait("main form button[type=submit]").await;
    for _ in 0..200 {
        if app
            .scalar(&format!(
                "SELECT COUNT(*) FROM activities WHERE id = {changed} AND status = 'held'"
            ))
            .await
            == 1
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM activities WHERE id = {changed} AND status = 'held' AND participants = 70"
        ))
        .await,
        1
    );
    b.wait_until(
        "an empty queue",
        "return document.getElementById('offline-queue').hidden === true;",
    )
    .await;
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'activity:log'")
            .await,
        2
    );
}

async fn an_expired_session_keeps_the_queue_and_signing_out_asks_first(app: &TestApp, b: &Browser) {
    let officer = app.another_browser();
    officer.login_as("commune").await;
    let mut ids = Vec::new();
    for date in ["2024-06-17", "2024-06-18"] {
        let f = crate::activities::fields(app, "PY-TH-HOAPHONG", "TH-HOAPHONG-UBND", date).await;
        ids.push(crate::activities::create(&officer, &f).await);
    }
    let signal = Signal::to(app).await;
    sign_in_through(&signal, b).await;
    signal.set_offline(b, true).await;
    log_offline(&signal, b, ids[0], "33", "15").await;

    // Signing out with an entry not sent asks first; saying no keeps everything.
    b.click("form[action='/logout'] button[type=submit]").await;
    for _ in 0..100 {
        if b.driver.get_alert_text().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let question = b.driver.get_alert_text().await.unwrap();
    assert!(question.contains("Còn 1 mục chưa gửi được"), "{question}");
    b.driver.dismiss_alert().await.unwrap();
    assert_eq!(b.path().await, "/");
    assert!(b.text().await.contains("Chờ gửi"));

    // The session expires while the phone is away: the queue stays and the officer is asked
    // to sign in; nothing is sent under nobody's name.
    b.driver.delete_all_cookies().await.unwrap();
    signal.set_offline(b, false).await;
    b.wait_until(
        "the request to sign in again",
        "return document.body.innerText.indexOf('Phiên đăng nhập đã hết hạn') >= 0;",
    )
    .await;
    assert!(b.text().await.contains("Chờ gửi"));
    let held = format!(
        "SELECT COUNT(*) FROM activities WHERE id = {} AND status = 'held' AND participants = 33",
        ids[0]
    );
    assert_eq!(app.scalar(&held).await, 0);

    // Signed in again: the entry goes, once.
    b.click_and_wait("#offline-queue a[href^='/login']").await;
    b.fill("#f-email", "commune@kehoach.demo").await;
    b.fill("#f-password", DEMO_PASSWORD).await;
    b.click_and_wait("form[action='/login'] button[type=submit]")
        .await;
    for _ in 0..200 {
        if app.scalar(&held).await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.scalar(&held).await, 1);
    b.wait_until(
        "an empty queue",
        "return document.getElementById('offline-queue').hidden === true;",
    )
    .await;
}

async fn an_unplanned_activity_and_a_month_of_statistics_kept_offline_are_stored_once(
    app: &TestApp,
    b: &Browser,
) {
    let signal = Signal::to(app).await;
    sign_in_through(&signal, b).await;
    signal.set_offline(b, true).await;

    // The form for an unplanned activity, with its code lists, from the phone.
    signal.open(b, "/activities/new?held=1").await;
    assert!(b.text().await.contains("cập nhật lúc"));
    let talk = id(
        app,
        "SELECT id AS n FROM codes WHERE list = 'activity_type' AND code = 'talk'",
    )
    .await;
    let item = id(app, "SELECT i.id AS n FROM plan_items i JOIN plan_items p ON p.id = i.parent_id WHERE p.area_code = 'communication' AND i.position = 3").await;
    b.choose("#f-activity_type_id", &talk).await;
    b.choose("#f-plan_item_id", &item).await;
    b.fill("#f-title", "Nói chuyện tại làng Buôn Đức").await;
    b.set_value("#f-start_date", "2024-06-19").await;
    b.set_value("#f-held_on", "2024-06-19").await;
    b.fill("#f-actual_participants", "52").await;
    b.fill("#f-actual_women", "27").await;
    b.click_and_wait("main form button[type=submit]").await;
    b.wait_until(
        "the activity waiting",
        "return document.querySelectorAll('#offline-queue [data-queue=waiting]').length === 1;",
    )
    .await;

    // The month's statistics, from the phone.
    signal.open(b, "/stats/entry").await;
    assert!(b.text().await.contains("cập nhật lúc"));
    b.fill("#f-hotline_received", "7").await;
    b.click_and_wait("form.entry .actions:last-child button[type=submit]:not([name])")
        .await;
    b.wait_until(
        "both waiting",
        "return document.querySelectorAll('#offline-queue [data-queue=waiting]').length === 2;",
    )
    .await;
    let home = b.text().await;
    assert!(
        home.contains("Nói chuyện tại làng Buôn Đức") && home.contains("52"),
        "{home}"
    );
    let before = app.count("activities").await;
    let stored = "SELECT COUNT(*) FROM activities WHERE title = 'Nói chuyện tại làng Buôn Đức' \
                  AND status = 'held' AND participants = 52 AND participants_women = 27";
    let month = "SELECT COUNT(*) FROM support_stat_months WHERE hotline_received = 7";
    assert_eq!(app.scalar(stored).await, 0);

    // Signal again; "Gửi ngay" tapped as well, on top of the automatic sending.
    signal.set_offline(b, false).await;
    b.script("const s = document.getElementById('offline-send'); if (s) s.click(); return null;")
        .await;
    for _ in 0..200 {
        if app.scalar(stored).await == 1 && app.scalar(month).await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    b.wait_until(
        "an empty queue",
        "return document.getElementById('offline-queue').hidden === true;",
    )
    .await;
    assert_eq!(app.scalar(stored).await, 1, "one activity");
    assert_eq!(app.count("activities").await, before + 1);
    assert_eq!(app.scalar(month).await, 1);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'support_stats:save'")
            .await,
        1
    );
}

async fn a_phone_that_believes_it_is_online_without_data_loses_nothing(app: &TestApp, b: &Browser) {
    let officer = app.another_browser();
    officer.login_as("commune").await;
    let mut ids = Vec::new();
    for date in ["2024-06-17", "2024-06-18"] {
        let f = crate::activities::fields(app, "PY-TH-HOAPHONG", "TH-HOAPHONG-UBND", date).await;
        ids.push(crate::activities::create(&officer, &f).await);
    }
    let signal = Signal::to(app).await;
    sign_in_through(&signal, b).await;
    let queued = "const done = arguments[arguments.length - 1];
                  KehoachOffline.queue.all().then(all => done(all.length));";

    // With data: the log goes the usual way; the copy noted before sending is checked on the
    // next page (answered from the stored answer) and leaves the queue. One log.
    signal.open(b, &format!("/activities/{}/log", ids[0])).await;
    b.fill("#f-actual_participants", "40").await;
    b.click_and_wait("form.log-form button[type=submit]").await;
    assert!(
        b.path()
            .await
            .starts_with(&format!("/activities/{}", ids[0]))
    );
    for _ in 0..100 {
        if b.script_async(queued).await == json!(0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(b.script_async(queued).await, json!(0));
    let logs = "SELECT COUNT(*) FROM audit_events WHERE action = 'activity:log'";
    assert_eq!(app.scalar(logs).await, 1);

    // "Lie-fi": the phone shows a signal but no data gets through. The form is sent the usual
    // way and fails; the copy noted before sending waits on the phone.
    signal.open(b, &format!("/activities/{}/log", ids[1])).await;
    signal.set_data(false);
    b.fill("#f-actual_participants", "55").await;
    b.fill("#f-actual_women", "21").await;
    b.click("form.log-form button[type=submit]").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    signal.open(b, "/").await;
    b.wait_until(
        "the copy waiting on the home page",
        "return !!document.querySelector('#offline-queue [data-queue=unconfirmed]');",
    )
    .await;
    assert!(b.text().await.contains("55"));
    let held = format!(
        "SELECT COUNT(*) FROM activities WHERE id = {} AND status = 'held' AND participants = 55",
        ids[1]
    );
    assert_eq!(app.scalar(&held).await, 0);

    // Data again: "Gửi ngay" sends it, once.
    signal.set_data(true);
    b.click_redrawn("#offline-send").await;
    for _ in 0..200 {
        if app.scalar(&held).await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.scalar(&held).await, 1);
    b.wait_until(
        "an empty queue",
        "return document.getElementById('offline-queue').hidden === true;",
    )
    .await;
    assert_eq!(app.scalar(logs).await, 2);
}

/// Each role's main pages (its menu's first links) at an office screen and a phone.
const MAIN_PAGES: &[(&str, &[&str])] = &[
    ("commune", &["/", "/activities", "/tasks/inbox", "/reports"]),
    ("planner", &["/", "/activities", "/plans", "/tasks/inbox"]),
    ("compiler", &["/", "/reports", "/stats", "/dashboard"]),
    ("partner", &["/", "/tasks/inbox", "/activities", "/reports"]),
    (
        "leader",
        &["/dashboard", "/reports", "/plans", "/tasks/inbox"],
    ),
    ("admin", &["/", "/admin/users", "/org-units"]),
];

async fn every_role_s_main_pages_fit_both_widths_and_the_dashboard_reads_at_a_glance(
    app: &TestApp,
    b: &Browser,
) {
    let compiler = app.another_browser();
    compiler.login_as("compiler").await;
    crate::reports::open_period(&compiler).await;
    for (width, name) in [(1366, "desktop"), (390, "phone")] {
        b.resize((width, 900)).await;
        for (role, pages) in MAIN_PAGES {
            b.login(role).await;
            for page in *pages {
                b.open(page).await;
                b.assert_nothing_wider_than_the_window().await;
                b.save_screenshot(&format!("{role}{page}-{width}")).await;
            }
            b.logout().await;
        }
        eprintln!(
            "{name}: {} pages",
            MAIN_PAGES.iter().map(|(_, p)| p.len()).sum::<usize>()
        );
    }
    // The leader's dashboard at an office screen: figures as tiles side by side, coloured
    // bars, "Cần chú ý" above the first chart.
    b.resize((1366, 900)).await;
    b.login("leader").await;
    let facts = b
        .script(
            "const tiles = [...document.querySelector('.kpis').children].map(e => e.getBoundingClientRect());
             const chart = document.querySelector('svg.chart').getBoundingClientRect();
             const band = document.querySelector('#attention').getBoundingClientRect();
             const fill = c => getComputedStyle(document.querySelector('svg.chart rect.' + c)).fill;
             return { tiles: tiles.length, same_row: tiles[0].top === tiles[1].top && tiles[1].left >= tiles[0].right,
                      band_first: band.bottom <= chart.top, a: fill('bar-a'), b: fill('bar-b'),
                      legend: getComputedStyle(document.querySelector('.legend .key-b')).backgroundColor };",
        )
        .await;
    assert!(facts["tiles"].as_u64().unwrap() >= 4, "{facts}");
    assert_eq!(
        facts["same_row"],
        json!(true),
        "tiles side by side: {facts}"
    );
    assert_eq!(
        facts["band_first"],
        json!(true),
        "band above the chart: {facts}"
    );
    for key in ["a", "b", "legend"] {
        let colour = facts[key].as_str().unwrap();
        assert!(
            colour.starts_with("rgb") && colour != "rgb(0, 0, 0)" && colour != "rgba(0, 0, 0, 0)",
            "{key} coloured: {facts}"
        );
    }
    assert_ne!(facts["a"], facts["b"], "two colours: {facts}");
}

/// Issue 27: with the national data of `gen-data` (34 provinces, 3,334 units and agencies),
/// the administrator's lists of units, agencies and tasks and the merge form stay under the
/// page budget at phone width (fifty rows a page, pickers as search boxes), pass axe, and a
/// picker's search box offers suggestions as one types.
async fn the_administration_pages_stay_light_with_the_whole_country(app: &TestApp, b: &Browser) {
    let r = kehoach::gen_data::generate(
        &app.db,
        &kehoach::gen_data::Options {
            activities: 4_000,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(r.units > 3_300 && r.agencies > 3_300);
    b.resize(PHONE).await;
    b.login("admin").await;
    for path in [
        "/admin/agencies",
        "/admin/agencies?q=mau+001&status=active",
        "/admin/org-units",
        "/admin/org-units?q=hoa",
        "/admin/org-units/merge",
        "/admin/org-units/merge?q=mau+000",
        "/org-units",
        "/org-units?kind=province",
        "/tasks",
        "/tasks?q=phoi+hop",
    ] {
        b.open(path).await;
        let rows = b
            .script("return document.querySelectorAll('tbody tr, .board li').length;")
            .await;
        assert!(rows.as_u64().unwrap() <= 100, "{path}: {rows} rows");
        b.check_page().await;
        b.keep_screenshot(&format!("national{path}")).await;
    }
    // The unit picker of the agency form: suggestions from the server as one types.
    b.open("/admin/agencies").await;
    b.fill("#f-org_unit_id", "mau 0012").await;
    b.wait_until_suggested("#dl-org_unit_id option").await;
    let first = b
        .script("return document.querySelector('#dl-org_unit_id option').value;")
        .await;
    assert!(
        first.as_str().unwrap().starts_with("Xã Mẫu 0012"),
        "{first}"
    );
}

/// Issue 23: the activity list is a table whose headings sort the rows at 1366 px, and the
/// cards at 390 px; neither scrolls sideways. The log confirmation is in view at the top.
async fn the_activity_list_is_a_sortable_table_on_a_desktop_and_cards_on_a_phone(
    app: &TestApp,
    b: &Browser,
) {
    app.login_as("commune").await;
    for (date, title) in [
        ("2024-07-02", "Nói chuyện tại thôn Mỹ Thạnh"),
        ("2024-07-09", "Cấp phát tờ rơi tại chợ Phong Niên"),
        ("2024-07-16", "Phát thanh trên loa xã Hòa Phong"),
    ] {
        let mut f =
            crate::activities::fields(app, "PY-TH-HOAPHONG", "TH-HOAPHONG-UBND", date).await;
        crate::activities::set(&mut f, "title", title);
        crate::activities::create(app, &f).await;
    }
    b.login("commune").await;
    b.resize((1366, 900)).await;
    b.open("/activities").await;
    b.assert_no_horizontal_scroll().await;
    let shown = b
        .script(
            "return [getComputedStyle(document.querySelector('.act-table-wrap')).display, \
             getComputedStyle(document.querySelector('.act-list')).display];",
        )
        .await;
    assert_eq!(
        shown,
        serde_json::json!(["block", "none"]),
        "the table on a desktop"
    );
    let titles = "return Array.from(document.querySelectorAll('.act-table tbody tr td:nth-child(2) a')).map(a => a.textContent.trim());";
    let before: Vec<String> = serde_json::from_value(b.script(titles).await).unwrap();
    assert!(before.len() > 1, "{before:?}");
    b.click(".act-table th:nth-child(2) button.sort").await;
    let sorted: Vec<String> = serde_json::from_value(b.script(titles).await).unwrap();
    assert_eq!(sorted.len(), before.len());
    assert_ne!(sorted, before, "the newest-first order changed");
    assert_eq!(
        b.script(
            "return document.querySelector('.act-table th:nth-child(2)').getAttribute('aria-sort');"
        )
        .await,
        "ascending"
    );
    assert!(
        sorted
            .windows(2)
            .all(|w| kehoach::text::fold(&w[0]) <= kehoach::text::fold(&w[1])),
        "sorted by title: {sorted:?}"
    );
    b.keep_screenshot("activities-table-1366").await;
    b.resize(PHONE).await;
    b.open("/activities").await;
    b.assert_no_horizontal_scroll().await;
    let shown = b
        .script(
            "return [getComputedStyle(document.querySelector('.act-table-wrap')).display, \
             getComputedStyle(document.querySelector('.act-list')).display];",
        )
        .await;
    assert_eq!(shown[0], "none", "no table on a phone");
    assert_ne!(shown[1], "none", "the cards on a phone");
    b.keep_screenshot("activities-cards-390").await;
}
