//! Blobs: large raw messages and MIME parts, written in chunks ahead of the transaction
//! that keeps them.
//!
//! There is one writer. A 40 MB message written in one transaction holds it for seconds,
//! and every delivery behind it waits. Written a chunk per transaction first, each chunk is
//! a short turn among the others'; the message's own transaction then only refers to the
//! blob and marks it kept. A blob never kept (its delivery was refused or a duplicate, its
//! client gave up, ticketd stopped) is removed at start.

use rusqlite::{OptionalExtension, params};

use super::{Db, WriteTx, cached_execute, cached_row, ts};
use crate::error::{Error, Result};
use crate::ticket::Timestamp;

/// The size of one chunk, and the size from which content is written ahead as a blob.
pub const BLOB_CHUNK_BYTES: usize = 1024 * 1024;

impl Db<'_> {
    /// The whole content of a blob.
    pub fn blob(&self, blob_id: i64) -> Result<Vec<u8>> {
        let size: i64 = cached_row(self.conn, "SELECT size FROM blobs WHERE id = ?1", [blob_id], |r| {
            r.get(0)
        })
        .optional()?
        .ok_or_else(|| Error::Internal(format!("blob {blob_id} is missing")))?;
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        let mut stmt = self
            .conn
            .prepare_cached("SELECT data FROM blob_chunks WHERE blob_id = ?1 ORDER BY seq")?;
        let mut rows = stmt.query([blob_id])?;
        while let Some(row) = rows.next()? {
            bytes.extend_from_slice(row.get_ref(0)?.as_blob().map_err(rusqlite::Error::from)?);
        }
        if bytes.len() as i64 != size {
            return Err(Error::Internal(format!(
                "blob {blob_id} holds {} of its {size} bytes",
                bytes.len()
            )));
        }
        Ok(bytes)
    }

    /// The first `n` bytes of a blob (a summary's worth), and its size.
    pub fn blob_head(&self, blob_id: i64, n: usize) -> Result<(i64, Vec<u8>)> {
        let size: i64 = cached_row(self.conn, "SELECT size FROM blobs WHERE id = ?1", [blob_id], |r| {
            r.get(0)
        })?;
        let first: Option<Vec<u8>> = cached_row(
            self.conn,
            "SELECT CAST(substr(data, 1, ?2) AS BLOB) FROM blob_chunks WHERE blob_id = ?1 AND seq = 0",
            params![blob_id, n as i64],
            |r| r.get(0),
        )
        .optional()?;
        Ok((size, first.unwrap_or_default()))
    }

    /// Bytes that are either stored inline or, when `blob_id` is set, in a blob.
    pub(super) fn inline_or_blob(&self, inline: Vec<u8>, blob_id: Option<i64>) -> Result<Vec<u8>> {
        match blob_id {
            Some(id) => self.blob(id),
            None => Ok(inline),
        }
    }
}

impl WriteTx<'_> {
    /// Starts a blob of `size` bytes, not yet kept; its chunks follow with
    /// [`append_blob_chunk`](Self::append_blob_chunk), each best in a transaction of its own.
    pub fn begin_blob(&self, size: usize, now: Timestamp) -> Result<i64> {
        cached_execute(
            self.conn(),
            "INSERT INTO blobs (size, created) VALUES (?1, ?2)",
            params![size as i64, ts(now)],
        )?;
        Ok(self.conn().last_insert_rowid())
    }

    /// Writes chunk number `seq` (from 0) of a blob that is not kept yet.
    pub fn append_blob_chunk(&self, blob_id: i64, seq: i64, data: &[u8]) -> Result<()> {
        let kept: Option<bool> = cached_row(self.conn(), "SELECT kept FROM blobs WHERE id = ?1", [blob_id], |r| {
            r.get(0)
        })
        .optional()?;
        if kept != Some(false) {
            return Err(Error::Internal(format!("blob {blob_id} is not being written")));
        }
        cached_execute(
            self.conn(),
            "INSERT INTO blob_chunks (blob_id, seq, data) VALUES (?1, ?2, ?3)",
            params![blob_id, seq, data],
        )?;
        Ok(())
    }

    /// Marks a blob kept, once it is whole: what refers to it is being stored.
    pub(super) fn keep_blob(&self, blob_id: i64) -> Result<()> {
        let (size, written, kept): (i64, i64, bool) = cached_row(
            self.conn(),
            "SELECT b.size, (SELECT COALESCE(SUM(length(data)), 0) FROM blob_chunks WHERE blob_id = b.id), b.kept \
             FROM blobs b WHERE b.id = ?1",
            [blob_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?
        .ok_or_else(|| Error::Internal(format!("blob {blob_id} does not exist")))?;
        if kept || size != written {
            return Err(Error::Internal(format!(
                "blob {blob_id} cannot be kept: {written} of {size} bytes written, kept already: {kept}"
            )));
        }
        cached_execute(self.conn(), "UPDATE blobs SET kept = 1 WHERE id = ?1", [blob_id])?;
        Ok(())
    }

    /// Removes a blob and its chunks unless it was kept.
    pub fn drop_unkept_blob(&self, blob_id: i64) -> Result<()> {
        let kept: Option<bool> = cached_row(self.conn(), "SELECT kept FROM blobs WHERE id = ?1", [blob_id], |r| {
            r.get(0)
        })
        .optional()?;
        if kept == Some(false) {
            cached_execute(self.conn(), "DELETE FROM blob_chunks WHERE blob_id = ?1", [blob_id])?;
            cached_execute(self.conn(), "DELETE FROM blobs WHERE id = ?1", [blob_id])?;
        }
        Ok(())
    }

    /// Removes every blob that was never kept. Only for start-up, when no delivery is
    /// writing one; returns how many went.
    pub fn drop_unkept_blobs(&self) -> Result<usize> {
        cached_execute(
            self.conn(),
            "DELETE FROM blob_chunks WHERE blob_id IN (SELECT id FROM blobs WHERE kept = 0)",
            [],
        )?;
        Ok(cached_execute(self.conn(), "DELETE FROM blobs WHERE kept = 0", [])?)
    }
}
