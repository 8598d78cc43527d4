//! Web UI tests waiting for their pages (issue 16): NOT in `mod` of main.rs yet. Each
//! fails against the pages as they stand; add `mod web_pending;` (or move the test beside
//! its kind) once the page lands.
//!
//! - form#update lacks input[name=cc] and input[name=bcc] (the contract names both).

use crate::harness::*;
use crate::web::*;

#[test]
fn the_update_form_has_cc_and_bcc() {
    let d = web_daemon();
    d.web_staff("sam@tickets.test");
    d.deliver("general", &mail("zoe@example.net", "Printer", "It jams.", &[]));
    let mut sam = Web::login(&d, "sam@tickets.test");
    let update = sam.get("/ticket/1/update?action=correspond");
    assert_eq!(update.status, 200, "{update:?}");
    let form = element(&update.body, "update");
    for field in ["cc", "bcc"] {
        assert!(
            form.find("input", "name", field).is_some(),
            "form#update: no input[name={field}]"
        );
    }
    // a Cc given with a reply is told: it is among the recipients of the preview
    let preview = sam.post_multipart(
        "/ticket/1/update",
        &[
            ("action", "correspond"),
            ("content", "x"),
            ("cc", "boss@example.org"),
            ("preview", "1"),
        ],
        &[],
    );
    assert!(
        element(&preview.body, "recipients").text.contains("boss@example.org"),
        "{}",
        preview.body
    );
}
