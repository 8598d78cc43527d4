//! The OpenAPI 3.1 description of `/REST/2.0`: public, read by an OpenAPI parser, and
//! listing exactly the routes served (the router is built from the same attributes).

use std::collections::BTreeSet;

use crate::web::{http, web_daemon};

/// Every route of RT's REST2 that ticketd serves, as `METHOD /path`.
const ROUTES: &[&str] = &[
    "GET /rt",
    "POST /ticket",
    "GET /ticket/{id}",
    "PUT /ticket/{id}",
    "DELETE /ticket/{id}",
    "PUT /ticket/{id}/take",
    "PUT /ticket/{id}/untake",
    "PUT /ticket/{id}/steal",
    "POST /ticket/{id}/correspond",
    "POST /ticket/{id}/comment",
    "GET /ticket/{id}/history",
    "GET /ticket/{id}/attachments",
    "POST /ticket/{id}/attachments",
    "GET /tickets",
    "POST /tickets",
    "GET /transaction/{id}",
    "GET /transaction/{id}/attachments",
    "GET /attachment/{id}",
    "GET /queues/all",
    "GET /queue/{id}",
    "GET /user/{id}",
    "GET /group/{id}",
    "GET /group/{id}/members",
];

#[test]
fn rest2_describes_its_routes_in_openapi_3_1_without_credentials() {
    let d = web_daemon();
    let answer = http(
        &d.web_url(),
        "GET",
        "/REST/2.0/openapi.json",
        &[],
        None,
        None,
        Vec::new(),
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.header("content-type"), Some("application/json"));
    let spec = oas3::from_json(&answer.body).expect("an OpenAPI document");
    assert_eq!(spec.openapi, "3.1.0");
    assert_eq!(spec.info.title, "ticketd REST2");
    assert_eq!(spec.servers[0].url, format!("{}/REST/2.0", d.web_url()));

    let described: BTreeSet<String> = spec
        .operations()
        .map(|(path, method, _)| format!("{method} {path}"))
        .collect();
    let served: BTreeSet<String> = ROUTES.iter().map(|r| r.to_string()).collect();
    assert_eq!(described, served);

    // each operation says how it fails, and every schema it names is in the document
    let schemas = spec.components.as_ref().expect("components").schemas.clone();
    for name in [
        "NewTicket",
        "NewMessage",
        "FileUpload",
        "Collection",
        "Reference",
        "Rest2Error",
        "Filter",
    ] {
        assert!(schemas.contains_key(name), "no schema {name}");
    }
    let document: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
    let mut refs = Vec::new();
    collect_refs(&document, &mut refs);
    assert!(!refs.is_empty());
    for r in refs {
        let name = r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("{r}"));
        assert!(schemas.contains_key(name), "{r} names no schema");
    }
    for (path, method, op) in spec.operations() {
        if path != "/rt" {
            assert!(
                op.responses(&spec).contains_key("404")
                    || path == "/ticket"
                    || path == "/tickets"
                    || path == "/queues/all",
                "{method} {path} does not say what a missing record gets"
            );
        }
    }
    // each `{id}` is a required path parameter, and each collection pages
    for (path, method, op) in spec.operations() {
        let names: Vec<(String, bool)> = op
            .parameters(&spec)
            .expect("parameters resolve")
            .into_iter()
            .map(|p| (p.name.clone(), p.required.unwrap_or(false)))
            .collect();
        if path.contains("{id}") {
            assert!(names.contains(&("id".to_string(), true)), "{method} {path}: {names:?}");
        }
        if path.ends_with("/history") || path == "/queues/all" || path == "/tickets" {
            assert!(names.iter().any(|(n, _)| n == "per_page"), "{method} {path}: {names:?}");
        }
    }
    let schemes = &spec.components.as_ref().unwrap().security_schemes;
    let names: BTreeSet<&str> = schemes.keys().map(String::as_str).collect();
    assert_eq!(names, BTreeSet::from(["basic", "session", "token"]));
}

fn collect_refs(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", serde_json::Value::String(r)) => out.push(r.clone()),
                    _ => collect_refs(v, out),
                }
            }
        }
        serde_json::Value::Array(all) => all.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}
