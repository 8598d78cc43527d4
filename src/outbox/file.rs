//! The `file:DIR` transport: each message as `DIR/<name>.eml`, its envelope as
//! `DIR/<name>.json`, where the name is the outbox row's Message-ID ([`file_name`]).
//!
//! Delivery is at least once: a crash after the files are written but before the outbox
//! records "sent" writes them again on restart. Since the name comes from the row, the
//! second write replaces the first instead of leaving a duplicate. Each file is written
//! under a temporary name, flushed to disk and renamed into place, the message before
//! its envelope: a reader never sees half a file, and never an envelope without its
//! message (whatever picks the files up takes the envelope as the sign that both are
//! there). Temporary files a crash left behind are removed when the transport starts.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::Attempt;
use crate::error::{Error, Result};
use crate::store::Outgoing;

/// Temporary files are `.<name>.<ext>.tmp`: hidden, and never taken for mail.
const TEMPORARY_SUFFIX: &str = ".tmp";

/// Names longer than this (in bytes) are replaced by a hash, well below the usual 255.
const MAX_NAME: usize = 200;

/// Writes outgoing mail into a directory.
#[derive(Debug, Clone)]
pub struct FileTransport {
    dir: PathBuf,
}

impl FileTransport {
    /// Creates the directory if needed and removes what an interrupted write left.
    pub fn new(dir: &Path) -> Result<FileTransport> {
        std::fs::create_dir_all(dir).map_err(|e| {
            Error::Invalid(format!(
                "cannot create the outgoing mail directory {}: {e}",
                dir.display()
            ))
        })?;
        remove_leftovers(dir);
        Ok(FileTransport { dir: dir.to_path_buf() })
    }

    /// Writes one message and its envelope.
    pub async fn send(&self, message: &Outgoing) -> Attempt {
        let dir = self.dir.clone();
        let name = file_name(&message.message_id);
        let bytes = message.message.clone();
        let envelope = serde_json::json!({
            "forward_path": message.recipients,
            "reverse_path": message.envelope_from,
        })
        .to_string();
        let written =
            tokio::task::spawn_blocking(move || write_message(&dir, &name, &bytes, envelope.as_bytes())).await;
        match written {
            Ok(Ok(())) => Attempt::Sent,
            Ok(Err(e)) => Attempt::Temporary(format!("writing the message file: {e}")),
            Err(e) => Attempt::Temporary(format!("writing the message file: {e}")),
        }
    }
}

/// The file name (without extension) for a Message-ID: the ID itself where it is made of
/// letters, digits and `.-_@+=` (ours always are), other bytes as `%XX`, and a leading dot
/// escaped too; an ID too long for a file name becomes `sha256-<hex>`. Two different IDs
/// never get the same name.
pub fn file_name(message_id: &str) -> String {
    let mut name = String::with_capacity(message_id.len());
    for (i, byte) in message_id.bytes().enumerate() {
        let plain = byte.is_ascii_alphanumeric() || (b"-_@+=".contains(&byte)) || (byte == b'.' && i > 0);
        if plain {
            name.push(char::from(byte));
        } else {
            name.push_str(&format!("%{byte:02X}"));
        }
    }
    if name.is_empty() || name.len() > MAX_NAME {
        let hash = Sha256::digest(message_id.as_bytes());
        let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
        return format!("sha256-{hex}");
    }
    name
}

/// Writes `DIR/<name>.eml` and then `DIR/<name>.json`, each complete or not at all.
fn write_message(dir: &Path, name: &str, message: &[u8], envelope: &[u8]) -> std::io::Result<()> {
    let temporary = |ext: &str| dir.join(format!(".{name}.{ext}{TEMPORARY_SUFFIX}"));
    write_synced(&temporary("eml"), message)?;
    write_synced(&temporary("json"), envelope)?;
    std::fs::rename(temporary("eml"), dir.join(format!("{name}.eml")))?;
    std::fs::rename(temporary("json"), dir.join(format!("{name}.json")))?;
    // the renames themselves, so "sent" is never recorded for files a power cut loses
    std::fs::File::open(dir)?.sync_all()
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Removes the temporary files of writes a crash interrupted. Their messages are still
/// pending in the outbox and are written again.
fn remove_leftovers(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') && name.ends_with(TEMPORARY_SUFFIX) {
            match std::fs::remove_file(entry.path()) {
                Ok(()) => tracing::info!(file = %entry.path().display(), "removed an unfinished outgoing file"),
                Err(e) => tracing::warn!(file = %entry.path().display(), error = %e,
                    "cannot remove an unfinished outgoing file"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_message_ids_are_their_own_file_names() {
        assert_eq!(
            file_name("ticketd.7.0123abcd@tickets.test"),
            "ticketd.7.0123abcd@tickets.test"
        );
    }

    #[test]
    fn other_ids_cannot_leave_the_directory_or_collide() {
        assert_eq!(file_name("../../etc/passwd"), "%2E.%2F..%2Fetc%2Fpasswd");
        assert_eq!(file_name(".hidden"), "%2Ehidden");
        assert_ne!(file_name("a/b"), file_name("a%2Fb"));
        assert_eq!(file_name("a%2Fb"), "a%252Fb");
        let long = file_name(&"x".repeat(500));
        assert!(long.starts_with("sha256-") && long.len() < MAX_NAME, "{long}");
        assert!(file_name("").starts_with("sha256-"));
    }

    #[test]
    fn a_second_write_replaces_the_first_and_leaves_no_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        write_message(dir.path(), "m", b"first", b"{}").unwrap();
        write_message(dir.path(), "m", b"second", b"{}").unwrap();
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["m.eml", "m.json"]);
        assert_eq!(std::fs::read(dir.path().join("m.eml")).unwrap(), b"second");
    }

    #[test]
    fn what_an_interrupted_write_left_is_removed_at_start() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".m.eml.tmp"), "half").unwrap();
        std::fs::write(dir.path().join("n.eml"), "kept").unwrap();
        FileTransport::new(dir.path()).unwrap();
        assert!(!dir.path().join(".m.eml.tmp").exists());
        assert!(dir.path().join("n.eml").exists());
    }
}
