//! Running ticketd by hand: who may see the scheduler's jobs and the clock, run a job,
//! move the clock, or write a backup. The server does the work; these decide who may ask.

use std::path::PathBuf;

use super::access::{Access, On};
use super::rule_tools::staff_only;
use crate::error::{Error, Result};
use crate::rights::Right;
use crate::store::Db;

/// What the metrics page counts in the database at each scrape. Not asked through the
/// rights: `server.metrics_listen` is for the site's monitoring, which sees every queue.
#[derive(Debug, Default)]
pub struct Counts {
    /// (queue, status, tickets), merged tickets left out.
    pub tickets: Vec<(String, String, i64)>,
    /// (status, messages): pending, sent, failed.
    pub outbox: Vec<(String, i64)>,
    /// (job, outcome, runs).
    pub job_runs: Vec<(String, String, i64)>,
}

/// The counts for the metrics page.
pub fn counts(db: &Db<'_>) -> Result<Counts> {
    Ok(Counts {
        tickets: db.ticket_counts_by_queue_name()?,
        outbox: db.outbox_counts()?,
        job_runs: db.job_run_counts()?,
    })
}

/// The jobs, their runs and the clock are the site's configuration: staff may read them.
pub fn see_jobs(access: &Access) -> Result<()> {
    staff_only(access, "see the jobs")
}

/// Running a job out of its schedule is for SuperUsers.
pub fn run_jobs(db: &Db<'_>, access: &Access) -> Result<()> {
    access.require_to(db, Right::SuperUser, On::Global, "run jobs by hand")
}

/// Moving a frozen clock (and so running what came due) is for SuperUsers.
pub fn move_clock(db: &Db<'_>, access: &Access) -> Result<()> {
    access.require_to(db, Right::SuperUser, On::Global, "move the clock")
}

/// Moving the installation to another database, and watching it move, is for SuperUsers.
pub fn migrate(db: &Db<'_>, access: &Access) -> Result<()> {
    access.require_to(db, Right::SuperUser, On::Global, "move the database")
}

/// Where a backup may be written: an absolute path on ticketd's machine (ticketd writes
/// it, so a relative one would be relative to wherever the daemon runs), for SuperUsers.
pub fn backup_target(db: &Db<'_>, access: &Access, path: &str) -> Result<PathBuf> {
    access.require_to(db, Right::SuperUser, On::Global, "back up the database")?;
    let target = PathBuf::from(path);
    if !target.is_absolute() {
        return Err(Error::Invalid(format!(
            "the backup path `{path}` must be absolute: ticketd writes it"
        )));
    }
    Ok(target)
}
