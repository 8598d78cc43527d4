//! tkt's administration commands: users, groups, queues, grants, rights, tokens.

use clap::{Args, Subcommand};
use hyper::Method;
use serde_json::json;

use super::{print, print_as, render};
use crate::client::{Client, ClientError, query_string};
use crate::queue::Queue;
use crate::server::scheduler::JobStatus;
use crate::store::{GroupInfo, JobRun, TokenInfo};
use crate::user::User;
use crate::workflow::admin::{InitReport, RightHeld};

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
    /// Every right of a user, and which grant gives it.
    Rights {
        #[arg(long)]
        user: String,
        #[arg(long)]
        queue: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// API tokens: create, list, revoke.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Set-up: restore the default grants; with --admin, make a first admin with a token.
    #[command(subcommand)]
    Admin(InitCommand),
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; an address as NAME is also their email.
    Create {
        name: String,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        real_name: Option<String>,
        /// Staff rather than a requestor.
        #[arg(long)]
        privileged: bool,
    },
    Show {
        user: String,
        #[arg(long)]
        json: bool,
    },
    List {
        /// Disabled users too.
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// real_name=... email=... privileged=yes|no disabled=yes|no
    Set {
        user: String,
        #[arg(required = true)]
        changes: Vec<String>,
    },
    /// Disable a user: no mail, no tokens, no rights.
    Disable { user: String },
    /// Set a password (for the web login to come), read from standard input.
    Password { user: String },
}

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    Create {
        name: String,
        #[arg(long, default_value = "")]
        description: String,
    },
    /// Add a user or group to a group.
    Add { group: String, member: String },
    /// Remove a user or group from a group.
    Remove { group: String, member: String },
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum QueueCommand {
    Create {
        name: String,
        #[arg(long)]
        address: Option<String>,
        #[arg(long)]
        comment_address: Option<String>,
    },
    /// address=... comment_address=... description=... tag=... non_watcher_mail=accept|comment|refuse
    /// Cc+=x AdminCc-=y
    Set {
        name: String,
        #[arg(required = true)]
        changes: Vec<String>,
    },
    List {
        #[arg(long)]
        json: bool,
    },
}

/// A right and who gets it.
#[derive(Debug, Args)]
pub struct GrantArgs {
    pub right: String,
    #[arg(long, conflicts_with_all = ["group", "role"])]
    pub user: Option<String>,
    #[arg(long, conflicts_with = "role")]
    pub group: Option<String>,
    /// Requestor, Cc, AdminCc or Owner.
    #[arg(long)]
    pub role: Option<String>,
    /// Only on this queue (default: globally).
    #[arg(long)]
    pub queue: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token; its secret is shown once.
    Create {
        user: String,
        #[arg(long, default_value = "")]
        description: String,
    },
    List {
        #[arg(long)]
        user: Option<String>,
        #[arg(long)]
        json: bool,
    },
    Revoke {
        id: i64,
    },
}

#[derive(Debug, Subcommand)]
pub enum InitCommand {
    /// Restore the default grants; --admin makes a first admin (SuperUser) with a token.
    Init {
        #[arg(long)]
        admin: Option<String>,
    },
    /// The scheduled jobs: list them (default), run one now, or show one's past runs.
    Jobs {
        #[command(subcommand)]
        command: Option<JobsCommand>,
        #[arg(long)]
        json: bool,
    },
    /// Write a consistent copy of the database to FILE while ticketd runs (SuperUser).
    /// ticketd writes it, so FILE is on ticketd's machine; it must not exist yet.
    Backup { file: std::path::PathBuf },
    /// Show ticketd's clock, or move a frozen one (`ticketd --now`) and run what became due.
    Clock {
        #[command(subcommand)]
        command: Option<ClockCommand>,
    },
}

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Run a job now (SuperUser); a second run at the same instant does nothing.
    Run { name: String },
    /// A job's most recent runs.
    History {
        name: String,
        #[arg(long, default_value_t = 20)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ClockCommand {
    /// Move the frozen clock forward to INSTANT (RFC 3339 or `2026-12-01 09:00`).
    Set { instant: String },
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
        AdminCommand::Grant(args) => grant(client, args, true),
        AdminCommand::Revoke(args) => grant(client, args, false),
        AdminCommand::Rights { user, queue, json } => {
            let mut pairs = vec![("user", user.as_str())];
            if let Some(queue) = &queue {
                pairs.push(("queue", queue));
            }
            let rights = client.json(Method::GET, &format!("/v1/rights?{}", query_string(&pairs)), None)?;
            print_as(rights, json, |r: Vec<RightHeld>| render::rights(&r))
        }
        AdminCommand::Token(command) => token(client, command),
        AdminCommand::Admin(InitCommand::Init { admin }) => {
            let report: InitReport = client.json(Method::POST, "/v1/admin/init", Some(&json!({ "admin": admin })))?;
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
            let answer: RunAnswer = client.json(Method::POST, &path, Some(&json!({})))?;
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

#[derive(Debug, serde::Deserialize)]
struct RunAnswer {
    run: Option<JobRun>,
}

#[derive(Debug, serde::Deserialize)]
struct ClockAnswer {
    now: crate::ticket::Timestamp,
    #[serde(default)]
    frozen: bool,
    #[serde(default)]
    runs: Vec<JobRun>,
}

fn clock(client: &Client, command: Option<ClockCommand>) -> Result<(), ClientError> {
    match command {
        None => {
            let clock: ClockAnswer = client.json(Method::GET, "/v1/admin/clock", None)?;
            let kind = if clock.frozen { "frozen" } else { "the system's" };
            print(format!("{} ({kind})\n", clock.now.to_rfc3339()));
        }
        Some(ClockCommand::Set { instant }) => {
            let clock: ClockAnswer = client.json(Method::POST, "/v1/admin/clock", Some(&json!({ "now": instant })))?;
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
    let file = std::path::absolute(file)
        .map_err(|e| ClientError::Protocol(format!("cannot resolve {}: {e}", file.display())))?;
    let answer: serde_json::Value = client.json(
        Method::POST,
        "/v1/admin/backup",
        Some(&json!({ "path": file.to_string_lossy() })),
    )?;
    let bytes = answer["bytes"].as_u64().unwrap_or_default();
    print(format!("Backup written to {} ({bytes} bytes).\n", file.display()));
    Ok(())
}

fn user(client: &Client, command: UserCommand) -> Result<(), ClientError> {
    match command {
        UserCommand::Create {
            name,
            email,
            real_name,
            privileged,
        } => {
            let body = json!({ "name": name, "email": email, "real_name": real_name.unwrap_or_default(),
                               "privileged": privileged });
            let user: User = client.json(Method::POST, "/v1/users", Some(&body))?;
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
    let body = json!({ "changes": changes });
    let user: User = client.json(
        Method::POST,
        &format!("/v1/users/{}/changes", path_part(who)),
        Some(&body),
    )?;
    print(format!("User {} changed.\n", user.name));
    Ok(())
}

fn group(client: &Client, command: GroupCommand) -> Result<(), ClientError> {
    let (group, member, add) = match command {
        GroupCommand::Create { name, description } => {
            let body = json!({ "name": name, "description": description });
            let _: serde_json::Value = client.json(Method::POST, "/v1/groups", Some(&body))?;
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
    let body = json!({ "member": member, "add": add });
    let done: serde_json::Value = client.json(
        Method::POST,
        &format!("/v1/groups/{}/members", path_part(&group)),
        Some(&body),
    )?;
    let what = match (add, done["changed"].as_bool().unwrap_or(false)) {
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
            let body = json!({ "name": name, "address": address, "comment_address": comment_address });
            let queue: Queue = client.json(Method::POST, "/v1/queues", Some(&body))?;
            print(render::queues(&[queue]));
            Ok(())
        }
        QueueCommand::Set { name, changes } => {
            let body = json!({ "changes": changes });
            let queue: Queue = client.json(
                Method::POST,
                &format!("/v1/queues/{}/changes", path_part(&name)),
                Some(&body),
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

fn grant(client: &Client, args: GrantArgs, give: bool) -> Result<(), ClientError> {
    let body = json!({ "right": args.right, "user": args.user, "group": args.group, "role": args.role,
                       "queue": args.queue });
    let path = if give { "/v1/grants" } else { "/v1/grants/revoke" };
    let done: serde_json::Value = client.json(Method::POST, path, Some(&body))?;
    let changed = done["changed"].as_bool().unwrap_or(false);
    let what = match (give, changed) {
        (true, true) => "Granted.",
        (true, false) => "Already granted.",
        (false, true) => "Revoked.",
        (false, false) => "There was no such grant.",
    };
    print(format!("{what}\n"));
    Ok(())
}

fn token(client: &Client, command: TokenCommand) -> Result<(), ClientError> {
    match command {
        TokenCommand::Create { user, description } => {
            let body = json!({ "user": user, "description": description });
            let created: serde_json::Value = client.json(Method::POST, "/v1/tokens", Some(&body))?;
            let secret = created["token"].as_str().unwrap_or_default();
            print(format!("{secret}\n"));
            eprintln!(
                "Token {} for {user} created; it is shown only this once.",
                created["id"]
            );
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
            let done: serde_json::Value = client.json(Method::POST, &format!("/v1/tokens/{id}/revoke"), None)?;
            let changed = done["changed"].as_bool().unwrap_or(false);
            print(if changed {
                format!("Token {id} revoked.\n")
            } else {
                format!("Token {id} was revoked already.\n")
            });
            Ok(())
        }
    }
}
