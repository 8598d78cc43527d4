//! The pages carry what the web UI's contract names (issue 16): the ids, classes and
//! fields the browser tests, user scripts and a user's habits rely on. Checked over plain
//! HTTP so that a missing field is named exactly, without a browser.

use crate::harness::*;
use crate::web::*;

/// A message from zoe with a small text attachment.
fn mail_with_attachment() -> Vec<u8> {
    format!(
        "From: Zoe Ng <zoe@example.net>\nTo: help@tickets.test\nSubject: Printer jams\n\
         Message-ID: <{id}>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n\
         --b\nContent-Type: text/plain\n\nThe printer jams on page 2.\n\
         --b\nContent-Type: text/plain; name=\"counter.txt\"\n\
         Content-Disposition: attachment; filename=\"counter.txt\"\n\npages printed: 18211\n\
         --b--\n",
        id = message_id()
    )
    .into_bytes()
}

#[test]
fn the_pages_carry_the_contracts_ids_classes_and_fields() {
    let d = web_daemon();
    d.web_staff("sam@tickets.test");
    d.deliver("general", &mail_with_attachment());
    let create_tx = d.show(1)["transactions"][0]["id"].as_i64().unwrap();
    let mut sam = Web::login(&d, "sam@tickets.test");

    // the login form
    let login = Web::new(&d).get("/login");
    assert_eq!(login.status, 200);
    let form = element(&login.body, "login");
    for field in ["user", "password"] {
        has(&form, "login", "input", "name", field);
    }
    assert_eq!(
        form.find("input", "name", "next").and_then(|t| t.attr("type")),
        Some("hidden")
    );
    has(&form, "login", "button", "type", "submit");

    // home
    let home = sam.get("/");
    assert_eq!(home.status, 200, "{home:?}");
    for id in ["my-tickets", "unowned", "queues", "saved-searches"] {
        element(&home.body, id);
    }
    let unowned = element(&home.body, "unowned");
    assert_eq!(unowned.ticket_rows(), [1]);
    assert!(unowned.tags.iter().any(|t| t.name == "form" && t.has_class("take")));
    let quick = element(&home.body, "quick-create");
    has(&quick, "quick-create", "select", "name", "queue");
    has(&quick, "quick-create", "input", "name", "subject");
    has(&quick, "quick-create", "button", "type", "submit");
    element(&home.body, "logout");

    // the ticket
    let ticket = sam.get("/ticket/1");
    assert_eq!(ticket.status, 200, "{ticket:?}");
    let page = ticket.page();
    assert!(page.text.contains("#1: Printer jams"), "{}", ticket.body);
    for id in [
        "title",
        "basics",
        "people",
        "dates",
        "links",
        "custom-fields",
        "history",
        "take",
        "logout",
    ] {
        assert!(page.by_id(id).is_some(), "ticket: no #{id}");
    }
    let create = page
        .tags("li")
        .into_iter()
        .find(|t| t.has_class("transaction") && t.attr("data-type") == Some("Create"))
        .expect("li.transaction[data-type=Create]");
    assert_eq!(create.attr("data-id"), Some(create_tx.to_string().as_str()));
    let links: Vec<&Tag> = page.tags("a");
    for class in ["reply", "comment", "attachment", "raw"] {
        assert!(links.iter().any(|a| a.has_class(class)), "ticket: no a.{class}");
    }
    assert!(page.tags.iter().any(|t| t.name == "div" && t.has_class("content")));
    let resolve = page.find("button", "value", "resolved").expect("a Resolve button");
    assert_eq!(resolve.attr("name"), Some("status"));
    let link = |class: &str| {
        links
            .iter()
            .find(|a| a.has_class(class))
            .unwrap()
            .attr("href")
            .unwrap()
            .to_string()
    };
    let reply = link("reply");
    assert!(
        reply.contains("action=correspond") && reply.contains(&format!("quote={create_tx}")),
        "a.reply goes to {reply}"
    );
    let file = sam.get(&link("attachment"));
    assert_eq!(
        (file.status, file.body.trim()),
        (200, "pages printed: 18211"),
        "{file:?}"
    );
    let raw = sam.get(&link("raw"));
    assert_eq!(raw.status, 200, "{raw:?}");
    assert!(raw.body.contains("Subject: Printer jams"), "{}", raw.body);

    // the update form, quoting the first message
    let update = sam.get(&reply);
    assert_eq!(update.status, 200, "{update:?}");
    let form = element(&update.body, "update");
    has(&form, "update", "input", "name", "action");
    has(&form, "update", "textarea", "name", "content");
    for field in ["owner", "minutes"] {
        has(&form, "update", "input", "name", field);
    }
    let file = form.find("input", "type", "file").expect("update: input[type=file]");
    assert_eq!(file.attr("name"), Some("attachment"));
    assert!(
        file.attr("multiple").is_some(),
        "update: the file input takes several files"
    );
    has(&form, "update", "select", "name", "status");
    let first_status = form.find("option", "", "").expect("update: status options");
    assert_eq!(first_status.attr("value"), Some(""), "the first status is 'unchanged'");
    assert_eq!(
        form.find("button", "name", "preview").and_then(|b| b.attr("value")),
        Some("1")
    );
    has(&form, "update", "button", "id", "send");
    let quoted = &form.text;
    assert!(
        quoted.contains("wrote:") && quoted.contains("> The printer jams on page 2."),
        "{quoted}"
    );

    // create
    let create = sam.get("/create?queue=general");
    assert_eq!(create.status, 200, "{create:?}");
    let form = element(&create.body, "create");
    has(&form, "create", "select", "name", "queue");
    for field in ["subject", "requestors"] {
        has(&form, "create", "input", "name", field);
    }
    has(&form, "create", "textarea", "name", "content");
    assert_eq!(
        form.find("input", "type", "file").and_then(|t| t.attr("name")),
        Some("attachment")
    );

    // search, save, bulk
    let search = sam.get("/search?q=Subject%20LIKE%20%27printer%27");
    assert_eq!(search.status, 200, "{search:?}");
    let form = element(&search.body, "search");
    assert!(
        form.tags.iter().any(|t| t.attr("name") == Some("q")),
        "form#search: no q"
    );
    assert_eq!(section_rows(&search.body, "results"), [1]);
    let save = element(&search.body, "save-search");
    has(&save, "save-search", "input", "name", "name");
    assert_eq!(
        save.find("input", "name", "q").and_then(|t| t.attr("type")),
        Some("hidden")
    );
    let bulk = element(&search.body, "bulk");
    let checkbox = bulk.find("input", "name", "id").expect("bulk: a checkbox per row");
    assert_eq!(
        (checkbox.attr("type"), checkbox.attr("value")),
        (Some("checkbox"), Some("1"))
    );
    for field in ["status", "queue", "message"] {
        has(&bulk, "bulk", "select", "name", field);
    }
    for field in ["owner", "priority", "add_cc"] {
        has(&bulk, "bulk", "input", "name", field);
    }
    for message in ["", "correspond", "comment"] {
        has(&bulk, "bulk", "option", "value", message);
    }
    has(&bulk, "bulk", "textarea", "name", "content");
    has(&bulk, "bulk", "button", "id", "bulk-update");

    // the query builder makes TicketSQL and shows it
    let builder = sam.get("/search/build");
    assert_eq!(builder.status, 200, "{builder:?}");
    let form = element(&builder.body, "builder");
    for field in ["queue", "status"] {
        has(&form, "builder", "select", "name", field);
    }
    for field in ["owner", "subject"] {
        has(&form, "builder", "input", "name", field);
    }
    let built = sam.get("/search/build?queue=general&status=&owner=&subject=printer");
    assert_eq!(built.status, 303, "{built:?}");
    let location = built.location(&sam.origin);
    let query = location
        .strip_prefix("/search?")
        .unwrap_or_else(|| panic!("{location}"));
    let query: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
    let sql = &query.iter().find(|(k, _)| k == "q").expect("q").1;
    assert!(sql.contains("general") && sql.contains("printer"), "{sql}");
    assert_eq!(section_rows(&sam.get(&location).body, "results"), [1]);
}

#[test]
fn with_a_base_path_every_route_and_the_cookie_live_under_it() {
    let d = Daemon::start_with(Setup {
        web: true,
        web_lines: vec!["base_path = \"/tickets\"".into()],
        ..Setup::default()
    });
    d.web_staff("sam@tickets.test");
    d.deliver("general", &mail("zoe@example.net", "Printer", "It jams.", &[]));
    let mut web = Web::new(&d);
    let answer = web.get("/tickets/ticket/1");
    assert_eq!(answer.status, 303, "{answer:?}");
    let location = answer.location(&web.origin);
    let query = location
        .strip_prefix("/tickets/login?")
        .unwrap_or_else(|| panic!("{location}"));
    // `next` as the login page gets it, whether or not it spells the base path
    let query: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
    let next = query.iter().find(|(k, _)| k == "next").expect("next").1.clone();
    assert_eq!(web.get("/tickets/login").status, 200);
    assert_eq!(web.get("/tickets/static/ticketd.css").status, 200);
    assert_eq!(web.get("/login").status, 404, "outside the base path");

    let answer = web.post(
        "/tickets/login",
        &[("user", "sam@tickets.test"), ("password", PASSWORD), ("next", &next)],
    );
    assert_eq!(answer.status, 303, "{answer:?}");
    assert_eq!(answer.location(&web.origin), "/tickets/ticket/1");
    let cookie = answer.session_cookie().expect("a session cookie").to_ascii_lowercase();
    assert!(cookie.split(';').any(|a| a.trim() == "path=/tickets"), "{cookie}");
    let ticket = web.get("/tickets/ticket/1");
    assert_eq!(ticket.status, 200, "{ticket:?}");
    // every link, form and file of the page stays under the base path
    for tag in &ticket.page().tags {
        for name in ["href", "src", "action"] {
            if let Some(url) = tag.attr(name).filter(|u| u.starts_with('/')) {
                assert!(url.starts_with("/tickets/"), "{tag:?} leaves the base path");
            }
        }
    }
}

#[test]
fn staff_mail_links_to_the_tickets_page_and_requestor_mail_to_the_portal() {
    let d = web_daemon();
    d.deliver("network", &mail("zoe@example.net", "Switch 4", "Flapping.", &[]));
    let link = format!("<URL: {}/ticket/1 >", d.web_url());
    let sent = d.outbox();
    let to = |who: &'static str| sent.iter().filter(move |m| m.recipients.iter().any(|r| r == who));
    assert!(
        to("staff@tickets.test").any(|m| m.message.contains(&link)),
        "no {link} in the AdminCc's mail: {sent:#?}"
    );
    assert!(
        !to("zoe@example.net").any(|m| m.message.contains(&link)),
        "the requestor was sent the staff page: {sent:#?}"
    );
    // the requestor's autoreply links to the portal's page instead
    let portal = format!("<URL: {}/portal/ticket/1 >", d.web_url());
    assert!(
        to("zoe@example.net").any(|m| m.message.replace("=\r\n", "").contains(&portal)),
        "no {portal} in the requestor's mail: {sent:#?}"
    );
}

#[test]
fn the_rights_page_has_its_table_and_grant_form_for_the_admin_only() {
    let d = web_daemon();
    d.web_staff("sam@tickets.test");
    d.tkt_ok(&["admin", "init", "--admin", "boss@tickets.test"]);
    d.set_password("boss@tickets.test");
    d.deliver("general", &mail("zoe@example.net", "Printer", "It jams.", &[]));
    d.set_password("zoe@example.net");
    // the rights page, as the admin
    let mut boss = Web::login(&d, "boss@tickets.test");
    let rights = boss.get("/admin/rights");
    assert_eq!(rights.status, 200, "{rights:?}");
    assert!(rights.page().by_id("rights").is_some());
    let grant = element(&rights.body, "grant");
    has(&grant, "grant", "input", "name", "principal");
    for field in ["right", "queue"] {
        has(&grant, "grant", "select", "name", field);
    }
    has(&grant, "grant", "option", "value", "");

    // no session: to the login page; a requestor: the staff-only page
    let answer = Web::new(&d).get("/admin/rights");
    assert_eq!(answer.status, 303, "{answer:?}");
    assert!(answer.location(&d.web_url()).starts_with("/login?next="), "{answer:?}");
    let answer = Web::login(&d, "zoe@example.net").get("/admin/rights");
    assert_eq!(answer.status, 403, "{answer:?}");
    assert!(answer.page().text.contains("staff"), "{}", answer.body);
    // staff who are not admins may not grant
    let mut sam = Web::login(&d, "sam@tickets.test");
    let refused = sam.post(
        "/admin/rights/grant",
        &[("principal", "sam@tickets.test"), ("right", "SuperUser"), ("queue", "")],
    );
    assert!(matches!(refused.status, 403 | 404), "{refused:?}");
    let held: serde_json::Value =
        serde_json::from_str(&d.tkt_ok(&["rights", "--user", "sam@tickets.test", "--json"])).unwrap();
    assert!(
        !held
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["right"] == "SuperUser" && r["held"] == true),
        "staff granted themselves SuperUser"
    );
}
