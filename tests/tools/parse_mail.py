#!/usr/bin/env python3
"""Reads the mail ticketd wrote with its file transport back as a mail client would.

Usage: parse_mail.py DIR

Every DIR/*.eml is parsed by Python's own `email` package (the strict, modern policy), a
second reader beside the mail-parser crate ticketd uses, and printed as one JSON array,
sorted by file name, of what the tests in tests/it/outbound_quality.rs check: the headers
that decide how a client shows and threads a message, the body text, the attachments with
their names and sizes, and every defect the parser found.
"""

import email
import email.policy
import hashlib
import json
import pathlib
import sys


def mailboxes(message, name):
    """The addresses of an address header, each with its display name."""
    header = message[name]
    if header is None:
        return []
    return [
        {"name": address.display_name, "address": address.addr_spec}
        for address in header.addresses
    ]


def message_ids(value):
    """The Message-IDs of In-Reply-To or References, without angle brackets."""
    if value is None:
        return []
    return [word.strip("<>") for word in str(value).split()]


def defects(message):
    """Every defect the parser noted, in the message or any of its parts."""
    found = [type(d).__name__ for d in message.defects]
    for part in message.walk():
        if part is not message:
            found.extend(type(d).__name__ for d in part.defects)
    return found


def summary(path):
    raw = path.read_bytes()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    body = message.get_body(preferencelist=("plain",))
    attachments = []
    for part in message.iter_attachments():
        content = part.get_payload(decode=True) or b""
        attachments.append(
            {
                "filename": part.get_filename(),
                "content_type": part.get_content_type(),
                "size": len(content),
                "sha256": hashlib.sha256(content).hexdigest(),
            }
        )
    envelope_path = path.with_suffix(".json")
    envelope = json.loads(envelope_path.read_text()) if envelope_path.exists() else {}
    return {
        "file": path.name,
        "envelope_to": envelope.get("forward_path", []),
        "mime_version": message["MIME-Version"],
        "content_type": message.get_content_type(),
        "from": mailboxes(message, "From"),
        "to": mailboxes(message, "To"),
        "cc": mailboxes(message, "Cc"),
        "reply_to": mailboxes(message, "Reply-To"),
        "subject": message["Subject"],
        "message_id": message_ids(message["Message-ID"])[0] if message["Message-ID"] else None,
        "in_reply_to": message_ids(message["In-Reply-To"]),
        "references": message_ids(message["References"]),
        "auto_submitted": message["Auto-Submitted"],
        "precedence": message["Precedence"],
        "loop": message["X-Ticketd-Loop"],
        "body": body.get_content() if body is not None else None,
        "attachments": attachments,
        "defects": defects(message),
        "longest_line": max((len(line) for line in raw.split(b"\r\n")), default=0),
    }


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: parse_mail.py DIR")
    directory = pathlib.Path(sys.argv[1])
    files = sorted(directory.glob("*.eml")) if directory.is_dir() else []
    json.dump([summary(path) for path in files], sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
