//! tkt's rights commands: grant, revoke, explain a user's rights, and the per-queue
//! preset, with their text.

use clap::builder::{PossibleValue, PossibleValuesParser};
use clap::{Args, Subcommand};
use hyper::Method;

use super::{print, print_as};
use crate::client::{Client, ClientError, query_string};
use crate::rights::{QUEUE_WORK_RIGHTS, Right};
use crate::wire::{Changed, GrantRequest, PerQueueRequest, PresetReport, RightHeld};

/// Every right with what it allows, as clap's possible values: `tkt grant --help` lists
/// them, and a misspelt right is caught before anything is sent.
fn rights_parser() -> PossibleValuesParser {
    PossibleValuesParser::new(
        Right::ALL
            .iter()
            .map(|r| PossibleValue::new(r.as_str()).help(r.description())),
    )
}

/// A right and who gets it.
#[derive(Debug, Args)]
pub struct GrantArgs {
    /// The right.
    #[arg(value_parser = rights_parser(), ignore_case = true)]
    pub right: String,
    /// A user (login name or address).
    #[arg(long, conflicts_with_all = ["group", "role"])]
    pub user: Option<String>,
    /// A group, such as a team or Privileged (all staff) or Everyone.
    #[arg(long, conflicts_with = "role")]
    pub group: Option<String>,
    /// A role on each ticket: Requestor, Cc, AdminCc or Owner.
    #[arg(long)]
    pub role: Option<String>,
    /// Only on this queue [default: globally, on every queue].
    #[arg(long)]
    pub queue: Option<String>,
}

/// `tkt rights --user U` or `tkt rights preset ...`
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct RightsArgs {
    #[command(subcommand)]
    pub command: Option<RightsCommand>,
    /// The user whose rights to explain (a login name or address).
    #[arg(long, required = true)]
    pub user: Option<String>,
    /// On this queue [default: globally].
    #[arg(long)]
    pub queue: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `tkt rights preset ...`
#[derive(Debug, Subcommand)]
pub enum RightsCommand {
    /// Grant a set of rights in one go.
    #[command(subcommand)]
    Preset(Preset),
}

/// The shipped sets of rights.
#[derive(Debug, Subcommand)]
pub enum Preset {
    /// Restrict teams to their queues: --group and --queue grant a team the rights to work
    /// a queue's tickets there; --revoke-global takes those rights from all staff
    /// (Privileged) everywhere. Without options, print the plan and change nothing.
    PerQueue {
        /// The team (a group) that works the queues.
        #[arg(long, requires = "queues")]
        group: Option<String>,
        /// A queue the team works; repeat for more.
        #[arg(long = "queue", value_name = "QUEUE", requires = "group")]
        queues: Vec<String>,
        /// Also take the same rights from Privileged globally, so staff see only the queues
        /// their teams were given (SuperUser).
        #[arg(long)]
        revoke_global: bool,
    },
}

pub fn grant(client: &Client, args: GrantArgs, give: bool) -> Result<(), ClientError> {
    let request = GrantRequest {
        right: args.right,
        user: args.user,
        group: args.group,
        role: args.role,
        queue: args.queue,
    };
    let path = if give { "/v1/grants" } else { "/v1/grants/revoke" };
    let done: Changed = client.post(path, &request)?;
    let what = match (give, done.changed) {
        (true, true) => "Granted.",
        (true, false) => "Already granted.",
        (false, true) => "Revoked.",
        (false, false) => "There was no such grant.",
    };
    print(format!("{what}\n"));
    Ok(())
}

pub fn rights(client: &Client, args: RightsArgs) -> Result<(), ClientError> {
    let Some(RightsCommand::Preset(Preset::PerQueue {
        group,
        queues,
        revoke_global,
    })) = args.command
    else {
        let mut pairs = vec![("user", args.user.as_deref().unwrap_or_default())];
        if let Some(queue) = &args.queue {
            pairs.push(("queue", queue));
        }
        let rights = client.json(Method::GET, &format!("/v1/rights?{}", query_string(&pairs)), None)?;
        return print_as(rights, args.json, |r: Vec<RightHeld>| held(&r));
    };
    if group.is_none() && !revoke_global {
        print(per_queue_plan(QUEUE_WORK_RIGHTS));
        return Ok(());
    }
    let request = PerQueueRequest {
        group,
        queues,
        revoke_global,
    };
    let report: PresetReport = client.post("/v1/grants/preset/per-queue", &request)?;
    print(preset_report(&request, &report));
    Ok(())
}

/// Every right, held or not, and why.
fn held(rights: &[RightHeld]) -> String {
    let width = Right::ALL.iter().map(|r| r.as_str().len()).max().unwrap_or(0);
    rights
        .iter()
        .map(|r| match &r.via {
            Some(via) => format!("yes  {:<width$}  {via}\n", r.right.as_str()),
            None => format!("no   {:<width$}  ({})\n", r.right.as_str(), r.right.description()),
        })
        .collect()
}

/// `tkt rights preset per-queue` without options: the rights it grants and the steps,
/// with nothing changed.
fn per_queue_plan(rights: &[Right]) -> String {
    let width = rights.iter().map(|r| r.as_str().len()).max().unwrap_or(0);
    let mut out = String::from("The per-queue preset grants a team (a group) these rights on each of its queues:\n");
    for right in rights {
        out.push_str(&format!("  {:<width$}  {}\n", right.as_str(), right.description()));
    }
    for line in [
        "",
        "To restrict each team to its queues:",
        "  tkt group create helpdesk",
        "  tkt group add helpdesk alice@example.org",
        "  tkt rights preset per-queue --group helpdesk --queue general   (each team: its queues)",
        "  tkt rights preset per-queue --revoke-global                     (once: staff lose them elsewhere)",
        "",
        "Staff then see and work only their teams' queues; `tkt admin init` gives the global",
        "grants back. Nothing was changed.",
    ] {
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// What a preset changed.
fn preset_report(request: &PerQueueRequest, report: &PresetReport) -> String {
    let mut out = String::new();
    if let Some(group) = &request.group {
        out.push_str(&format!(
            "Group {group} may work queue{} {}: {} new grant(s).\n",
            if request.queues.len() == 1 { "" } else { "s" },
            request.queues.join(", "),
            report.granted
        ));
    }
    if request.revoke_global {
        out.push_str(&format!(
            "Staff (Privileged) lost {} global grant(s): they work only their teams' queues now.\n",
            report.revoked
        ));
    }
    out
}
