//! Lifecycles: the default one's transitions, a custom one from the config, dates.

use crate::harness::*;

const PURCHASE: &str = r#"
[[queues]]
name = "general"
address = "help@tickets.test"

[[queues]]
name = "purchase"
address = "buy@tickets.test"
lifecycle = "purchase"

[lifecycles.purchase]
initial = ["requested"]
active = ["approved", "ordered"]
inactive = ["delivered", "refused"]

[lifecycles.purchase.transitions]
requested = ["approved", "refused"]
approved = ["ordered", "refused"]
ordered = ["delivered"]

[lifecycles.purchase.rights]
"requested -> approved" = "AdminQueue"
"#;

#[test]
fn every_transition_of_the_default_lifecycle_is_allowed_and_others_are_not() {
    let d = Daemon::start();
    d.deliver("general", &mail("zoe@example.net", "x", "y", &[]));
    let all = ["new", "open", "stalled", "resolved", "rejected", "deleted"];
    for from in all {
        for to in all {
            if from == to {
                continue;
            }
            d.tkt_ok(&["set", "1", &format!("status={from}")]);
            let out = d.tkt(&["set", "1", &format!("status={to}")]);
            assert!(out.status.success(), "{from} -> {to}: {}", stderr(&out));
            assert_eq!(d.show(1)["status"], to);
        }
    }
    let out = d.tkt(&["set", "1", "status=closed"]);
    assert!(
        stderr(&out).contains("not a status of lifecycle default"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_custom_lifecycle_from_the_config_rules_its_queue() {
    let d = Daemon::start_with(Setup {
        queues: Some(PURCHASE.into()),
        ..Setup::default()
    });
    d.deliver("purchase", &mail("zoe@example.net", "New laptop", "Please.", &[]));
    d.deliver("general", &mail("zoe@example.net", "Printer", "x", &[]));
    let t = d.show(1);
    assert_eq!(t["status"], "requested", "the lifecycle's initial status");
    assert!(t["started"].is_null());

    let out = d.tkt(&["set", "1", "status=ordered"]);
    assert!(
        stderr(&out).contains("cannot go from requested to ordered (lifecycle purchase)"),
        "{}",
        stderr(&out)
    );
    let out = d.tkt(&["set", "1", "status=open"]);
    assert!(
        stderr(&out).contains("not a status of lifecycle purchase"),
        "{}",
        stderr(&out)
    );

    // approving needs AdminQueue, which ordinary staff do not have
    d.tkt_ok(&["user", "create", "carol@tickets.test", "--privileged"]);
    let carol = d.token_for("carol@tickets.test");
    let out = d.tkt_as(&carol, &["set", "1", "status=approved"]);
    assert!(stderr(&out).contains("AdminQueue"), "{}", stderr(&out));
    d.tkt_ok(&[
        "grant",
        "AdminQueue",
        "--user",
        "carol@tickets.test",
        "--queue",
        "purchase",
    ]);
    let out = d.tkt_as(&carol, &["set", "1", "status=approved"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let t = d.show(1);
    assert!(t["started"].is_string(), "Started: it left its initial status");
    assert!(t["resolved"].is_null());

    assert_eq!(d.search("Status = '__Active__'"), [1, 2]);
    d.tkt_ok(&["set", "1", "status=ordered"]);
    d.tkt_ok(&["set", "1", "status=delivered"]);
    assert!(d.show(1)["resolved"].is_string(), "Resolved: it became inactive");
    assert_eq!(d.search("Status = '__Active__'"), [2]);
    assert_eq!(d.search("Status = '__Inactive__'"), [1]);
    assert_eq!(d.search("Status = 'delivered'"), [1]);
    // a ticket cannot move to a queue whose lifecycle lacks its status
    let out = d.tkt(&["set", "1", "queue=general"]);
    assert!(stderr(&out).contains("delivered"), "{}", stderr(&out));
}
