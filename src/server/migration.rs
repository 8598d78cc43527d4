//! `tkt admin migrate`: the daemon copies its SQLite installation into PostgreSQL while
//! every change waits.
//!
//! The copy runs on the writer's thread, inside the writer's transaction (one settled
//! moment of the database), behind a seal that refuses every other change with a
//! temporary error: mailgate exits 75 and the MTA keeps the mail until the daemon on
//! PostgreSQL takes it. Reads go on. Once the copy is verified and committed the seal
//! stays, a file beside the SQLite database keeps ticketd from starting on it again, and
//! the admin restarts ticketd with `[database] url`. If anything fails, nothing is kept on
//! PostgreSQL and changes are taken again. Progress is kept here for `tkt` to poll.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::writer::Writer;
use crate::error::{Error, Result};
use crate::store::migrate::{Phase, Progress, copy_to_postgres, record_move};
use crate::store::{Location, check_database_url, describe_database_url};
use crate::wire::{MigrationStatus, TableRows};

/// The one migration a daemon runs, and where it stands.
#[derive(Default)]
pub struct Migration {
    status: Mutex<MigrationStatus>,
}

impl Migration {
    /// Where it stands (`idle` if none was asked for).
    pub fn status(&self) -> MigrationStatus {
        let status = self.lock().clone();
        if status.state.is_empty() {
            return MigrationStatus {
                state: "idle".into(),
                ..status
            };
        }
        status
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MigrationStatus> {
        self.status.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts copying the installation at `location` to the PostgreSQL database at `to`;
    /// answers at once with the status, the copy goes on in the background.
    pub fn start(self: &Arc<Self>, writer: &Writer, location: &Location, to: String) -> Result<MigrationStatus> {
        let Location::Sqlite(data_dir) = location else {
            return Err(Error::Invalid(
                "this ticketd runs on PostgreSQL already; a migration copies an SQLite installation".into(),
            ));
        };
        check_database_url(&to)?;
        let target = describe_database_url(&to);
        {
            let mut status = self.lock();
            match status.state.as_str() {
                "running" => {
                    return Err(Error::Conflict(
                        "a migration is running already; follow it with `tkt admin migrate`".into(),
                    ));
                }
                "done" => {
                    return Err(Error::Conflict(format!(
                        "this installation was moved to the {} already",
                        status.target.as_deref().unwrap_or("PostgreSQL")
                    )));
                }
                _ => {}
            }
            *status = MigrationStatus {
                state: "running".into(),
                target: Some(target.clone()),
                ..MigrationStatus::default()
            };
        }
        tracing::info!(target = %target, "migration to PostgreSQL started; changes wait until it ends");
        writer.seal("ticketd is moving its database to PostgreSQL; nothing was changed; try again in a few minutes");
        let migration = self.clone();
        let writer = writer.clone();
        let data_dir = data_dir.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let progress = migration.clone();
            let moved_to = target.clone();
            let copied = writer
                .run_sealed(move |tx| {
                    let tables = copy_to_postgres(tx, &to, &mut |p| progress.advance(p))?;
                    let marker = record_move(&data_dir, &moved_to, &super::now().to_rfc3339())?;
                    Ok((tables, marker))
                })
                .await;
            let mut status = migration.lock();
            status.seconds = started.elapsed().as_secs_f64();
            status.phase = None;
            status.table = None;
            match copied {
                Ok((tables, marker)) => {
                    writer.seal(format!(
                        "this installation has moved to the {target}; this ticketd takes no more changes: \
                         it must be restarted with [database] url (see docs/ADMIN.md)"
                    ));
                    let rows: u64 = tables.iter().map(|t| t.rows).sum();
                    tracing::info!(target = %target, rows, seconds = status.seconds, "migration done and verified");
                    status.state = "done".into();
                    status.tables = tables
                        .into_iter()
                        .map(|t| TableRows {
                            name: t.name,
                            rows: t.rows,
                        })
                        .collect();
                    status.marker = Some(marker.display().to_string());
                }
                Err(e) => {
                    writer.unseal();
                    tracing::error!(target = %target, error = %e, "migration failed; nothing kept there, changes taken again");
                    status.state = "failed".into();
                    status.error = Some(e.to_string());
                }
            }
        });
        Ok(self.status())
    }

    fn advance(&self, progress: Progress<'_>) {
        let mut status = self.lock();
        status.phase = Some(
            match progress.phase {
                Phase::Copying => "copying",
                Phase::Verifying => "verifying",
            }
            .into(),
        );
        status.table = Some(progress.table.to_string());
        status.done = progress.done;
        status.total = progress.total;
    }
}
