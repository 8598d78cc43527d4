//! tkt's administration commands: users, groups, queues, tokens, set-up, jobs, the clock
//! and backups (grants and rights are in `rights`).

use clap::Subcommand;
use hyper::Method;

use super::rights::{self, GrantArgs, RightsArgs};
use super::{print, print_as, render};
use crate::client::{Client, ClientError, query_string};
use crate::wire::{
    BackupDone, BackupRequest, ChangeRequest, Changed, Clock, ClockMoved, Created, GroupInfo, InitReport, InitRequest,
    JobRun, JobRunAnswer, JobStatus, MemberChange, MigrateRequest, MigrationStatus, NewGroup, NewQueue, NewToken,
    NewUser, Queue, SetClock, TokenCreated, TokenInfo, User,
};

/// The administration commands, at tkt's top level.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Users: create, show, list, set, disable, password.
    #[command(subcommand)]
    User(UserCommand),
    /// Groups: create, add, remove, list.
    #[command(subcommand)]
    Group(GroupCommand),
    /// Queues made by tkt (config-file queues are changed in the file): create, set, list.
    #[command(subcommand)]
    Queue(QueueCommand),
    /// Grant a right to a user, group or role, globally or on one queue.
    Grant(GrantArgs),
    /// Take a grant back.
    Revoke(GrantArgs),
    /// Every right of a user, and which grant gives it; `tkt rights preset per-queue`
    /// restricts teams to their queues.
    Rights(RightsArgs),
    /// API tokens: create, list, revoke.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Set-up: restore the default grants; with --admin, make a first admin with a token.
    #[command(subcommand)]
    Admin(InitCommand),
}

/// `tkt user ...`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; an address as NAME is also their email.
    Create {
        /// A login name, or an address (then also their email).
        name: String,
        /// Their email address, when NAME is not one.
        #[arg(long)]
        email: Option<String>,
        /// Their full name, for people to read.
        #[arg(long)]
        real_name: Option<String>,
        /// Staff rather than a requestor.
        #[arg(long)]
        privileged: bool,
    },
    /// Show a user.
    Show {
        /// A login name or address.
        user: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// List the users.
    List {
        /// Disabled users too.
        #[arg(long)]
        all: bool,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Change a user: real_name=... email=... privileged=yes|no disabled=yes|no
    /// digest=daily|weekly|off lang=en|de|fr|off
    Set {
        /// A login name or address.
        user: String,
        /// field=value pairs.
        #[arg(required = true, value_name = "CHANGE")]
        changes: Vec<String>,
    },
    /// Disable a user: no mail, no tokens, no rights.
    Disable {
        /// A login name or address.
        user: String,
    },
    /// Set a password (for the web login to come), read from standard input.
    Password {
        /// A login name or address.
        user: String,
    },
}

/// `tkt group ...`
#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Create a group.
    Create {
        /// The group's name.
        name: String,
        /// What the group is for.
        #[arg(long, default_value = "")]
        description: String,
    },
    /// Add a user or group to a group.
    Add {
        /// The group to add to.
        group: String,
        /// A user (login name or address) or a group (by name).
        member: String,
    },
    /// Remove a user or group from a group.
    Remove {
        /// The group to remove from.
        group: String,
        /// A user (login name or address) or a group (by name).
        member: String,
    },
    /// List the groups and their members.
    List {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// `tkt queue ...`
#[derive(Debug, Subcommand)]
pub enum QueueCommand {
    /// Create a queue.
    Create {
        /// The queue's name: one word.
        name: String,
        /// Its address [default: NAME@ the domain of mail.from].
        #[arg(long)]
        address: Option<String>,
        /// Its address for comments [default: NAME-comment@ the domain of mail.from].
        #[arg(long)]
        comment_address: Option<String>,
    },
    /// Change a queue: address=... comment_address=... description=... tag=...
    /// non_watcher_mail=accept|comment|refuse Cc+=x AdminCc-=y
    Set {
        /// The queue's name.
        name: String,
        /// field=value pairs, or Cc/AdminCc += and -= a user or group.
        #[arg(required = true, value_name = "CHANGE")]
        changes: Vec<String>,
    },
    /// List the queues you may see.
    List {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// `tkt token ...`
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token; its secret is shown once.
    Create {
        /// The user it acts as (a login name or address).
        user: String,
        /// What it is for, to recognise it in `tkt token list`.
        #[arg(long, default_value = "")]
        description: String,
        /// When it stops working: a date (`2027-01-31`, `2027-01-31 18:00`) or one relative
        /// to now (`+90 days`) [default: never]
        #[arg(long)]
        expires: Option<String>,
    },
    /// List tokens (never their secrets).
    List {
        /// Only this user's tokens [default: everyone's, which needs AdminUsers].
        #[arg(long)]
        user: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token: it stops working at once.
    Revoke {
        /// The token's number, from `tkt token list`.
        id: i64,
    },
}

/// `tkt admin ...`
#[derive(Debug, Subcommand)]
pub enum InitCommand {
    /// Restore the default grants; --admin makes a first admin (SuperUser) with a token.
    Init {
        /// The first admin's address: a staff user with SuperUser and a new token.
        #[arg(long, value_name = "ADDRESS")]
        admin: Option<String>,
    },
    /// The scheduled jobs: list them (default), run one now, or show one's past runs.
    Jobs {
        #[command(subcommand)]
        command: Option<JobsCommand>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Write a consistent copy of the database to FILE while ticketd runs (SuperUser).
    /// ticketd writes it, so FILE is on ticketd's machine; it must not exist yet.
    Backup {
        /// Where to write the copy; it must not exist yet.
        file: std::path::PathBuf,
    },
    /// Copy this SQLite installation into a new PostgreSQL database (SuperUser), with a
    /// progress bar; every row is read back and compared. Changes wait meanwhile (mail
    /// stays at the MTA), and afterwards, until ticketd is restarted on PostgreSQL.
    /// Without --to: follow the migration under way, or show how the last one ended.
    Migrate {
        /// The new, empty PostgreSQL database: `postgres://USER@HOST/DB` or
        /// `host=/run/postgresql dbname=ticketd`, as `[database] url` takes it.
        #[arg(long, value_name = "URL")]
        to: Option<String>,
    },
    /// Show ticketd's clock, or move a frozen one (`ticketd --now`) and run what became due.
    Clock {
        #[command(subcommand)]
        command: Option<ClockCommand>,
    },
}

/// `tkt admin jobs ...`
#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Run a job now (SuperUser); a second run at the same instant does nothing.
    Run {
        /// The job's name, from `tkt admin jobs`.
        name: String,
    },
    /// A job's most recent runs.
    History {
        /// The job's name, from `tkt admin jobs`.
        name: String,
        /// How many runs to show.
        #[arg(long, default_value_t = 20)]
        limit: u32,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// `tkt admin clock ...`
#[derive(Debug, Subcommand)]
pub enum ClockCommand {
    /// Move the frozen clock forward to INSTANT (RFC 3339 or `2026-12-01 09:00`).
    Set {
        /// The new time: RFC 3339 or `2026-12-01 09:00` (UTC).
        instant: String,
    },
}

/// A value for a URL path segment, percent-encoded.
fn path_part(value: &str) -> String {
    query_string(&[("", value)]).trim_start_matches('=').to_string()
}

/// Runs an administration command.
pub fn run(client: &Client, command: AdminCommand) -> Result<(), ClientError> {
    match command {
        AdminCommand::User(command) => user(client, command),
        AdminCommand::Group(command) => group(client, command),
        AdminCommand::Queue(command) => queue(client, command),
        AdminCommand::Grant(args) => rights::grant(client, args, true),
        AdminCommand::Revoke(args) => rights::grant(client, args, false),
        AdminCommand::Rights(args) => rights::rights(client, args),
        AdminCommand::Token(command) => token(client, command),
        AdminCommand::Admin(InitCommand::Init { admin }) => {
            let report: InitReport = client.post("/v1/admin/init", &InitRequest { admin })?;
            print(format!("Default grants restored: {}.\n", report.restored));
            if let (Some(admin), Some(token)) = (report.admin, report.token) {
                print(format!(
                    "Admin {admin} has SuperUser. Their token (shown once):\n{token}\n"
                ));
            }
            Ok(())
        }
        AdminCommand::Admin(InitCommand::Jobs { command, json }) => jobs(client, command, json),
        AdminCommand::Admin(InitCommand::Clock { command }) => clock(client, command),
        AdminCommand::Admin(InitCommand::Backup { file }) => backup(client, &file),
        AdminCommand::Admin(InitCommand::Migrate { to }) => migrate(client, to),
    }
}

fn jobs(client: &Client, command: Option<JobsCommand>, json: bool) -> Result<(), ClientError> {
    match command {
        None => print_as(
            client.json(Method::GET, "/v1/admin/jobs", None)?,
            json,
            |jobs: Vec<JobStatus>| render::jobs(&jobs),
        ),
        Some(JobsCommand::Run { name }) => {
            let path = format!("/v1/admin/jobs/{}/run", path_part(&name));
            let answer: JobRunAnswer = client.post(&path, &serde_json::Map::new())?;
            match answer.run {
                Some(run) => print(render::job_runs(std::slice::from_ref(&run))),
                None => print(format!("{name} has already run at this instant; nothing done.\n")),
            }
            Ok(())
        }
        Some(JobsCommand::History { name, limit, json }) => {
            let path = format!("/v1/admin/jobs/{}?limit={limit}", path_part(&name));
            print_as(client.json(Method::GET, &path, None)?, json, |runs: Vec<JobRun>| {
                render::job_runs(&runs)
            })
        }
    }
}

fn clock(client: &Client, command: Option<ClockCommand>) -> Result<(), ClientError> {
    match command {
        None => {
            let clock: Clock = client.json(Method::GET, "/v1/admin/clock", None)?;
            let kind = if clock.frozen { "frozen" } else { "the system's" };
            print(format!("{} ({kind})\n", clock.now.to_rfc3339()));
        }
        Some(ClockCommand::Set { instant }) => {
            let clock: ClockMoved = client.post("/v1/admin/clock", &SetClock { now: instant })?;
            print(format!("{}\n", clock.now.to_rfc3339()));
            if !clock.runs.is_empty() {
                print(render::job_runs(&clock.runs));
            }
        }
    }
    Ok(())
}

fn backup(client: &Client, file: &std::path::Path) -> Result<(), ClientError> {
    // relative to where tkt runs, as a shell user expects; ticketd needs it absolute
    let file =
        std::path::absolute(file).map_err(|e| ClientError::Usage(format!("cannot resolve {}: {e}", file.display())))?;
    let request = BackupRequest {
        path: file.to_string_lossy().into_owned(),
    };
    let answer: BackupDone = client.post("/v1/admin/backup", &request)?;
    let bytes = answer.bytes;
    print(format!("Backup written to {} ({bytes} bytes).\n", file.display()));
    Ok(())
}

/// Starts a migration (with `to`) or follows the one under way, drawing a progress bar on
/// a terminal, and says how it ended.
fn migrate(client: &Client, to: Option<String>) -> Result<(), ClientError> {
    let mut status: MigrationStatus = match to {
        Some(to) => client.post("/v1/admin/migrate", &MigrateRequest { to })?,
        None => client.json(Method::GET, "/v1/admin/migrate", None)?,
    };
    if status.state == "idle" {
        print("No migration was asked for since ticketd started: `tkt admin migrate --to URL` starts one.\n".into());
        return Ok(());
    }
    let bar = indicatif::ProgressBar::new(status.total.max(1));
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg:28} [{bar:36}] {pos}/{len} rows, {eta} left")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    while status.state == "running" {
        bar.set_length(status.total.max(1));
        bar.set_position(status.done);
        let table = status.table.as_deref().unwrap_or_default();
        let phase = status.phase.as_deref().unwrap_or("starting");
        bar.set_message(crate::text::for_terminal(&format!("{phase} {table}")));
        std::thread::sleep(std::time::Duration::from_millis(200));
        status = client.json(Method::GET, "/v1/admin/migrate", None)?;
    }
    bar.finish_and_clear();
    let target = status.target.as_deref().unwrap_or("PostgreSQL");
    match status.state.as_str() {
        "done" => {
            let rows: u64 = status.tables.iter().map(|t| t.rows).sum();
            let width = status.tables.iter().map(|t| t.name.len()).max().unwrap_or(0);
            let mut text = format!(
                "Copied {rows} rows in {} tables to the {target} in {:.1} s; every row read back and compared.\n",
                status.tables.len(),
                status.seconds
            );
            for table in &status.tables {
                text.push_str(&format!("  {:width$}  {:>10}\n", table.name, table.rows));
            }
            text.push_str(
                "This ticketd now refuses every change (mail waits at the MTA). Restart it with\n\
                 [database] url set to the new database (see docs/ADMIN.md).\n",
            );
            if let Some(marker) = &status.marker {
                text.push_str(&format!(
                    "The SQLite database is left as it was; {marker} keeps ticketd from starting on it again.\n"
                ));
            }
            print(text);
            Ok(())
        }
        _ => Err(ClientError::Api(crate::error::Error::Internal(format!(
            "the migration to the {target} failed: {}; nothing was kept there, and ticketd takes changes again",
            status.error.as_deref().unwrap_or("no reason given")
        )))),
    }
}

fn user(client: &Client, command: UserCommand) -> Result<(), ClientError> {
    match command {
        UserCommand::Create {
            name,
            email,
            real_name,
            privileged,
        } => {
            let request = NewUser {
                name,
                email,
                real_name: real_name.unwrap_or_default(),
                privileged,
            };
            let user: User = client.post("/v1/users", &request)?;
            print(format!("User {} created ({}).\n", user.id, user.name));
            Ok(())
        }
        UserCommand::Show { user, json } => {
            let found = client.json(Method::GET, &format!("/v1/users/{}", path_part(&user)), None)?;
            print_as(found, json, |u: User| render::user(&u))
        }
        UserCommand::List { all, json } => print_as(
            client.json(Method::GET, &format!("/v1/users?all={all}"), None)?,
            json,
            |u: Vec<User>| render::users(&u),
        ),
        UserCommand::Set { user, changes } => set_user(client, &user, &changes),
        UserCommand::Disable { user } => set_user(client, &user, &["disabled=yes".into()]),
        UserCommand::Password { user } => {
            let password = super::message_text(None, false)?;
            set_user(
                client,
                &user,
                &[format!("password={}", password.trim_end_matches(['\r', '\n']))],
            )
        }
    }
}

fn set_user(client: &Client, who: &str, changes: &[String]) -> Result<(), ClientError> {
    let request = ChangeRequest {
        changes: changes.to_vec(),
    };
    let user: User = client.post(&format!("/v1/users/{}/changes", path_part(who)), &request)?;
    print(format!("User {} changed.\n", user.name));
    Ok(())
}

fn group(client: &Client, command: GroupCommand) -> Result<(), ClientError> {
    let (group, member, add) = match command {
        GroupCommand::Create { name, description } => {
            let request = NewGroup {
                name: name.clone(),
                description,
            };
            let _: Created = client.post("/v1/groups", &request)?;
            print(format!("Group {name} created.\n"));
            return Ok(());
        }
        GroupCommand::List { json } => {
            return print_as(
                client.json(Method::GET, "/v1/groups", None)?,
                json,
                |g: Vec<GroupInfo>| render::groups(&g),
            );
        }
        GroupCommand::Add { group, member } => (group, member, true),
        GroupCommand::Remove { group, member } => (group, member, false),
    };
    let request = MemberChange {
        member: member.clone(),
        add,
    };
    let done: Changed = client.post(&format!("/v1/groups/{}/members", path_part(&group)), &request)?;
    let what = match (add, done.changed) {
        (true, true) => "added to",
        (true, false) => "was already in",
        (false, true) => "removed from",
        (false, false) => "was not in",
    };
    print(format!("{member} {what} group {group}.\n"));
    Ok(())
}

fn queue(client: &Client, command: QueueCommand) -> Result<(), ClientError> {
    match command {
        QueueCommand::Create {
            name,
            address,
            comment_address,
        } => {
            let request = NewQueue {
                name,
                address,
                comment_address,
            };
            let queue: Queue = client.post("/v1/queues", &request)?;
            print(render::queues(&[queue]));
            Ok(())
        }
        QueueCommand::Set { name, changes } => {
            let queue: Queue = client.post(
                &format!("/v1/queues/{}/changes", path_part(&name)),
                &ChangeRequest { changes },
            )?;
            print(render::queues(&[queue]));
            Ok(())
        }
        QueueCommand::List { json } => {
            print_as(client.json(Method::GET, "/v1/queues", None)?, json, |q: Vec<Queue>| {
                render::queues(&q)
            })
        }
    }
}

fn token(client: &Client, command: TokenCommand) -> Result<(), ClientError> {
    match command {
        TokenCommand::Create {
            user,
            description,
            expires,
        } => {
            let request = NewToken {
                user: user.clone(),
                description,
                expires,
            };
            let created: TokenCreated = client.post("/v1/tokens", &request)?;
            print(format!("{}\n", created.token));
            eprintln!("Token {} for {user} created; it is shown only this once.", created.id);
            Ok(())
        }
        TokenCommand::List { user, json } => {
            let path = match &user {
                Some(user) => format!("/v1/tokens?{}", query_string(&[("user", user)])),
                None => "/v1/tokens".to_string(),
            };
            print_as(client.json(Method::GET, &path, None)?, json, |t: Vec<TokenInfo>| {
                render::tokens(&t)
            })
        }
        TokenCommand::Revoke { id } => {
            let done: Changed = client.json(Method::POST, &format!("/v1/tokens/{id}/revoke"), None)?;
            print(if done.changed {
                format!("Token {id} revoked.\n")
            } else {
                format!("Token {id} was revoked already.\n")
            });
            Ok(())
        }
    }
}
