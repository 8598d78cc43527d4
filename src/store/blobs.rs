//! Blobs: large raw messages and MIME parts, written in chunks ahead of the transaction
//! that keeps them.
//!
//! There is one writer. A 40 MB message written in one transaction holds it for seconds,
//! and every delivery behind it waits. Written a chunk per transaction first, each chunk is
//! a short turn among the others'; the message's own transaction then only refers to the
//! blob and marks it kept. A blob never kept (its delivery was refused or a duplicate, its
//! client gave up, ticketd stopped) is removed at start.

use super::sql::{self, ValueRef, params};
use super::{Db, WriteTx, ts};
use crate::error::{Error, Result};
use crate::ticket::Timestamp;

/// The size of one chunk, and the size from which content is written ahead as a blob.
pub const BLOB_CHUNK_BYTES: usize = 1024 * 1024;

impl Db<'_> {
    /// The whole content of a blob.
    pub fn blob(&self, blob_id: i64) -> Result<Vec<u8>> {
        let size: i64 = sql::optional(self.sql(), "SELECT size FROM blobs WHERE id = ?1", [blob_id], |r| {
            r.get(0)
        })?
        .ok_or_else(|| Error::Internal(format!("blob {blob_id} is missing")))?;
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        sql::each(
            self.sql(),
            "SELECT data FROM blob_chunks WHERE blob_id = ?1 ORDER BY seq",
            [blob_id],
            |r| match r.value(0)? {
                ValueRef::Blob(chunk) => {
                    bytes.extend_from_slice(chunk);
                    Ok(())
                }
                _ => Err(Error::Internal(format!("a chunk of blob {blob_id} is not a blob"))),
            },
        )?;
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
        let size: i64 = sql::one(self.sql(), "SELECT size FROM blobs WHERE id = ?1", [blob_id], |r| {
            r.get(0)
        })?;
        let first: Option<Vec<u8>> = sql::optional(
            self.sql(),
            "SELECT substr(data, 1, ?2) FROM blob_chunks WHERE blob_id = ?1 AND seq = 0",
            params![blob_id, n as i64],
            |r| r.get(0),
        )?;
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
        sql::one(
            self.sql(),
            "INSERT INTO blobs (size, created) VALUES (?1, ?2) RETURNING id",
            params![size as i64, ts(now)],
            |r| r.get(0),
        )
    }

    /// Writes chunk number `seq` (from 0) of a blob that is not kept yet.
    pub fn append_blob_chunk(&self, blob_id: i64, seq: i64, data: &[u8]) -> Result<()> {
        let kept: Option<bool> = sql::optional(self.sql(), "SELECT kept FROM blobs WHERE id = ?1", [blob_id], |r| {
            r.get(0)
        })?;
        if kept != Some(false) {
            return Err(Error::Internal(format!("blob {blob_id} is not being written")));
        }
        sql::execute(
            self.sql(),
            "INSERT INTO blob_chunks (blob_id, seq, data) VALUES (?1, ?2, ?3)",
            params![blob_id, seq, data],
        )?;
        Ok(())
    }

    /// Marks a blob kept, once it is whole: what refers to it is being stored.
    pub(super) fn keep_blob(&self, blob_id: i64) -> Result<()> {
        let (size, written, kept): (i64, i64, bool) = sql::optional(
            self.sql(),
            "SELECT b.size, (SELECT CAST(COALESCE(SUM(length(data)), 0) AS BIGINT) FROM blob_chunks \
             WHERE blob_id = b.id), b.kept FROM blobs b WHERE b.id = ?1",
            [blob_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?
        .ok_or_else(|| Error::Internal(format!("blob {blob_id} does not exist")))?;
        if kept || size != written {
            return Err(Error::Internal(format!(
                "blob {blob_id} cannot be kept: {written} of {size} bytes written, kept already: {kept}"
            )));
        }
        sql::execute(self.sql(), "UPDATE blobs SET kept = 1 WHERE id = ?1", [blob_id])?;
        Ok(())
    }

    /// Removes a blob and its chunks unless it was kept.
    pub fn drop_unkept_blob(&self, blob_id: i64) -> Result<()> {
        let kept: Option<bool> = sql::optional(self.sql(), "SELECT kept FROM blobs WHERE id = ?1", [blob_id], |r| {
            r.get(0)
        })?;
        if kept == Some(false) {
            sql::execute(self.sql(), "DELETE FROM blob_chunks WHERE blob_id = ?1", [blob_id])?;
            sql::execute(self.sql(), "DELETE FROM blobs WHERE id = ?1", [blob_id])?;
        }
        Ok(())
    }

    /// Removes every blob that was never kept. Only for start-up, when no delivery is
    /// writing one; returns how many went.
    pub fn drop_unkept_blobs(&self) -> Result<usize> {
        sql::execute(
            self.sql(),
            "DELETE FROM blob_chunks WHERE blob_id IN (SELECT id FROM blobs WHERE kept = 0)",
            [],
        )?;
        sql::execute(self.sql(), "DELETE FROM blobs WHERE kept = 0", [])
    }
}

#[cfg(test)]
mod tests {
    use crate::store::{RawBytes, Store, parse_ts};

    #[test]
    fn a_blob_written_in_chunks_is_kept_read_whole_and_summarised() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let now = parse_ts("2026-12-01T10:00:00Z").unwrap();
        let message = format!("From: a@example.net\nSubject: big\n\n{}", "x".repeat(3000)).into_bytes();
        let tx = store.begin().unwrap();
        let blob = tx.begin_blob(message.len(), now).unwrap();
        let (head, tail) = message.split_at(1000);
        tx.append_blob_chunk(blob, 0, head).unwrap();
        tx.append_blob_chunk(blob, 1, tail).unwrap();
        let unkept = tx.begin_blob(10, now).unwrap();
        tx.append_blob_chunk(unkept, 0, b"12345").unwrap();
        tx.commit().unwrap();

        let tx = store.begin().unwrap();
        let mut raw = RawBytes::new(&message);
        raw.blob = Some(blob);
        let raw_id = tx.insert_raw_message(&raw, "general", "correspond", now).unwrap();
        assert!(
            tx.append_blob_chunk(blob, 2, b"more").is_err(),
            "a kept blob takes no more"
        );
        assert_eq!(tx.raw_message(raw_id).unwrap(), message);
        assert_eq!(
            tx.blob_head(blob, 10).unwrap(),
            (message.len() as i64, message[..10].to_vec())
        );
        let quarantined = tx.insert_quarantine(raw_id, "{}", "refused", now).unwrap();
        let entry = tx.quarantine_entry(quarantined).unwrap();
        assert_eq!(entry.size, message.len() as i64);
        assert_eq!(entry.summary, "From: a@example.net\nSubject: big");
        assert_eq!(tx.drop_unkept_blobs().unwrap(), 1);
        assert!(
            tx.append_blob_chunk(unkept, 1, b"6").is_err(),
            "the unkept blob is gone"
        );
        assert_eq!(tx.blob(blob).unwrap(), message);
    }
}
