//! `server`: the Goodwill binary. Serves the app, runs migrations, seeds the demo
//! organisation and bootstraps organisations and admins from the command line.

use std::io::BufRead;

use anyhow::Context;
use app::{auth::password::Secret, store::Store};
use clap::{Parser, Subcommand};
use server::{demo, ops, telemetry, Application, Config};

#[derive(Parser)]
#[command(
    name = "server",
    version,
    about = "Goodwill, the service-recovery ledger"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the app (the default). Migrations run first.
    Serve {
        /// Address to listen on, e.g. 0.0.0.0:8080 (default: LEPTOS_SITE_ADDR or 127.0.0.1:3000).
        #[arg(long)]
        addr: Option<std::net::SocketAddr>,
        /// Load the demo organisation first if it is not there yet.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load the demo organisation (Harbour Hotels, 90 days of recoveries) if it is not there.
    SeedDemo {
        /// Random seed: the same seed and day give the same data.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Days of history to generate.
        #[arg(long, default_value_t = 90)]
        days: u32,
    },
    /// Write a consistent copy of the SQLite database to a new file while the app serves.
    /// (PostgreSQL: use pg_dump; see README.)
    Backup {
        /// The file to write; it must not exist.
        #[arg(long)]
        to: std::path::PathBuf,
    },
    /// Put an SQLite backup in place of the database (stop the app servers first). The
    /// backup is verified before anything changes; the database it replaces is kept beside it.
    Restore {
        #[arg(long)]
        from: std::path::PathBuf,
    },
    /// Check the whole database: integrity, and every invariant of the ledger for every
    /// organisation. Exits non-zero naming what disagrees.
    Verify,
    /// Create an organisation and its first location.
    CreateOrg {
        #[arg(long)]
        name: String,
        /// Short name used in sign-in and URLs: letters, digits and dashes.
        #[arg(long)]
        slug: String,
        /// hotel, restaurant, retail or contact-centre (chooses the default taxonomy).
        #[arg(long, default_value = "hotel")]
        industry: String,
        /// ISO 4217 code, e.g. EUR.
        #[arg(long)]
        currency: String,
        /// IANA time zone, e.g. Europe/Lisbon.
        #[arg(long)]
        time_zone: String,
        /// Name of the first location.
        #[arg(long, default_value = "Main")]
        location: String,
    },
    /// Create a user (e.g. the first admin). The password is read from GOODWILL_PASSWORD or,
    /// if that is unset, from the first line of standard input; never from the command line.
    CreateUser {
        /// The organisation's short name.
        #[arg(long)]
        org: String,
        #[arg(long)]
        username: String,
        /// The name shown on screens.
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: Option<String>,
        /// Home location by name (default: the organisation's first).
        #[arg(long)]
        location: Option<String>,
        /// staff, supervisor, manager, leader or admin; repeat for several.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// Also set a 4–8 digit PIN for the shared tablet, read from GOODWILL_PIN.
        #[arg(long)]
        with_pin: bool,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    server::memory::return_large_blocks();
    telemetry::init();
    let cli = Cli::parse();
    let mut config = Config::from_env()?;
    let now = chrono::Utc::now();
    match cli.command.unwrap_or(Command::Serve {
        addr: None,
        demo: false,
    }) {
        Command::Serve { addr, demo } => {
            // Before anything is opened or bound: a published admin password never serves.
            if demo {
                server::config::demo_allowed(config.production)?;
            }
            if let Some(addr) = addr {
                config.address = addr;
            }
            config.prepare_sqlite_directory()?;
            let application = Application::build(&config).await?;
            if demo {
                let summary = demo::seed_demo(application.store(), 7, 90, now).await?;
                print_demo(&summary);
            }
            let address = application.address();
            tracing::info!(%address, database = application.store().backend().as_str(), "Goodwill is listening");
            println!("Goodwill is running at http://{address}/");
            application.run_until_stopped().await?;
        }
        Command::Migrate => {
            let store = open(&config).await?;
            store.migrate().await?;
            println!("Migrations applied ({}).", store.backend().as_str());
        }
        Command::Backup { to } => {
            let store = open(&config).await?;
            store
                .backup_into(&to)
                .await
                .with_context(|| format!("backing up to {}", to.display()))?;
            println!("Backed up to {}.", to.display());
        }
        Command::Restore { from } => {
            let stamp = now.format("%Y%m%d-%H%M%S").to_string();
            let restored = server::backup::restore(&from, &config.database_url, &stamp).await?;
            println!(
                "Restored {} ({} organisations, {} recoveries; every invariant holds).",
                from.display(),
                restored.organisations,
                restored.recoveries
            );
            if let Some(previous) = restored.previous {
                println!(
                    "The database it replaced is kept at {}.",
                    previous.display()
                );
            }
        }
        Command::Verify => {
            let store = open(&config).await?;
            let problems = store.verify().await?;
            if problems.is_empty() {
                println!(
                    "Verified: {} organisations, {} recoveries; every invariant holds.",
                    store.organisation_ids().await?.len(),
                    store.recovery_count().await?
                );
            } else {
                for problem in &problems {
                    println!("{problem}");
                }
                eprintln!("{} problems found.", problems.len());
                std::process::exit(1);
            }
        }
        Command::SeedDemo { seed, days } => {
            server::config::demo_allowed(config.production)?;
            let store = open(&config).await?;
            store.migrate().await?;
            let summary = demo::seed_demo(&store, seed, days, now).await?;
            print_demo(&summary);
        }
        Command::CreateOrg {
            name,
            slug,
            industry,
            currency,
            time_zone,
            location,
        } => {
            let store = open(&config).await?;
            store.migrate().await?;
            let (organisation, location) = ops::create_organisation(
                &store,
                &ops::CreateOrganisation {
                    name: &name,
                    slug: &slug,
                    industry: &industry,
                    currency: &currency,
                    time_zone: &time_zone,
                    first_location: &location,
                },
                now,
            )
            .await?;
            println!(
                "Created {} ({}) with location {}.",
                organisation.name, organisation.slug, location.name
            );
        }
        Command::CreateUser {
            org,
            username,
            name,
            email,
            location,
            roles,
            with_pin,
        } => {
            let store = open(&config).await?;
            store.migrate().await?;
            let password = match std::env::var("GOODWILL_PASSWORD") {
                Ok(password) => password,
                Err(_) => {
                    eprintln!("Password (one line on standard input):");
                    let mut line = String::new();
                    std::io::stdin()
                        .lock()
                        .read_line(&mut line)
                        .context("reading the password")?;
                    line.trim_end_matches(['\r', '\n']).to_string()
                }
            };
            let pin = if with_pin {
                Some(Secret::new(
                    std::env::var("GOODWILL_PIN").context("--with-pin needs GOODWILL_PIN")?,
                ))
            } else {
                None
            };
            let person = ops::create_user(
                &store,
                ops::CreateUser {
                    organisation_slug: &org,
                    location: location.as_deref(),
                    username: &username,
                    display_name: &name,
                    email: email.as_deref(),
                    roles: &roles,
                    password: Secret::new(password),
                    pin,
                },
                now,
            )
            .await?;
            println!(
                "Created user {} ({}).",
                person.username, person.display_name
            );
        }
    }
    Ok(())
}

async fn open(config: &Config) -> anyhow::Result<Store> {
    config.prepare_sqlite_directory()?;
    Ok(Store::connect(&config.database_url, &config.pool).await?)
}

fn print_demo(summary: &demo::DemoSummary) {
    if summary.already_present {
        println!(
            "Demo organisation {} is loaded ({} people).",
            summary.organisation.name, summary.people
        );
    } else {
        println!(
            "Loaded demo organisation {}: {} people, {} recoveries.",
            summary.organisation.name, summary.people, summary.recoveries
        );
    }
    println!(
        "Demo sign-ins (organisation {}, password {}, tablet PIN {}):",
        demo::DEMO_SLUG,
        demo::DEMO_PASSWORD,
        demo::DEMO_PIN
    );
    for (username, what) in &summary.sign_ins {
        println!("  {username:<18} {what}");
    }
}
