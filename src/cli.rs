//! The command line: `kehoach serve | migrate | seed | user | backup | restore | gen-data | bench | units`. Every flag also reads an
//! environment variable (shown by `--help`), so a service file can configure it either way.

use crate::auth::permissions::Role;
use crate::auth::users::{self, NewUser};
use crate::config::{Config, LogFormat, Secret};
use crate::entities::{agency, user};
use crate::state::Clock;
use crate::web::i18n::Locale;
use crate::{db, seed, startup, telemetry};
use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use migration::{Migrator, MigratorTrait};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "kehoach",
    version,
    about = "Plan, track and report the work of a local anti-trafficking plan"
)]
struct Cli {
    /// Database URL: sqlite://FILE?mode=rwc (embedded default) or postgres://USER@HOST/DB
    #[arg(
        long,
        env = "KEHOACH_DATABASE_URL",
        default_value = "sqlite://kehoach.db?mode=rwc",
        hide_env_values = true,
        global = true
    )]
    database_url: String,
    /// Log format
    #[arg(
        long,
        env = "KEHOACH_LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate, seed reference data into an empty database, and serve the web app
    Serve(ServeArgs),
    /// Send the queued email and generate reminders, without serving pages (beside `serve`
    /// processes that share the database)
    Worker(ServeArgs),
    /// Apply, roll back or list database migrations
    Migrate {
        #[arg(value_enum, default_value = "up")]
        action: MigrateAction,
    },
    /// Load the national reference data (code lists); idempotent. `--demo` adds the demo's
    /// place (Tây Hòa 2024, then the 2025 reform), its users and data
    Seed {
        /// Also load the demo (password `kehoach-demo`)
        #[arg(long)]
        demo: bool,
        /// Seed the demo as if today were this day (YYYY-MM-DD): before 1 July 2025 it is the
        /// 2024 district alone
        #[arg(long, value_name = "DATE")]
        today: Option<String>,
    },
    /// Set up an empty database for scripts: the deployment's root unit and first
    /// administrator (what the one-time setup page of `serve` asks); refused once any account
    /// exists
    Setup(SetupArgs),
    /// Manage user accounts
    #[command(subcommand)]
    User(UserCommand),
    /// Copy the database into one file (SQLite: online, consistent; PostgreSQL: pg_dump), or
    /// check a backup file with --check
    Backup {
        /// The new backup file (never overwritten)
        #[arg(
            long,
            value_name = "FILE",
            required_unless_present = "check",
            conflicts_with = "check"
        )]
        out: Option<PathBuf>,
        /// Check a backup file instead (SQLite copy or pg_dump archive): exit 0 if sound
        #[arg(long, value_name = "FILE")]
        check: Option<PathBuf>,
    },
    /// Replace the SQLite database with a checked backup; stop the server first
    Restore {
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// Replace an existing database (it is first copied beside itself)
        #[arg(long)]
        force: bool,
    },
    /// Reports: export one for the records clerk
    #[command(subcommand)]
    Report(ReportCommand),
    /// Write a deterministic synthetic dataset (provinces, communes, plans, activities, tasks)
    /// into a migrated, seeded database, for benchmarks
    GenData {
        /// Activities over five years (2021–2025)
        #[arg(long, default_value_t = 1_000_000)]
        activities: usize,
        /// Communes, shared out among the provinces
        #[arg(long, default_value_t = 3_300)]
        units: usize,
        #[arg(long, default_value_t = 34)]
        provinces: usize,
        /// The same seed gives the same rows
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Time the dashboard, the activity list and the calendar through the app and as raw SQL (or,
    /// with `--import`, importing a file of activities)
    Bench {
        #[arg(long, default_value_t = 20)]
        runs: usize,
        /// leader (a province's leader) or admin (the whole country)
        #[arg(long, default_value = "leader")]
        role: String,
        /// First day of the period (yyyy-mm-dd)
        #[arg(long, default_value = "2025-01-01")]
        from: String,
        #[arg(long, default_value = "2025-12-31")]
        to: String,
        /// Time importing a file of activities instead (needs the seeded Tây Hòa data)
        #[arg(long)]
        import: bool,
        /// Rows of the imported file
        #[arg(long, default_value_t = 10_000)]
        rows: usize,
        /// Every default page of four users (a new commune, the busiest commune, a province
        /// leader, the national administrator), in process and over HTTP
        #[arg(long)]
        matrix: bool,
        /// With `--matrix`: only these users (new, busiest, leader, admin; comma-separated)
        #[arg(long, value_delimiter = ',')]
        users: Vec<String>,
    },
    /// The official list of administrative units
    #[command(subcommand)]
    Units(UnitsCommand),
}

#[derive(Subcommand)]
enum UnitsCommand {
    /// Load today's official list (34 provinces, 3,321 communes, seed/units-2025.csv): new
    /// units open, renamed ones get a successor, units no longer listed close; loading it
    /// again changes nothing
    LoadOfficial {
        /// The day the list takes effect (yyyy-mm-dd or dd/mm/yyyy)
        #[arg(long, default_value = "2025-07-01")]
        effective: String,
    },
}

#[derive(Subcommand)]
enum ReportCommand {
    /// Write a report as DOCX (official layout) or XLSX (statistical annex)
    Export {
        /// A report id, or `latest` for the most recently changed compiled report
        report: String,
        #[arg(long, value_parser = ["docx", "xlsx"])]
        format: String,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Args)]
struct SetupArgs {
    /// The root unit's kind: province, commune, ward or special_zone
    #[arg(long)]
    kind: String,
    /// The root unit's name, e.g. "Xã Ea Tul"
    #[arg(long)]
    name: String,
    /// Its official (statistics office) code, e.g. 24181
    #[arg(long)]
    code: String,
    /// For a commune, ward or special zone: its province's name
    #[arg(long, default_value = "")]
    province: String,
    /// and its province's code
    #[arg(long, default_value = "")]
    province_code: String,
    /// The first administrator's email
    #[arg(long)]
    admin_email: String,
    /// The first administrator's name
    #[arg(long, default_value = "Quản trị viên")]
    admin_name: String,
    /// The first administrator's password (default: a random one, printed once)
    #[arg(long, env = "KEHOACH_ADMIN_PASSWORD", hide_env_values = true)]
    password: Option<String>,
    /// Also create the root unit's standard agencies
    #[arg(long)]
    standard_agencies: bool,
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on
    #[arg(long, env = "KEHOACH_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Also load the demo users and demo data
    #[arg(long)]
    demo: bool,
    /// Public address of the app, used in links; https makes cookies Secure
    #[arg(
        long,
        env = "KEHOACH_BASE_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    base_url: String,
    /// Secret key for signed cookies and links (required in production)
    #[arg(long, env = "KEHOACH_SECRET", hide_env_values = true)]
    secret: Option<String>,
    /// SMTP server, e.g. smtp://user:pass@host:587 (unset: mail is written to files)
    #[arg(long, env = "KEHOACH_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// Folder for uploaded files and development mail
    #[arg(long, env = "KEHOACH_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,
    /// Sender of the app's email
    #[arg(
        long,
        env = "KEHOACH_MAIL_FROM",
        default_value = "kehoach <kehoach@localhost>"
    )]
    mail_from: String,
    /// Production mode: refuses to start without a secret or without SMTP
    #[arg(long, env = "KEHOACH_PRODUCTION")]
    production: bool,
}

/// Production needs a real secret and a real mail server: files under `data/mail` would
/// silently swallow every reminder and escalation.
fn apply_serve_args(config: &mut Config, args: ServeArgs) -> anyhow::Result<()> {
    if args.production && args.secret.is_none() {
        anyhow::bail!("KEHOACH_SECRET must be set in production mode");
    }
    if args.production && args.smtp_url.is_none() {
        anyhow::bail!("KEHOACH_SMTP_URL must be set in production mode");
    }
    config.addr = args.addr;
    config.base_url = args.base_url;
    if let Some(s) = args.secret {
        config.secret = Secret::new(s);
    }
    config.smtp_url = args.smtp_url.map(Secret::new);
    config.data_dir = args.data_dir;
    config.mail_from = args.mail_from;
    Ok(())
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum MigrateAction {
    Up,
    Down,
    Status,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; prints a random password unless --password is given
    Add {
        #[arg(long)]
        email: String,
        /// admin, planner, compiler, commune, partner or leader
        #[arg(long)]
        role: String,
        /// Agency code, e.g. TH-LDTBXH (see the admin's agency page)
        #[arg(long)]
        agency: String,
        #[arg(long, default_value = "")]
        name: String,
        #[arg(long, env = "KEHOACH_NEW_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Set a user's password; prints a random one unless --password is given
    SetPassword {
        #[arg(long)]
        email: String,
        #[arg(long, env = "KEHOACH_NEW_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Print a new API token for scripts (Authorization: Bearer ...)
    Token {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

pub async fn run() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init(cli.log_format);
    match execute(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(cli: Cli) -> anyhow::Result<()> {
    let mut config = Config::for_database(&cli.database_url);
    match cli.command {
        Command::Serve(args) => {
            let demo = args.demo;
            apply_serve_args(&mut config, args)?;
            serve(config, demo).await
        }
        Command::Worker(args) => {
            apply_serve_args(&mut config, args)?;
            worker(config).await
        }
        Command::Migrate { action } => {
            let conn = db::connect(&config).await?;
            match action {
                MigrateAction::Up => Migrator::up(&conn, None).await?,
                MigrateAction::Down => Migrator::down(&conn, Some(1)).await?,
                MigrateAction::Status => {
                    for m in Migrator::get_migration_with_status(&conn).await? {
                        println!("{}\t{}", m.name(), m.status());
                    }
                }
            }
            Ok(())
        }
        Command::Setup(args) => {
            let conn = open_migrated(&config).await?;
            setup_command(&conn, args).await
        }
        Command::Seed { demo, today } => {
            let conn = open_migrated(&config).await?;
            let now = match today {
                Some(day) => crate::web::format::parse_date(&day)
                    .with_context(|| format!("--today: not a date: {day}"))?
                    .and_hms_opt(2, 0, 0)
                    .context("a time of day")?
                    .and_utc(),
                None => chrono::Utc::now(),
            };
            let r = seed::reference(&conn, now).await?;
            println!("reference data: {} codes added", r.codes);
            if demo {
                let (d, months) = seed::demo_all(&conn, now).await?;
                println!(
                    "demo data: {} users, {} activities, {} months of support statistics added",
                    d.users, d.activities, months
                );
            }
            Ok(())
        }
        Command::Backup { out, check } => {
            let url = config.database_url.expose();
            match (out, check) {
                (_, Some(file)) => {
                    let c = crate::backup::check(&file).await?;
                    println!("{} is a sound backup ({c})", file.display());
                }
                (Some(out), None) => {
                    let c = crate::backup::backup(url, &out).await?;
                    println!("backup written to {} ({c})", out.display());
                }
                (None, None) => anyhow::bail!("give --out FILE or --check FILE"),
            }
            Ok(())
        }
        Command::Restore { from, force } => {
            let c = crate::backup::restore(config.database_url.expose(), &from, force).await?;
            println!("database restored from {} ({c})", from.display());
            Ok(())
        }
        Command::User(cmd) => user_command(&open_migrated(&config).await?, cmd).await,
        Command::Report(ReportCommand::Export {
            report,
            format,
            out,
        }) => {
            let conn = open_migrated(&config).await?;
            let r = crate::reports::export::find(&conn, &report).await?;
            let bytes = crate::reports::export::bytes(&conn, &r, &format).await?;
            std::fs::write(&out, &bytes).with_context(|| format!("writing {}", out.display()))?;
            println!(
                "report {} written to {} ({} bytes)",
                r.id,
                out.display(),
                bytes.len()
            );
            Ok(())
        }
        Command::GenData {
            activities,
            units,
            provinces,
            seed,
        } => {
            let conn = open_migrated(&config).await?;
            seed::reference(&conn, chrono::Utc::now()).await?;
            let started = std::time::Instant::now();
            let opts = crate::gen_data::Options {
                provinces,
                units,
                activities,
                seed,
            };
            let r = crate::gen_data::generate(&conn, &opts).await?;
            println!(
                "generated {} org units, {} agencies, {} plans, {} activities, {} tasks in {:.1} s",
                r.units,
                r.agencies,
                r.plans,
                r.activities,
                r.tasks,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Bench {
            runs,
            role,
            from,
            to,
            import,
            rows,
            matrix,
            users,
        } => {
            let conn = open_migrated(&config).await?;
            if import {
                return crate::bench::import::run(config, conn, runs.max(1), rows).await;
            }
            let date = |s: &str| {
                crate::web::format::parse_date(s).with_context(|| format!("not a date: {s}"))
            };
            if matrix {
                let opts = crate::bench::matrix::Options {
                    runs: runs.max(1),
                    from: date(&from)?,
                    to: date(&to)?,
                    users,
                };
                return crate::bench::matrix::run(config, conn, opts).await;
            }
            let opts = crate::bench::Options {
                runs: runs.max(1),
                role: Role::parse(&role).context("role: leader or admin")?,
                from: date(&from)?,
                to: date(&to)?,
            };
            crate::bench::run(config, conn, opts).await
        }
        Command::Units(UnitsCommand::LoadOfficial { effective }) => {
            let effective = crate::web::format::parse_date(&effective)
                .with_context(|| format!("--effective: not a date: {effective}"))?;
            let conn = open_migrated(&config).await?;
            let r =
                crate::imports::units::load_official(&conn, effective, chrono::Utc::now()).await?;
            println!(
                "official list of units: {} opened, {} renamed, {} closed",
                r.opened, r.renamed, r.closed
            );
            Ok(())
        }
    }
}

async fn open_migrated(config: &Config) -> anyhow::Result<DatabaseConnection> {
    let conn = db::connect(config).await?;
    db::migrate(&conn).await?;
    Ok(conn)
}

async fn serve(config: Config, demo: bool) -> anyhow::Result<()> {
    let conn = open_migrated(&config).await?;
    let now = chrono::Utc::now();
    seed::reference(&conn, now).await?;
    if demo {
        seed::reference(&conn, now).await?;
        seed::demo_all(&conn, now).await?;
        tracing::info!("demo data loaded");
    }
    let first_start = user::Entity::find().count(&conn).await? == 0;
    let base_url = config.base_url.clone();
    let app = startup::Application::build(config, conn, Clock::System).await?;
    tracing::info!(addr = %app.local_addr()?, "kehoach is listening");
    if first_start {
        let token = app.state.setup.open()?;
        println!("No account yet. Set the deployment up once at:");
        println!("  {}/setup/{token}", base_url.trim_end_matches('/'));
        println!("(or stop and run `kehoach setup --help` to do it from a script)");
    }
    startup::spawn_housekeeping(app.state.clone());
    let mailer = crate::notifications::mailer::Mailer::from_config(&app.state.config)?;
    crate::notifications::worker::spawn(app.state.clone(), mailer);
    app.run_until_stopped().await?;
    Ok(())
}

/// The email worker alone: no listener, the same loop `serve` runs.
async fn worker(config: Config) -> anyhow::Result<()> {
    let conn = open_migrated(&config).await?;
    let mailer = crate::notifications::mailer::Mailer::from_config(&config)?;
    let state = startup::state(config, conn, Clock::System)?;
    tracing::info!("kehoach email worker started");
    let handle = crate::notifications::worker::spawn(state, mailer);
    tokio::select! {
        _ = handle => anyhow::bail!("the email worker stopped"),
        r = tokio::signal::ctrl_c() => Ok(r?),
    }
}

async fn setup_command(conn: &DatabaseConnection, args: SetupArgs) -> anyhow::Result<()> {
    let generated = args.password.is_none();
    let password = match args.password {
        Some(p) => p,
        None => crate::auth::password::random()?,
    };
    let input = crate::setup::SetupInput {
        kind: args.kind,
        unit_name: args.name,
        unit_code: args.code,
        province_name: args.province,
        province_code: args.province_code,
        admin_email: args.admin_email.clone(),
        admin_name: args.admin_name,
        password: password.clone(),
        standard_agencies: args.standard_agencies.then(|| "on".to_owned()),
    };
    match crate::setup::run(conn, &input, chrono::Utc::now()).await {
        Ok(done) => {
            println!(
                "Set up: root unit #{}, {} agencies, administrator {}",
                done.root_unit_id, done.agencies, args.admin_email
            );
            if generated {
                println!("Password (shown only once; change it after signing in): {password}");
            }
            Ok(())
        }
        Err(crate::setup::SetupError::AlreadyDone) => {
            anyhow::bail!("this database is set up already (it has accounts); nothing changed")
        }
        Err(crate::setup::SetupError::Invalid(errors)) => {
            let i18n = crate::web::i18n::I18n::load()?;
            let lines: Vec<String> = errors
                .0
                .iter()
                .map(|(field, key)| {
                    format!(
                        "  --{}: {}",
                        field.replace('_', "-"),
                        i18n.t(crate::web::i18n::Locale::Vi, key)
                    )
                })
                .collect();
            anyhow::bail!("setup refused, nothing changed:\n{}", lines.join("\n"))
        }
        Err(crate::setup::SetupError::Internal(e)) => Err(e),
    }
}

async fn user_command(conn: &DatabaseConnection, cmd: UserCommand) -> anyhow::Result<()> {
    let now = chrono::Utc::now();
    match cmd {
        UserCommand::Add {
            email,
            role,
            agency: agency_code,
            name,
            password,
        } => {
            let role = Role::parse(&role).with_context(|| {
                format!(
                    "unknown role {role}: use admin, planner, compiler, commune, partner or leader"
                )
            })?;
            let agency = agency::Entity::find()
                .filter(agency::Column::Code.eq(&agency_code))
                .one(conn)
                .await?
                .with_context(|| format!("unknown agency code {agency_code}"))?;
            let (password, generated) = match password {
                Some(p) => (p, false),
                None => (crate::auth::password::random()?, true),
            };
            let created = users::create(
                conn,
                None,
                NewUser {
                    email,
                    display_name: name,
                    role,
                    agency_id: agency.id,
                    locale: Locale::Vi,
                    password: password.clone(),
                },
                now,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("created user {} ({})", created.email, created.role);
            if generated {
                println!("password: {password}");
            }
            Ok(())
        }
        UserCommand::SetPassword { email, password } => {
            let found = find_user(conn, &email).await?;
            let (password, generated) = match password {
                Some(p) => (p, false),
                None => (crate::auth::password::random()?, true),
            };
            users::set_password(conn, None, found.id, &password, now)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("password changed for {}", found.email);
            if generated {
                println!("password: {password}");
            }
            Ok(())
        }
        UserCommand::Token { email, name } => {
            let found = find_user(conn, &email).await?;
            let token = users::issue_api_token(conn, found.id, &name, now).await?;
            println!("{token}");
            Ok(())
        }
    }
}

async fn find_user(conn: &DatabaseConnection, email: &str) -> anyhow::Result<user::Model> {
    user::Entity::find()
        .filter(user::Column::Email.eq(users::normalize_email(email)))
        .one(conn)
        .await?
        .with_context(|| format!("no user with email {email}"))
}
