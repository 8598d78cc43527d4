#!/usr/bin/env python3
"""What a reference mail reader sees in each message of tests/corpus/mail-quality/.

Python's `email` package with `policy=default` reads each fixture, and this writes
tests/mail-quality/<name>.json: the subject, the text a mail client shows (the preferred
text/plain body, else the HTML one, with its kind), and the attachments (filename, type,
and the decoded size of non-text parts). tests/it/mail_quality.rs delivers each fixture
through mailgate and compares the ticket with it.

    python3 tests/mail-quality/reference.py            # writes the missing files
    python3 tests/mail-quality/reference.py --force    # rewrites all of them

A file may carry a "ticketd" object that replaces some of the reference's fields, with a
"why": a deliberate difference (for example Python's email keeps a broken filename that
a mail client repairs). --force keeps those objects.
"""

import email
import email.policy
import json
import sys
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "corpus" / "mail-quality"
EXPECTED = ROOT / "mail-quality"


class Words(HTMLParser):
    """The text of an HTML document, without script and style."""

    def __init__(self):
        super().__init__()
        self.out, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "head", "title"):
            self.skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head", "title") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.out.append(data)


def text_of(part):
    try:
        return part.get_content()
    except Exception:  # an unknown charset: what a client would show, near enough
        return (part.get_payload(decode=True) or b"").decode("utf-8", "replace")


def attachments(part, out):
    """Leaves of the MIME tree that are files; attached messages are not descended into,
    as ticketd keeps them whole."""
    maintype = part.get_content_maintype()
    if maintype == "multipart":
        for child in part.iter_parts():
            attachments(child, out)
        return
    filename = part.get_filename()
    if filename is None and part.get_content_type() != "message/rfc822":
        return
    entry = {"filename": filename, "content_type": part.get_content_type()}
    if maintype not in ("text", "message"):
        entry["size"] = len(part.get_payload(decode=True) or b"")
    out.append(entry)


def read(path):
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    subject = " ".join(str(msg.get("subject", "")).split())
    body = msg.get_body(preferencelist=("plain", "html"))
    kind, text = "none", ""
    if body is not None:
        text = text_of(body)
        kind = "html" if body.get_content_subtype() == "html" else "plain"
        if kind == "html":
            words = Words()
            words.feed(text)
            text = "".join(words.out)
    files = []
    if msg.is_multipart():
        attachments(msg, files)
    return {
        "reference": "Python %d.%d email, policy=default" % sys.version_info[:2],
        "subject": subject,
        "text_kind": kind,
        "text": text,
        "attachments": files,
    }


def main():
    force = "--force" in sys.argv[1:]
    written = 0
    for path in sorted(FIXTURES.iterdir()):
        if path.name.endswith(".md") or path.name.startswith("."):
            continue
        target = EXPECTED / (path.name + ".json")
        old = json.loads(target.read_text()) if target.exists() else None
        if old is not None and not force:
            continue
        new = read(path)
        if old and "ticketd" in old:
            new["ticketd"] = old["ticketd"]
        target.write_text(json.dumps(new, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
        written += 1
        print("wrote", target.relative_to(ROOT.parent))
    print(written, "written")


if __name__ == "__main__":
    main()
