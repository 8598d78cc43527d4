//! The self-service portal for requestors, in the same web server: their open and closed
//! tickets, a ticket's correspondence (the workflow leaves comments out for them), a reply
//! with files, and a new ticket in the queues they may create in. They sign in with a
//! one-time link mailed to their address (`workflow::sessions::request_signin_link`:
//! minutes long, single use, throttled, the same answer whether the address is known or
//! not). Every answer comes from the same workflow calls as mail, tkt and the staff pages.

use axum::Form;
use axum::extract::{ConnectInfo, Multipart, Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use super::pages::{Staff as Me, read_multipart, when};
use super::session::{read_me, session_cookie, write};
use super::{Web, i18n};
use crate::error::Error;
use crate::search::quote;
use crate::server::now;
use crate::server::peer::Peer;
use crate::ticket::{Action, Ticket};
use crate::wire::NewTicketRequest;
use crate::workflow::{self, Message, admin, sessions, view};

/// An error as a page without the staff menu.
fn failed(web: &Web, me: &Me, e: &Error) -> Response {
    web.refuse_requestor(e, me.name())
}

pub async fn login_form(State(web): State<Web>) -> Response {
    web.page(
        "portal_login.html",
        None,
        serde_json::json!({ "title": i18n::tr("portal-login-heading"), "sent": false, "error": null }),
    )
}

#[derive(Debug, Deserialize)]
pub struct LinkRequest {
    address: String,
}

/// Mails a sign-in link; the page says the same whether the address is known or not.
pub async fn request_link(
    State(web): State<Web>,
    ConnectInfo(peer): ConnectInfo<Peer>,
    Form(form): Form<LinkRequest>,
) -> Response {
    let client = match peer {
        Peer::Remote(address) => address.ip().to_string(),
        Peer::Local { .. } => "local".to_string(),
    };
    let keys = sessions::signin_request_keys(&form.address, &client);
    let at = now();
    let address = form.address.clone();
    let asked = web
        .app
        .writer
        .run({
            let settings = web.app.settings.clone();
            move |tx| sessions::request_signin_link(tx, &settings, &address, &keys, at)
        })
        .await;
    let error = asked.err().map(|e| e.public_text());
    web.page(
        "portal_login.html",
        None,
        serde_json::json!({ "title": i18n::tr("portal-login-heading"), "sent": error.is_none(), "error": error }),
    )
}

/// The link's page: a button that signs in (a GET changes nothing, so a mail scanner that
/// follows the link does not use it up).
pub async fn signin_form(State(web): State<Web>, Path(secret): Path<String>) -> Response {
    web.page(
        "portal_signin.html",
        None,
        serde_json::json!({ "title": i18n::tr("portal-login-heading"), "secret": secret }),
    )
}

pub async fn signin(State(web): State<Web>, jar: CookieJar, Path(secret): Path<String>) -> Response {
    let at = now();
    match web
        .app
        .writer
        .run(move |tx| sessions::sign_in_by_link(tx, &secret, at))
        .await
    {
        Ok(session) => (jar.add(session_cookie(&web, session)), web.redirect("/portal")).into_response(),
        Err(e) => web.error(&e, None),
    }
}

/// The requestor's tickets, open and closed.
pub async fn home(State(web): State<Web>, me: Me) -> Response {
    let Some(email) = me.user.email.clone() else {
        return failed(
            &web,
            &me,
            &Error::Invalid("the portal needs an address on your account".into()),
        );
    };
    let settings = web.app.settings.clone();
    let at = now();
    let found = read_me(&web, &me, move |db, access| {
        let lifecycles = settings.all_lifecycles();
        let mine = |status: &str| -> crate::error::Result<Vec<Ticket>> {
            let text = format!(
                "Requestor.EmailAddress = {} AND Status = '{status}' ORDER BY LastUpdated DESC LIMIT 100",
                quote(&email)
            );
            view::search(db, access, &crate::search::parse(&text, at)?, &lifecycles)
        };
        Ok((mine("__Active__")?, mine("__Inactive__")?))
    })
    .await;
    match found {
        Ok((open, closed)) => web.page(
            "portal_home.html",
            Some(me.name()),
            serde_json::json!({
                "title": i18n::tr("portal-heading"),
                "requestor": true,
                "open": super::pages::Row::all(&open),
                "closed": super::pages::Row::all(&closed),
            }),
        ),
        Err(e) => failed(&web, &me, &e),
    }
}

/// A ticket with its correspondence: the messages only (comments are the workflow's to
/// leave out, and it does for requestors).
pub async fn ticket(State(web): State<Web>, me: Me, Path(id): Path<i64>) -> Response {
    let found = read_me(&web, &me, move |db, access| view::ticket(db, access, id)).await;
    let t = match found {
        Ok(t) if t.id == id => t,
        Ok(t) => return web.redirect(&format!("/portal/ticket/{}", t.id)),
        Err(e) => return failed(&web, &me, &e),
    };
    let messages: Vec<serde_json::Value> = t
        .transactions
        .iter()
        .flatten()
        .filter(|x| x.is_message())
        .map(|x| {
            serde_json::json!({
                "id": x.id,
                "creator": x.creator,
                "created": when(&x.created),
                "content": x.content,
                "files": x
                    .attachments
                    .iter()
                    .filter(|a| a.filename.is_some())
                    .map(|a| serde_json::json!({ "id": a.id, "name": a.filename, "size": a.size }))
                    .collect::<Vec<_>>(),
            })
        })
        .collect();
    web.page(
        "portal_ticket.html",
        Some(me.name()),
        serde_json::json!({
            "title": format!("#{}: {}", t.id, t.subject),
            "requestor": true,
            "id": t.id,
            "subject": t.subject,
            "status": t.status.as_str(),
            "queue": t.queue,
            "created": when(&t.created),
            "messages": messages,
        }),
    )
}

/// A file of a message the requestor may see, downloaded as the staff pages serve it.
pub async fn attachment(State(web): State<Web>, me: Me, Path(id): Path<i64>) -> Response {
    super::pages::attachment_of(&web, &me, id)
        .await
        .unwrap_or_else(|e| failed(&web, &me, &e))
}

pub async fn preferences_form(
    State(web): State<Web>,
    me: Me,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Response {
    preferences_page(&web, &me, q.contains_key("saved"))
}

fn preferences_page(web: &Web, me: &Me, saved: bool) -> Response {
    web.page(
        "portal_preferences.html",
        Some(me.name()),
        serde_json::json!({
            "title": i18n::tr("preferences-heading"),
            "requestor": true,
            "saved": saved,
            "real_name": me.user.real_name,
            "chosen": me.user.lang.as_deref().and_then(i18n::Lang::from_tag).map(i18n::Lang::code),
            "digest": me.user.digest.map(crate::schedule::DigestPeriod::as_str),
            "languages": i18n::menu(),
        }),
    )
}

#[derive(Debug, Deserialize)]
pub struct PreferencesForm {
    #[serde(default)]
    real_name: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    digest: String,
}

/// Name, language (of the pages and of mail) and digest, changed as `tkt user set` does
/// on oneself.
pub async fn preferences(State(web): State<Web>, me: Me, Form(form): Form<PreferencesForm>) -> Response {
    let off = |v: &str| {
        if v.trim().is_empty() {
            "off".to_string()
        } else {
            v.trim().to_string()
        }
    };
    let changes = vec![
        format!("real_name={}", form.real_name),
        format!("lang={}", off(&form.lang)),
        format!("digest={}", off(&form.digest)),
    ];
    let name = me.user.name.clone();
    match write(&web, &me, move |tx, access, _| {
        admin::set_user(tx, access, &name, &changes)
    })
    .await
    {
        Ok(_) => web.redirect("/portal/preferences?saved=1"),
        Err(e) => failed(&web, &me, &e),
    }
}

/// A reply with files, as the requestor.
pub async fn reply(State(web): State<Web>, me: Me, Path(id): Path<i64>, multipart: Multipart) -> Response {
    let (fields, files) = match read_multipart(multipart, "attachment").await {
        Ok(read) => read,
        Err(e) => return failed(&web, &me, &e),
    };
    let content = fields
        .into_iter()
        .find(|(name, _)| name == "content")
        .map(|(_, v)| v)
        .unwrap_or_default();
    let at = now();
    let sent = write(&web, &me, move |tx, access, s| {
        let message = Message {
            content: &content,
            files: &files,
            ..Message::default()
        };
        workflow::respond(tx, s, id, Action::Correspond, &message, access, at)
    })
    .await;
    match sent {
        Ok(_) => web.redirect(&format!("/portal/ticket/{id}")),
        Err(e) => failed(&web, &me, &e),
    }
}

pub async fn create_form(State(web): State<Web>, me: Me) -> Response {
    match read_me(&web, &me, admin::creatable_queues).await {
        Ok(queues) => web.page(
            "portal_create.html",
            Some(me.name()),
            serde_json::json!({ "title": i18n::tr("portal-create-heading"), "requestor": true, "queues": queues }),
        ),
        Err(e) => failed(&web, &me, &e),
    }
}

/// A new ticket, the requestor its requestor.
pub async fn create(State(web): State<Web>, me: Me, multipart: Multipart) -> Response {
    let (fields, files) = match read_multipart(multipart, "attachment").await {
        Ok(read) => read,
        Err(e) => return failed(&web, &me, &e),
    };
    let field = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let request = NewTicketRequest {
        queue: field("queue"),
        subject: field("subject"),
        requestors: me.user.email.iter().cloned().collect(),
        content: field("content"),
        priority: None,
        owner: None,
    };
    let at = now();
    let made = write(&web, &me, move |tx, access, s| {
        workflow::create_with_files(tx, s, &request, &files, access, at)
    })
    .await;
    match made {
        Ok(id) => web.redirect(&format!("/portal/ticket/{id}")),
        Err(e) => failed(&web, &me, &e),
    }
}
