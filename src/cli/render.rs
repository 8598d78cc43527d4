//! tkt's text output: what people read when they do not ask for `--json`.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::wire::{
    ContentHit, Explained, GroupInfo, JobRun, JobStatus, QuarantineEntry, Queue, ReportRow, RuleTest, SavedSearch,
    ShredCount, SlaReport, Ticket, TokenInfo, Transaction, TransactionKind, User,
};

/// A ticket as RT's CLI shows it.
pub fn render_ticket(t: &Ticket) -> String {
    let mut s = format!(
        "Ticket #{}: {}\nQueue: {}  Status: {}  Owner: {}  Priority: {} (initial {}, final {})\n\
         Requestors: {}\nCc: {}\nAdminCc: {}\nCreated: {}  Updated: {}\n",
        t.id,
        t.subject,
        t.queue,
        t.status,
        t.owner,
        t.priority,
        t.initial_priority,
        t.final_priority,
        t.requestors.join(", "),
        t.cc.join(", "),
        t.admincc.join(", "),
        t.created.to_rfc3339(),
        t.updated.to_rfc3339(),
    );
    let dates = [
        ("Starts", t.starts),
        ("Started", t.started),
        ("Due", t.due),
        ("Resolved", t.resolved),
        ("Told", t.told),
    ];
    let dates: Vec<String> = dates
        .iter()
        .filter_map(|(name, at)| at.map(|at| format!("{name}: {}", at.to_rfc3339())))
        .collect();
    if !dates.is_empty() {
        s.push_str(&dates.join("  "));
        s.push('\n');
    }
    if let Some(level) = &t.sla {
        s.push_str(&format!("SLA: {level}\n"));
    }
    s.push_str(&format!(
        "Time worked: {} min  estimated: {} min  left: {} min\n",
        t.time_worked, t.time_estimated, t.time_left
    ));
    if !t.links.is_empty() {
        let links: Vec<String> = t.links.iter().map(|l| format!("{} #{}", l.name, l.target)).collect();
        s.push_str(&format!("Links: {}\n", links.join(", ")));
    }
    for (name, values) in &t.custom_fields {
        s.push_str(&format!("CF.{{{name}}}: {}\n", values.join(", ")));
    }
    for x in t.transactions.iter().flatten() {
        s.push_str(&render_transaction(x));
    }
    s
}

fn render_transaction(x: &Transaction) -> String {
    // an alert repeated onto its ticket: one line each (`tkt raw` has the message)
    if x.kind == TransactionKind::Comment && x.field.as_deref() == Some("Alert") {
        return format!(
            "--- #{} Alert {} by {} at {}\n",
            x.id,
            x.new_value.as_deref().unwrap_or_default(),
            x.creator,
            x.created.to_rfc3339()
        );
    }
    let what = match (&x.field, &x.old_value, &x.new_value) {
        _ if x.had_commands() => format!("{} (commands by mail cut from the text)", x.kind),
        (Some(field), old, new) if matches!(x.kind, TransactionKind::Set | TransactionKind::Status) => format!(
            "{field}: {} -> {}",
            old.as_deref().unwrap_or("(none)"),
            new.as_deref().unwrap_or("(none)")
        ),
        (Some(field), old, new) => {
            format!(
                "{} {field} {}",
                x.kind,
                new.as_deref().or(old.as_deref()).unwrap_or_default()
            )
        }
        _ => x.kind.to_string(),
    };
    let mut s = format!(
        "\n--- #{} {what} by {} at {}\n",
        x.id,
        x.creator,
        x.created.to_rfc3339()
    );
    if !x.content.is_empty() {
        s.push_str(x.content.trim_end());
        s.push('\n');
    }
    for a in &x.attachments {
        let name = a.filename.as_deref().map(|f| format!(" {f}")).unwrap_or_default();
        s.push_str(&format!(
            "  [attachment {}:{name} {} {} bytes]\n",
            a.id, a.content_type, a.size
        ));
    }
    s
}

/// Search results, one line each under a heading, in columns that line up whatever the
/// text: padded by the width a terminal gives each character (CJK takes two), long
/// values cut with an ellipsis, control characters never reaching the terminal.
pub fn render_list(tickets: &[Ticket]) -> String {
    if tickets.is_empty() {
        return "No matching tickets.\n".into();
    }
    // the widest a column grows before its values are cut
    const LIMITS: [usize; 5] = [10, 16, 20, 30, 60];
    let heading = ["#", "Status", "Queue", "Owner", "Subject"].map(String::from);
    let rows: Vec<[String; 5]> = tickets
        .iter()
        .map(|t| {
            let cells = [
                t.id.to_string(),
                t.status.to_string(),
                t.queue.clone(),
                t.owner.clone(),
                t.subject.clone(),
            ];
            std::array::from_fn(|i| cell(&cells[i], LIMITS[i]))
        })
        .collect();
    let widths: [usize; 5] =
        std::array::from_fn(|i| rows.iter().chain([&heading]).map(|r| r[i].width()).max().unwrap_or(0));
    let mut out = String::new();
    for row in [&heading].into_iter().chain(&rows) {
        let mut line = format!("{}{}", " ".repeat(widths[0] - row[0].width()), row[0]);
        for (text, width) in row.iter().zip(widths).skip(1) {
            line.push_str("  ");
            line.push_str(text);
            line.push_str(&" ".repeat(width - text.width()));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Text for one column: control characters (and the bidirectional overrides that
/// reorder a line) made harmless, and cut to `limit` terminal columns with an ellipsis.
fn cell(text: &str, limit: usize) -> String {
    let clean = crate::text::for_terminal(&text.replace(['\t', '\n', '\r'], " "));
    if clean.width() <= limit {
        return clean;
    }
    let mut cut = String::new();
    let mut used = 0;
    for c in clean.chars() {
        used += c.width().unwrap_or(0);
        if used >= limit {
            break;
        }
        cut.push(c);
    }
    cut.push('…');
    cut
}

/// Quarantined messages, one line each.
pub fn quarantine_list(entries: &[QuarantineEntry]) -> String {
    if entries.is_empty() {
        return "The quarantine is empty.\n".into();
    }
    entries
        .iter()
        .map(|e| format!("{:>5}  {}  {}  {}\n", e.id, e.received.to_rfc3339(), e.status, e.error))
        .collect()
}

/// One quarantined message.
pub fn quarantine_entry(e: &QuarantineEntry) -> String {
    format!(
        "Quarantine entry {}\nReceived: {}\nStatus: {}\nAttempts: {}\nTicket: {}\nDelivery: {}\nSize: {} bytes\n\
         Error: {}\n\n{}\n",
        e.id,
        e.received.to_rfc3339(),
        e.status,
        e.attempts,
        e.ticket.map_or("-".into(), |t| t.to_string()),
        e.delivery,
        e.size,
        e.error,
        e.summary
    )
}

/// A user.
pub fn user(u: &User) -> String {
    format!(
        "User {}: {}\nEmail: {}\nName: {}\nPrivileged: {}\nDisabled: {}\n",
        u.id,
        u.name,
        u.email.as_deref().unwrap_or("-"),
        u.real_name,
        if u.privileged { "yes" } else { "no" },
        if u.disabled { "yes" } else { "no" },
    )
}

/// Users, one line each.
pub fn users(users: &[User]) -> String {
    let mut s = String::new();
    for u in users {
        let flags = match (u.privileged, u.disabled) {
            (_, true) => "disabled",
            (true, false) => "staff",
            (false, false) => "requestor",
        };
        s.push_str(&format!("{:>6}  {:<10} {:<32} {}\n", u.id, flags, u.name, u.real_name));
    }
    s
}

/// Groups with their members.
pub fn groups(groups: &[GroupInfo]) -> String {
    let mut s = String::new();
    for g in groups {
        let members = if g.domain == "system" {
            "(implied)".to_string()
        } else {
            g.members.join(", ")
        };
        s.push_str(&format!("{:<20} {:<13} {}\n", g.name, g.domain, members));
    }
    s
}

/// Queues with their addresses and watchers.
pub fn queues(queues: &[Queue]) -> String {
    let mut s = String::new();
    for q in queues {
        let tag = q.tag.as_deref().map(|t| format!("; tag {t}")).unwrap_or_default();
        s.push_str(&format!(
            "{:<16} {} (comments: {})  [{}; non-watcher mail: {}{tag}]\n",
            q.name, q.address, q.comment_address, q.source, q.non_watcher_mail
        ));
        if !q.cc.is_empty() {
            s.push_str(&format!("{:<16} Cc: {}\n", "", q.cc.join(", ")));
        }
        if !q.admincc.is_empty() {
            s.push_str(&format!("{:<16} AdminCc: {}\n", "", q.admincc.join(", ")));
        }
    }
    s
}

/// Tokens, one line each (never the secret).
pub fn tokens(tokens: &[TokenInfo]) -> String {
    let mut s = String::new();
    for t in tokens {
        let state = match (&t.revoked, &t.expires) {
            (Some(at), _) => format!("revoked {}", at.to_rfc3339()),
            (None, Some(at)) => format!("expires {}", at.to_rfc3339()),
            (None, None) => "valid".into(),
        };
        s.push_str(&format!(
            "{:>5}  {:<32} {:<30} {}\n",
            t.id, t.user, state, t.description
        ));
    }
    if tokens.is_empty() {
        s.push_str("No tokens.\n");
    }
    s
}

/// What a shred removed, or would remove.
pub fn shred(id: i64, counts: &[ShredCount], done: bool) -> String {
    let mut s = if done {
        format!("Ticket {id} shredded; removed:\n")
    } else {
        format!("Shredding ticket {id} would remove (run again with --yes to do it):\n")
    };
    for c in counts.iter().filter(|c| c.rows > 0) {
        s.push_str(&format!("  {:<28} {}\n", c.table, c.rows));
    }
    s
}

/// The rules, numbered in the order they run, each in the config's own syntax.
pub fn rules(rules: &[crate::rules::Rule]) -> String {
    let mut out = String::new();
    for (n, rule) in rules.iter().enumerate() {
        let state = if rule.disabled { " (disabled)" } else { "" };
        out.push_str(&format!("# {}. {}{state}\n", n + 1, rule.name));
        out.push_str(&toml::to_string(rule).unwrap_or_else(|e| format!("# cannot show: {e}\n")));
        out.push('\n');
    }
    if rules.is_empty() {
        out.push_str("No rules.\n");
    }
    out
}

/// A rendered template, as the mail would start.
pub fn rendered_template(t: &crate::template::Rendered) -> String {
    let mut out = format!("Subject: {}\n", t.subject);
    for (name, value) in &t.headers {
        out.push_str(&format!("{name}: {value}\n"));
    }
    out.push('\n');
    out.push_str(&t.body);
    out
}

/// What a dry run of a message did.
pub fn rule_test(t: &RuleTest, full: bool) -> String {
    let mut out = String::from("Dry run: nothing was kept.\n");
    let ticket = t.outcome.ticket.map_or("-".into(), |id| id.to_string());
    out.push_str(&format!("Outcome: {:?}, ticket {ticket}\n", t.outcome.outcome).to_lowercase());
    out.push_str("\nRules that fire:\n");
    if t.trace.fired.is_empty() {
        out.push_str("  none\n");
    }
    for f in &t.trace.fired {
        let indent = "  ".repeat(f.depth as usize + 1);
        out.push_str(&format!(
            "{indent}{} (ticket {}, transaction {})\n",
            f.rule, f.ticket, f.transaction
        ));
    }
    out.push_str("\nMail they send:\n");
    if t.trace.mail.is_empty() {
        out.push_str("  none\n");
    }
    for m in &t.trace.mail {
        let subject = m
            .message
            .lines()
            .take_while(|l| !l.is_empty())
            .find_map(|l| l.strip_prefix("Subject: "))
            .unwrap_or_default();
        out.push_str(&format!(
            "  {}: to {}\n    Subject: {subject}\n",
            m.rule,
            m.recipients.join(", ")
        ));
        if full {
            out.push_str(&format!("\n{}\n", m.message));
        }
    }
    if let Some(ticket) = &t.ticket {
        out.push_str(&format!(
            "\nTicket {} after: status {}, owner {}, priority {}, queue {}\n",
            ticket.id, ticket.status, ticket.owner, ticket.priority, ticket.queue
        ));
    }
    out
}

/// A report: one row per group, with counts, and a total.
pub fn report(groups: &[String], rows: &[ReportRow]) -> String {
    let mut header: Vec<String> = groups.to_vec();
    header.push("Tickets".into());
    let mut table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut cells = r.group.clone();
            cells.push(r.count.to_string());
            cells
        })
        .collect();
    let total: i64 = rows.iter().map(|r| r.count).sum();
    let mut last = vec![String::new(); groups.len()];
    if let Some(first) = last.first_mut() {
        *first = "Total".into();
    }
    last.push(total.to_string());
    table.push(last);
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            table
                .iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, w))| {
                if i + 1 == cells.len() {
                    format!("{c:>w$}")
                } else {
                    format!("{c:<w$}")
                }
            })
            .collect();
        format!("{}\n", padded.join("  ").trim_end())
    };
    let mut out = line(&header);
    for row in &table {
        out.push_str(&line(row));
    }
    out
}

/// Full-text hits, best first.
pub fn content_hits(hits: &[ContentHit]) -> String {
    if hits.is_empty() {
        return "No ticket matches.\n".into();
    }
    hits.iter()
        .map(|h| format!("#{} {}\n    {}\n", h.ticket, h.subject, h.snippet))
        .collect()
}

/// A user's saved searches.
pub fn saved_searches(saved: &[SavedSearch]) -> String {
    if saved.is_empty() {
        return "No saved searches.\n".into();
    }
    saved.iter().map(|s| format!("{}: {}\n", s.name, s.query)).collect()
}

/// What a query compiles to.
pub fn explained(e: &Explained) -> String {
    let params: Vec<String> = e.params.iter().map(ToString::to_string).collect();
    format!(
        "TicketSQL: {}\nSQL: {}\nParameters: [{}]\n",
        e.ticketsql,
        e.sql,
        params.join(", ")
    )
}

/// `tkt admin jobs`: each job, its schedule, next slot and last run.
pub fn jobs(jobs: &[JobStatus]) -> String {
    let mut out = format!(
        "{:<18} {:<16} {:<18} {:<21} {}\n",
        "JOB", "TASK", "SCHEDULE", "NEXT", "LAST RUN"
    );
    for status in jobs {
        let task = serde_json::to_value(status.job.task)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let next = status
            .next
            .map_or("-".into(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string());
        let last = status.last.as_ref().map_or("never".into(), |r| {
            format!(
                "{} {} ({} ms): {}",
                r.slot.format("%Y-%m-%d %H:%M"),
                r.outcome,
                r.duration_ms,
                r.detail
            )
        });
        out.push_str(&format!(
            "{:<18} {:<16} {:<18} {:<21} {last}\n",
            status.job.name, task, status.job.schedule, next
        ));
    }
    out
}

/// Runs of jobs, one per line.
pub fn job_runs(runs: &[JobRun]) -> String {
    runs.iter()
        .map(|r| {
            format!(
                "{} {} for {} (started {}, {} ms): {}\n",
                r.job,
                r.outcome,
                r.slot.format("%Y-%m-%d %H:%M"),
                r.started.format("%Y-%m-%d %H:%M:%S"),
                r.duration_ms,
                r.detail
            )
        })
        .collect()
}

/// `tkt sla N`: where a ticket stands against its service level.
pub fn sla(r: &SlaReport) -> String {
    let at = |t: Option<crate::ticket::Timestamp>| t.map_or("-".into(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string());
    let Some(level) = &r.level else {
        return format!(
            "Ticket #{}: its queue has no service level (due {}).\n",
            r.ticket,
            at(r.due)
        );
    };
    let mut out = format!("Ticket #{}: service level {level}", r.ticket);
    if let Some(calendar) = &r.calendar {
        out.push_str(&format!(" (calendar {calendar})"));
    }
    out.push('\n');
    out.push_str(&format!("  State:          {}\n", r.state));
    if let Some(response) = &r.response {
        out.push_str(&format!("  Response:       {response}\n"));
    }
    if let Some(resolve) = &r.resolve {
        out.push_str(&format!("  Resolve:        {resolve}\n"));
    }
    out.push_str(&format!(
        "  Waiting since:  {}\n",
        r.waiting_since.map_or("- (answered)".into(), |t| at(Some(t)))
    ));
    out.push_str(&format!("  Response due:   {}\n", at(r.response_due)));
    out.push_str(&format!("  Resolve due:    {}\n", at(r.resolve_due)));
    out.push_str(&format!("  Due:            {}\n", at(r.due)));
    if let Some(left) = &r.left {
        out.push_str(&format!("  Left:           {left}\n"));
    }
    for (alarm, when) in &r.alarms {
        out.push_str(&format!("  {alarm:<15} {}\n", at(Some(*when))));
    }
    out
}

#[cfg(test)]
mod tests {
    use unicode_width::UnicodeWidthStr;

    use super::cell;

    #[test]
    fn cells_are_cut_by_terminal_width_and_made_harmless() {
        assert_eq!(cell("Printer", 10), "Printer");
        assert_eq!(cell("Printer jams again", 10), "Printer j…");
        assert_eq!(cell("Printer jams again", 10).width(), 10);
        // CJK characters take two columns each
        let cut = cell("打印机卡纸了又卡纸了", 9);
        assert_eq!(cut, "打印机卡…");
        assert!(cut.width() <= 9);
        assert_eq!(cell("a\tb\nc", 10), "a b c");
        assert_eq!(cell("\u{1b}[31mred", 10), "\u{fffd}[31mred");
        assert_eq!(cell("abc\u{202e}fed", 10), "abc\u{fffd}fed");
    }
}
